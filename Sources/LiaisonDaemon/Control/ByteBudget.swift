import NIOConcurrencyHelpers

/// Bytes of memory that concurrent holders share: a holder takes its share before
/// it allocates and gives it back when done; one that does not fit waits its turn
/// (first come, first served). What a STIX check reads whole is bounded this way
/// for the whole daemon, not per control connection.
final class ByteBudget: Sendable {
    /// A share taken: given back when released, or at the latest when dropped.
    final class Share: Sendable {
        private let budget: ByteBudget
        private let bytes: Int
        private let released = NIOLockedValueBox(false)

        fileprivate init(_ budget: ByteBudget, _ bytes: Int) {
            self.budget = budget
            self.bytes = bytes
        }

        /// Gives the bytes back (once).
        func release() {
            guard released.withLockedValue({ let was = $0; $0 = true; return !was }) else { return }
            budget.giveBack(bytes)
        }

        deinit { release() }
    }

    private struct State {
        var free: Int
        var waiting: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    /// The budget's size in bytes.
    let capacity: Int
    private let state: NIOLockedValueBox<State>

    init(capacity: Int) {
        self.capacity = capacity
        state = NIOLockedValueBox(State(free: capacity))
    }

    /// Takes `bytes` (at most the whole budget), waiting while others hold too much.
    func take(_ bytes: Int) async -> Share {
        let wanted = min(max(bytes, 0), capacity)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLockedValue { state -> Bool in
                guard state.waiting.isEmpty, state.free >= wanted else {
                    state.waiting.append((wanted, continuation))
                    return false
                }
                state.free -= wanted
                return true
            }
            if now { continuation.resume() }
        }
        return Share(self, wanted)
    }

    /// Bytes free now.
    var free: Int { state.withLockedValue { $0.free } }

    private func giveBack(_ bytes: Int) {
        let ready = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.free += bytes
            var ready: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiting.first, first.bytes <= state.free {
                state.free -= first.bytes
                ready.append(first.continuation)
                state.waiting.removeFirst()
            }
            return ready
        }
        for continuation in ready { continuation.resume() }
    }
}
