import NIOConcurrencyHelpers

/// Bytes of memory that concurrent holders share: a holder takes its share before
/// it allocates and gives it back when done. Taking never waits: a share that does
/// not fit is refused, and the caller says "busy, retry" — a slow client holding
/// memory cannot make others wait behind it. What STIX checks read whole is bounded
/// this way for the whole daemon, not per control connection.
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
            budget.free.withLockedValue { $0 += bytes }
        }

        deinit { release() }
    }

    /// The budget's size in bytes.
    let capacity: Int
    private let free: NIOLockedValueBox<Int>

    init(capacity: Int) {
        self.capacity = capacity
        free = NIOLockedValueBox(capacity)
    }

    /// `bytes` of the budget, or nil if that much is not free now.
    func take(_ bytes: Int) -> Share? {
        let wanted = max(bytes, 0)
        let taken = free.withLockedValue { free -> Bool in
            guard free >= wanted else { return false }
            free -= wanted
            return true
        }
        return taken ? Share(self, wanted) : nil
    }

    /// Bytes free now.
    var available: Int { free.withLockedValue { $0 } }
}
