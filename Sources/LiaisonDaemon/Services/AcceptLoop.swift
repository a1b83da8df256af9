import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle

/// Accepts connections on one listening socket until the daemon stops.
///
/// A service whose `run()` ends stops the whole daemon, and a listening socket can
/// stop accepting for reasons of its own: NIO keeps accepting after EMFILE, ENFILE,
/// ENOBUFS, ENOMEM and ECONNABORTED, but closes the socket on any other `accept`
/// error (EPERM from a security module, EPROTO). Then this binds it again after a
/// pause, retrying until it can, and the connections already accepted carry on
/// meanwhile: they live in a task group around the socket, not under it.
struct AcceptLoop<Connection: Sendable>: Sendable {
    /// For the log: what the socket accepts, e.g. "partner daemons on 0.0.0.0:7401".
    let what: String
    let logger: Logger
    /// Binds the socket again (the first binding is the caller's, whose failure stops the start).
    let bind: @Sendable () async throws -> NIOAsyncChannel<Connection, Never>
    /// The pause before binding again, and between attempts.
    var pause: Duration = .seconds(1)

    /// Serves `first` and its successors until graceful shutdown, which closes the
    /// socket; `accept` hands each connection to the task group (as a task of its
    /// own). Returns once the connections accepted have finished.
    func run(_ first: NIOAsyncChannel<Connection, Never>,
             accept: (Connection, inout DiscardingTaskGroup) -> Void) async {
        let current = NIOLockedValueBox<(any Channel)?>(first.channel)
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { connections in
                var server = first
                while true {
                    var reason = "it stopped accepting"
                    do {
                        try await server.executeThenClose { inbound in
                            for try await connection in inbound { accept(connection, &connections) }
                        }
                    } catch {
                        reason = "\(error)"
                    }
                    if Task.isShuttingDownGracefully || Task.isCancelled { return }
                    logger.error("no longer accepting \(what) (\(reason)); listening again")
                    guard let next = await rebind() else { return }
                    current.withLockedValue { $0 = next.channel }
                    // Shut down while binding: the handler already ran for the old socket.
                    if Task.isShuttingDownGracefully || Task.isCancelled {
                        try? await next.channel.close()
                        return
                    }
                    server = next
                }
            }
        } onGracefulShutdown: {
            current.withLockedValue { $0 }?.close(promise: nil)
        }
    }

    /// Binds again after a pause, as often as it takes; nil once the daemon is stopping.
    private func rebind() async -> NIOAsyncChannel<Connection, Never>? {
        while true {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return nil }
            do {
                let server = try await bind()
                logger.notice("accepting \(what) again")
                return server
            } catch {
                logger.error("cannot listen for \(what) again (\(error)); retrying")
            }
        }
    }
}

extension DiscardingTaskGroup {
    /// Closes a connection the accept loop turned away, on a task of its own: closed
    /// through the wrapper, since an async channel dropped unfinished traps.
    mutating func closeUnserved<Inbound: Sendable, Outbound: Sendable>(_ connection: NIOAsyncChannel<Inbound, Outbound>) {
        addTask { try? await connection.executeThenClose { _, _ in } }
    }
}
