import NIOCore

/// Closes a channel when `IdleStateHandler` reports no traffic for too long.
final class CloseOnIdleHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// Runs `body`, closing `channel` if it takes longer than `timeout` (which makes
/// any pending read end).
func withDeadline<T>(_ timeout: TimeAmount, channel: Channel, _ body: () async throws -> T) async throws -> T {
    let task = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    defer { task.cancel() }
    return try await body()
}

/// An exchange with a peer ran out of the time it was given (`PeerDialer`'s `until`).
struct DeadlinePassed: Error, CustomStringConvertible {
    var description: String { "it did not finish in the time it was given" }
}
