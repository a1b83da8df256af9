import NIOConcurrencyHelpers
import NIOCore

/// A watch over a channel, on its event loop: at each deadline `look` decides
/// whether the channel may go on (it returns when to look again) or is to be
/// closed (it returns nil). One timer at a time, set again only when it fires, so
/// a channel done before the first deadline costs one timer set and cancelled.
/// ``stop()`` it when the channel's user is done with it.
final class ChannelWatch: Sendable {
    private let channel: any Channel
    private let look: @Sendable () -> NIODeadline?
    /// The pending look, and whether the watch was stopped (no look is set after that).
    private let pending = NIOLockedValueBox<(scheduled: Scheduled<Void>?, stopped: Bool)>((nil, false))

    /// Watches `channel`, looking first at `first`.
    init(_ channel: any Channel, first: NIODeadline, look: @escaping @Sendable () -> NIODeadline?) {
        self.channel = channel
        self.look = look
        set(first)
    }

    /// Ends the watch: no look after this one.
    func stop() {
        pending.withLockedValue { pending in
            pending.scheduled?.cancel()
            pending = (nil, true)
        }
    }

    private func set(_ deadline: NIODeadline) {
        pending.withLockedValue { pending in
            guard !pending.stopped else { return }
            pending.scheduled = channel.eventLoop.scheduleTask(deadline: deadline) { self.fire() }
        }
    }

    private func fire() {
        if let next = look() {
            set(next)
        } else {
            stop()
            channel.close(promise: nil)
        }
    }
}
