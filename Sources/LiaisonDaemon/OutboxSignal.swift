import Dispatch
import LiaisonCore
import LiaisonStore
import NIOConcurrencyHelpers

/// Tells waiting senders that something new was queued, without polling: a
/// generation number that every announcement bumps, and waiters woken by it.
///
/// A queueing can also hand its small packages to their peers' running senders
/// (``announceQueued(handingOver:others:)``): a sender that finds only such
/// hand-overs since its last look takes them from memory
/// (``takeHandedOver(peer:since:limit:)``) instead of reading its queue. The store stays the record: every package handed
/// over is durable first, and any other announcement that may concern a peer (a
/// queueing not handed over, or ``announce()``) makes its sender read the queue.
/// Packages are kept only for a peer whose sender runs (``senderStarted(peer:)``),
/// and dropped when it ends: the next sender reads the queue first.
final class OutboxSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        /// The generation of the last announcement that may concern any peer.
        var lastGeneral: UInt64 = 0
        /// Per peer name, the generation of the last queueing for it not handed over.
        var lastNotHandedOver: [String: UInt64] = [:]
        /// Packages handed over per peer name, in queueing order.
        var handedOver: [String: [DuePackage]] = [:]
        /// Senders running, per peer name.
        var senders: [String: Int] = [:]
        var nextWaiter: UInt64 = 0
        /// Waits in progress, registered or not yet.
        var active: Set<UInt64> = []
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits released before they had registered (a timeout or a cancellation that won the race).
        var released: Set<UInt64> = []
    }

    private let state = NIOLockedValueBox(State())
    /// Most packages, and most of their bytes, handed over and waiting per peer.
    let handOverLimit: Int
    let handOverByteLimit: Int

    init(handOverLimit: Int = 256, handOverByteLimit: Int = 4 << 20) {
        self.handOverLimit = handOverLimit
        self.handOverByteLimit = handOverByteLimit
    }

    /// The current generation; pass it to ``wait(past:timeout:)``.
    var generation: UInt64 { state.withLockedValue { $0.generation } }

    /// Something may be due for any peer: wakes every waiter, and every sender reads its queue.
    func announce() {
        wake { state in state.lastGeneral = state.generation }
    }

    /// Packages were queued, and are durable: those in `handingOver` (per peer name)
    /// go to that peer's running sender, if any, which takes them at its next look
    /// for work (at once if it waits); for the peers in `others` something else was
    /// queued, which their senders read from the queue. Wakes every waiter.
    ///
    /// At most ``handOverLimit`` packages and ``handOverByteLimit`` bytes wait per
    /// peer; past that, the queueing counts as not handed over to that peer (its
    /// sender reads the queue, which a backlog that size wants anyway).
    func announceQueued(handingOver: [String: [DuePackage]], others: Set<String>) {
        wake { state in
            for (peer, packages) in handingOver where state.senders[peer] != nil {
                let count = (state.handedOver[peer]?.count ?? 0) + packages.count
                let bytes = Self.bytes(of: state.handedOver[peer] ?? []) + Self.bytes(of: packages)
                if count <= handOverLimit && bytes <= handOverByteLimit {
                    state.handedOver[peer, default: []] += packages
                } else {
                    state.lastNotHandedOver[peer] = state.generation
                }
            }
            for peer in others { state.lastNotHandedOver[peer] = state.generation }
        }
    }

    private static func bytes(of packages: [DuePackage]) -> Int {
        packages.reduce(0) { $0 + ($1.body?.count ?? 0) }
    }

    /// Bumps the generation, lets `change` record the announcement, and resumes every waiter.
    private func wake(_ change: (inout State) -> Void) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            change(&state)
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// A sender to `peer` is about to read its queue: what was handed over to it is
    /// dropped (the read finds it), and the generation returned is the one to wait
    /// past. A package handed over after this may also be in the read: the sender
    /// leaves out of a later ``takeHandedOver(peer:since:)`` what the read returned.
    func beginLook(peer: String) -> UInt64 {
        state.withLockedValue { state in
            state.handedOver[peer] = nil
            return state.generation
        }
    }

    /// What was handed over to `peer` since generation `seen` (a look's or an earlier
    /// take's), taken, at most `limit` (`more`: some are left), with the generation
    /// now; or nil if something else that may concern `peer` was announced since,
    /// and its queue must be read.
    func takeHandedOver(peer: String, since seen: UInt64, limit: Int) -> (packages: [DuePackage], more: Bool, generation: UInt64)? {
        state.withLockedValue { state in
            guard state.lastGeneral <= seen, (state.lastNotHandedOver[peer] ?? 0) <= seen else { return nil }
            let all = state.handedOver.removeValue(forKey: peer) ?? []
            if all.count > limit { state.handedOver[peer] = Array(all[limit...]) }
            return (Array(all.prefix(limit)), all.count > limit, state.generation)
        }
    }

    /// A sender to `peer` started: packages may be handed over to it from now on.
    func senderStarted(peer: String) {
        state.withLockedValue { $0.senders.countUp(peer) }
    }

    /// A sender to `peer` ended: when none is left, what was handed over is dropped
    /// (the store has it; the next sender reads the queue first).
    func senderEnded(peer: String) {
        state.withLockedValue { state in
            if state.senders.countDown(peer) == 0 {
                state.handedOver[peer] = nil
                state.lastNotHandedOver[peer] = nil
            }
        }
    }

    /// Returns once the generation differs from `seen`, after `timeout`, or at
    /// once if the task is cancelled. One continuation and one timer: a wake-up
    /// resumes the waiter directly, with no child tasks to start and cancel.
    func wait(past seen: UInt64, timeout: Duration) async {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter &+= 1
            state.active.insert(state.nextWaiter)
            return state.nextWaiter
        }
        let timer = DispatchWorkItem { [self] in release(id) }
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, timeout.seconds), execute: timer)
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLockedValue { state -> Bool in
                    if state.generation != seen || state.released.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            release(id)
        }
        timer.cancel()
        state.withLockedValue { state in
            state.active.remove(id)
            state.released.remove(id)
        }
    }

    /// Ends wait `id`: resumes it if it is waiting, or makes it return as soon as it registers.
    private func release(_ id: UInt64) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            if state.active.contains(id) { state.released.insert(id) }
            return nil
        }
        waiter?.resume()
    }
}
