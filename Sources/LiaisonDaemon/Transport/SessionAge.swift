import LiaisonWire
import NIOConcurrencyHelpers
import NIOCore

/// How a receiver holds an inbound session to its lifetime (`session-lifetime-seconds`).
/// A sender renews its session once it is that old, between packages; a session
/// past twice the lifetime is ended by the receiver when the sender starts new work
/// (an offer or a push, with nothing in progress) — never in the middle of a
/// transfer. One that sends no whole message for an idle timeout once past twice
/// the lifetime (a byte now and then keeps the connection's idle timer from
/// firing) is closed all the same.
final class SessionAge: Sendable {
    private let ends: NIODeadline
    private let lastMessage = NIOLockedValueBox(NIODeadline.now())
    private let watch: ChannelWatch

    /// Watches `channel`, a session that starts now, until ``stop()``; `closing` logs
    /// why it is closed when it is.
    init(lifetime: Duration, idle: TimeAmount, channel: any Channel, closing: @escaping @Sendable () -> Void) {
        let ends = NIODeadline.now() + .nanoseconds(Int64(lifetime.components.seconds) * 2_000_000_000)
        self.ends = ends
        let lastMessage = self.lastMessage
        watch = ChannelWatch(channel, first: ends) {
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

    /// Whether the session is past twice its lifetime: the next new work ends it.
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
