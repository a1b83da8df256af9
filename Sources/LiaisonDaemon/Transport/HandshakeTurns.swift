import Dispatch
import NIOConcurrencyHelpers
import NIOCore

/// Handshakes this node starts, one at a time per peer, from connecting to reading
/// message 2. A responder accepts only a timestamp newer than the last it took
/// from us, so two handshakes in flight at once (a package sender and a witness
/// request, say) could reach it out of order: the older would be refused as a
/// replay and its dial back off. The turn covers the connection too, so a waiting
/// dial holds no silent connection at the peer (whose handshake deadline runs
/// from accept). Turns are taken in arrival order; each is bounded by the connect
/// and handshake timeouts, and a dial with a deadline waits no longer than that.
/// The same turns, a set of their own, take partners' key rotations one at a time
/// per peer (`DaemonContext.peerRotationTurns`).
final class HandshakeTurns: Sendable {
    /// A dial waiting for its turn.
    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        /// Peers with a handshake under way, each with the dials waiting for it.
        var waiting: [String: [Waiter]] = [:]
        /// Dials between their start and their place in the queue, with why each
        /// gave up meanwhile, if it did (it then does not queue).
        var starting: [UInt64: GaveUp] = [:]
        var lastID: UInt64 = 0
    }

    /// Why a dial stopped waiting for its turn, if it did.
    private enum GaveUp {
        case no
        case because(any Error)
    }

    private let state = NIOLockedValueBox(State())

    /// One dial's turn with a peer; ``end()`` passes it on (more calls do nothing).
    final class Turn: Sendable {
        private let release: NIOLockedValueBox<(@Sendable () -> Void)?>

        fileprivate init(_ release: @escaping @Sendable () -> Void) { self.release = NIOLockedValueBox(release) }

        func end() {
            let release = self.release.withLockedValue { release in
                defer { release = nil }
                return release
            }
            release?()
        }
    }

    /// Waits until no other handshake with `peer` (the fingerprint that names it for
    /// life) is under way, and takes the turn. A dial cancelled while it waits (the
    /// daemon stopping) leaves the queue at once with `CancellationError`, one still
    /// waiting at `until` with ``DeadlinePassed``; the turn it never had stays with
    /// whoever holds it.
    func begin(peer: String, until: NIODeadline? = nil) async throws -> Turn {
        let id = state.withLockedValue { state in
            state.lastID += 1
            state.starting[state.lastID] = .no
            return state.lastID
        }
        // A Dispatch timer, not a sleeping task: it fires even while Swift's
        // cooperative threads are all busy.
        let timer = until.map { until in
            let timer = DispatchWorkItem { [self] in giveUp(id, peer: peer, because: DeadlinePassed()) }
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(clamping: max(0, (until - .now()).nanoseconds))), execute: timer)
            return timer
        }
        defer { timer?.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (turn: CheckedContinuation<Void, any Error>) in
                enum Start { case now, waits, gaveUp(any Error) }
                let start = state.withLockedValue { state -> Start in
                    if case .because(let reason)? = state.starting.removeValue(forKey: id) { return .gaveUp(reason) }
                    guard state.waiting[peer] != nil else {
                        state.waiting[peer] = []
                        return .now
                    }
                    state.waiting[peer]!.append(Waiter(id: id, continuation: turn))
                    return .waits
                }
                switch start {
                case .now: turn.resume()
                case .gaveUp(let reason): turn.resume(throwing: reason)
                case .waits: break
                }
            }
        } onCancel: {
            giveUp(id, peer: peer, because: CancellationError())
        }
        return Turn { [self] in pass(peer) }
    }

    /// Dial `id` stops waiting for `peer`'s turn, throwing `reason`: not queued yet,
    /// it will not be; queued, it leaves the queue. Holding the turn already, it keeps it.
    private func giveUp(_ id: UInt64, peer: String, because reason: any Error) {
        let waiter = state.withLockedValue { state -> Waiter? in
            if case .no? = state.starting[id] {
                state.starting[id] = .because(reason)
                return nil
            }
            guard let index = state.waiting[peer]?.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiting[peer]!.remove(at: index)
        }
        waiter?.continuation.resume(throwing: reason)
    }

    /// Hands `peer`'s turn to the dial that waited longest, or frees it.
    private func pass(_ peer: String) {
        let next = state.withLockedValue { state -> Waiter? in
            guard let queue = state.waiting[peer], !queue.isEmpty else {
                state.waiting[peer] = nil
                return nil
            }
            state.waiting[peer] = Array(queue.dropFirst())
            return queue[0]
        }
        next?.continuation.resume()
    }
}
