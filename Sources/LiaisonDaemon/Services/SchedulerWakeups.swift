import NIOConcurrencyHelpers

/// Wakes the delivery scheduler, and tells it which peers to look at: the
/// recipients of what was just queued, or every peer (its ticker). A wake-up for
/// named peers costs the scheduler a look at each of those without a running
/// sender, not at every partner in the keyring: on a node with many quiet
/// partners, every `send` used to cost a look at each of them.
///
/// Wake-ups that come while the scheduler is busy are merged into one.
final class SchedulerWakeups: Sendable {
    /// What the scheduler is to look at when it next wakes.
    struct Attention: Equatable {
        /// Every peer in the keyring.
        var everyPeer = false
        /// These peers (when not ``everyPeer``).
        var peers: Set<String> = []
    }

    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let attention = NIOLockedValueBox(Attention())

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Something was queued for `peers`.
    func wake<Peers: Sequence<String>>(for peers: Peers) {
        attention.withLockedValue { $0.peers.formUnion(peers) }
        continuation.yield()
    }

    /// Anything may be due for any peer (a retry that fell due, a peer unblocked).
    func wakeForEveryPeer() {
        attention.withLockedValue { $0.everyPeer = true }
        continuation.yield()
    }

    /// What was asked for since the last call, which it clears.
    func take() -> Attention {
        attention.withLockedValue { current in
            defer { current = Attention() }
            return current
        }
    }
}
