import NIOConcurrencyHelpers

/// The control socket's connection slots (`max-control-connections`): a connection
/// holds one from when it is accepted until it is closed.
struct ControlConnectionSlots: Sendable {
    /// Most connections served at once.
    let capacity: Int
    private let open = NIOLockedValueBox(0)

    init(capacity: Int) { self.capacity = capacity }

    /// Takes a slot, or returns false if all are taken.
    func claim() -> Bool {
        open.withLockedValue { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
    }

    /// Gives back a slot taken by ``claim()``.
    func release() {
        open.withLockedValue { count in
            precondition(count > 0, "a control connection slot released twice")
            count -= 1
        }
    }
}
