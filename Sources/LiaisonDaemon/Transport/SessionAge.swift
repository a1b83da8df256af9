import LiaisonWire
import NIOConcurrencyHelpers
import NIOCore

/// How a receiver holds an inbound session to its lifetime (`session-lifetime-seconds`)
/// and to its idle timeout. A sender renews its session once it is that old, between
/// packages; a session past twice the lifetime is ended by the receiver when the
/// sender starts new work (an offer or a push, with nothing in progress) — never in
/// the middle of a transfer. A session that sends no whole message for the idle
/// timeout is closed, whatever its age (a peer sending a byte now and then does not
/// keep it open) — unless this node is still at work on what it sent (verifying a
/// large package): its answer is owed, and the quiet is not the peer's.
final class SessionAge: Sendable {
    private let ends: NIODeadline
    private let lastMessage = NIOLockedValueBox(NIODeadline.now())
    /// Messages this node is still handling.
    private let handling = NIOLockedValueBox(0)
    private let watch: ChannelWatch

    /// Watches `channel`, a session that starts now, until ``stop()``; `closing` logs
    /// why it is closed when it is.
    init(lifetime: Duration, idle: TimeAmount, channel: any Channel, closing: @escaping @Sendable () -> Void) {
        let ends = NIODeadline.now() + .nanoseconds(Int64(lifetime.components.seconds) * 2_000_000_000)
        self.ends = ends
        let lastMessage = self.lastMessage, handling = self.handling
        watch = ChannelWatch(channel, first: NIODeadline.now() + idle) {
            guard handling.withLockedValue({ $0 }) == 0 else { return NIODeadline.now() + idle }
            let quietSince = lastMessage.withLockedValue { $0 }
            guard NIODeadline.now() - quietSince >= idle else { return quietSince + idle }
            closing()
            return nil
        }
    }

    /// A whole message arrived.
    func noteMessage() {
        lastMessage.withLockedValue { $0 = .now() }
    }

    /// Runs `body`, the handling of a message: the session is not idle meanwhile,
    /// and its quiet counts from the end.
    func handling<T>(_ body: () async throws -> T) async rethrows -> T {
        handling.withLockedValue { $0 += 1 }
        defer {
            // The quiet starts now: noted before the count drops, so a watch in between
            // sees the new time, not the one from before the handling.
            noteMessage()
            handling.withLockedValue { $0 -= 1 }
        }
        return try await body()
    }

    /// Whether the session is past twice its lifetime: the next new work ends it
    /// (a session quiet that long is closed by the idle watch anyway).
    var isOverAged: Bool { NIODeadline.now() >= ends }

    /// Stops watching (the session is over).
    func stop() { watch.stop() }
}

extension SessionMessage {
    /// An offer or a push: the start of new work from the sender.
    var startsWork: Bool {
        switch self {
        case .offer, .push: true
        default: false
        }
    }
}
