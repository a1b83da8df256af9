import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import LiaisonDaemon
import LiaisonTestSupport
import Testing

/// A listening socket that stops accepting outside a shutdown is bound again, and
/// the service goes on; the connections accepted before carry on.
@Suite("AcceptLoop: a socket that stops accepting is bound again")
struct AcceptLoopTests {
    @Test("closing the listening socket under it: it listens again on the same port and accepts", .timeLimit(.minutes(2)))
    func rebindsAfterTheSocketEnds() async throws {
        let port = try DaemonProcess.freePort()
        let sockets = NIOLockedValueBox<[any Channel]>([])
        let accepted = NIOLockedValueBox(0)
        let bind: @Sendable () async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> = {
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            sockets.withLockedValue { $0.append(server.channel) }
            return server
        }
        let loop = AcceptLoop(what: "test connections", logger: Logger(label: "test"), bind: bind, pause: .milliseconds(50))
        let first = try await bind()
        let serving = Task {
            await loop.run(first) { connection, connections in
                accepted.withLockedValue { $0 += 1 }
                connections.addTask { try? await connection.executeThenClose { _, _ in } }
            }
        }
        func connectAndCount(expecting count: Int) async throws -> Bool {
            for _ in 0..<200 {
                if let socket = try? LoopbackSocket.connect(port: port, timeoutSeconds: 1) {
                    withExtendedLifetime(socket) {}
                    for _ in 0..<100 where accepted.withLockedValue { $0 } < count { try await Task.sleep(for: .milliseconds(10)) }
                    if accepted.withLockedValue { $0 } >= count { return true }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            return false
        }
        #expect(try await connectAndCount(expecting: 1))
        // The socket ends without a shutdown (as after an accept error NIO does not retry).
        try await sockets.withLockedValue { $0[0] }.close()
        #expect(try await connectAndCount(expecting: 2), "no connection was accepted after the socket ended")
        #expect(sockets.withLockedValue { $0.count } == 2, "the socket was not bound again")
        serving.cancel()
        try? await sockets.withLockedValue { $0.last }?.close()
        await serving.value
    }
}
