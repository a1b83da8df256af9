import LiaisonCore
import NIOConcurrencyHelpers

/// Offers recorded with their packages' queueing.
///
/// A small package queued for a peer whose sender waits for work on a session
/// that takes pushes (nothing else due) is pushed within a millisecond or so:
/// its `package.offered` entry is then journaled in the queueing's own store
/// commit instead of being appended to the log on its own just before the push
/// (one durable commit fewer on a package's way). Once that commit is durable,
/// the package gets a mark here; the sender takes the mark and records nothing
/// more. An offer whose mark is missing (a sender that got there first, a
/// restart), stale, or for a later attempt, is recorded as every other offer
/// is, just before it is made: a record twice, never none.
final class EarlyOffers: Sendable {
    /// How long a recorded offer stands for the offer actually made: past this, the
    /// offer is recorded again when it is made, so the log does not date it long
    /// before it happened.
    let standing: Duration
    /// Most marks held; past this, offers are recorded when made (nothing is lost).
    let capacity: Int

    init(standing: Duration = .seconds(10), capacity: Int = 8192) {
        self.standing = standing
        self.capacity = capacity
    }

    private struct Key: Hashable {
        let package: PackageID
        let peer: String
    }

    private struct State {
        /// Senders waiting for work on a session that takes pushes, per peer name.
        var waiting: [String: Int] = [:]
        /// Offers recorded ahead, and when.
        var recorded: [Key: ContinuousClock.Instant] = [:]
        /// When stale marks were last dropped (when full, at most every tenth of ``standing``).
        var pruned: ContinuousClock.Instant?
    }

    private let state = NIOLockedValueBox(State())

    /// The sender to `peer`, on a session that takes pushes, waits for work with
    /// nothing due; call ``senderBusy(peer:)`` when it wakes.
    func senderWaiting(peer: String) {
        state.withLockedValue { $0.waiting.countUp(peer) }
    }

    /// The sender to `peer` stopped waiting (see ``senderWaiting(peer:)``).
    func senderBusy(peer: String) {
        state.withLockedValue { _ = $0.waiting.countDown(peer) }
    }

    /// Which of `recipients` of a small package about to be queued have a sender
    /// waiting for work: the caller journals their offers with the queueing and,
    /// once that committed, calls ``recorded(_:peers:)``. None while the marks are full.
    func waitingPeers(among recipients: [String]) -> [String] {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            if state.recorded.count >= capacity, state.pruned.map({ now - $0 >= standing / 10 }) ?? true {
                // Marks of offers never made (the package expired or was refused first) go once stale.
                state.recorded = state.recorded.filter { now - $0.value < standing }
                state.pruned = now
            }
            guard state.recorded.count < capacity else { return [] }
            return recipients.filter { state.waiting[$0] != nil }
        }
    }

    /// Marks the offers of `package` to `peers` as recorded: their queueing, which
    /// journaled them, is durable.
    func recorded(_ package: PackageID, peers: [String]) {
        let now = ContinuousClock.now
        state.withLockedValue { state in
            for peer in peers { state.recorded[Key(package: package, peer: peer)] = now }
        }
    }

    /// Whether the offer of `package` to `peer` about to be made was recorded with
    /// its queueing, recently enough to stand for it. The mark is used up either way.
    func take(_ package: PackageID, peer: String) -> Bool {
        let now = ContinuousClock.now
        let recordedAt = state.withLockedValue { $0.recorded.removeValue(forKey: Key(package: package, peer: peer)) }
        return recordedAt.map { now - $0 < standing } ?? false
    }
}
