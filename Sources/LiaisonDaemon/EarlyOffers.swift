import LiaisonCore
import NIOConcurrencyHelpers

/// Offers recorded with their packages' queueing.
///
/// A package queued for a peer that has a session open right now, one that takes
/// pushes, is pushed within a millisecond or so: its `package.offered` entry is
/// then journaled in the queueing's own store commit instead of being appended
/// to the log on its own just before the push (one durable commit fewer on a
/// package's way). The sender takes the mark here and records nothing more; an
/// offer whose mark is missing or stale (the session went away and the package
/// waited) is recorded as before, just before it is made.
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
        /// Sessions that take pushes, open now, per peer name.
        var openSessions: [String: Int] = [:]
        /// Offers recorded ahead, and when.
        var recorded: [Key: ContinuousClock.Instant] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// A session to `peer` that takes pushes is open; call ``sessionClosed(peer:)`` when it ends.
    func sessionOpened(peer: String) {
        state.withLockedValue { $0.openSessions[peer, default: 0] += 1 }
    }

    func sessionClosed(peer: String) {
        state.withLockedValue { state in
            let left = (state.openSessions[peer] ?? 1) - 1
            state.openSessions[peer] = left > 0 ? left : nil
        }
    }

    /// Which of `recipients` of `package` have a pushing session open, marked as
    /// recorded: the caller journals their `package.offered` entries with the
    /// queueing, or calls ``forget(_:recipients:)`` if that fails.
    func recordAhead(_ package: PackageID, recipients: [String]) -> [String] {
        let now = ContinuousClock.now
        return state.withLockedValue { state in
            // Marks of offers never made (the package expired or was refused first) go once they are stale.
            if state.recorded.count >= capacity { state.recorded = state.recorded.filter { now - $0.value < standing } }
            guard state.recorded.count < capacity else { return [] }
            let ahead = recipients.filter { state.openSessions[$0] != nil }
            for peer in ahead { state.recorded[Key(package: package, peer: peer)] = now }
            return ahead
        }
    }

    /// Drops marks whose records were not written after all.
    func forget(_ package: PackageID, recipients: [String]) {
        state.withLockedValue { state in
            for peer in recipients { state.recorded[Key(package: package, peer: peer)] = nil }
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
