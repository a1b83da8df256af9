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
    /// A loop over a socket on `port` that binds again after 50 ms; each socket bound goes into `sockets`.
    private static func loop(port: Int, sockets: NIOLockedValueBox<[any Channel]>) async throws
        -> (AcceptLoop<NIOAsyncChannel<ByteBuffer, ByteBuffer>>, NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) {
        let bind: @Sendable () async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> = {
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            sockets.withLockedValue { $0.append(server.channel) }
            return server
        }
        return (AcceptLoop(what: "test connections", logger: Logger(label: "test"), bind: bind, pause: .milliseconds(50)), try await bind())
    }

    @Test("closing the listening socket under it: it listens again on the same port and accepts", .timeLimit(.minutes(2)))
    func rebindsAfterTheSocketEnds() async throws {
        let (port, sockets, accepted) = (try DaemonProcess.freePort(), NIOLockedValueBox<[any Channel]>([]), NIOLockedValueBox(0))
        let (loop, first) = try await Self.loop(port: port, sockets: sockets)
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
                    for _ in 0..<100 where accepted.withLockedValue({ $0 }) < count { try await Task.sleep(for: .milliseconds(10)) }
                    if accepted.withLockedValue({ $0 }) >= count { return true }
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

    @Test("a connection accepted before the socket ended is served on while it is bound again", .timeLimit(.minutes(3)))
    func connectionCarriesOn() async throws {
        let (port, sockets, accepted) = (try DaemonProcess.freePort(), NIOLockedValueBox<[any Channel]>([]), NIOLockedValueBox(0))
        let (loop, first) = try await Self.loop(port: port, sockets: sockets)
        // Each connection echoes what it reads until the client closes it.
        let serving = Task {
            await loop.run(first) { connection, connections in
                accepted.withLockedValue { $0 += 1 }
                connections.addTask {
                    try? await connection.executeThenClose { inbound, outbound in
                        for try await bytes in inbound { try await outbound.write(bytes) }
                    }
                }
            }
        }
        // The sockets block (with timeouts): off the cooperative pool, which serves the loop.
        // The timeouts are long: in a full run, tests that block the pool's two threads
        // (running the CLI, waiting for daemons) can hold the loop's tasks for seconds.
        func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
            }
        }
        func echoes(_ socket: LoopbackSocket, _ text: String) async throws -> Bool {
            try await blocking {
                try socket.send(Array(text.utf8))
                return try socket.receive(text.utf8.count) == Array(text.utf8)
            }
        }
        var early: LoopbackSocket? = try await blocking { try LoopbackSocket.connect(port: port, timeoutSeconds: 90) }
        #expect(try await echoes(early!, "before"))
        // The listening socket ends; a new connection shows it was bound again.
        try await sockets.withLockedValue { $0[0] }.close()
        var late: LoopbackSocket? = try await blocking { try LoopbackSocket.connect(port: port, timeoutSeconds: 90) }
        #expect(try await echoes(late!, "new socket"))
        #expect(sockets.withLockedValue { $0.count } == 2 && accepted.withLockedValue { $0 } == 2)
        // The connection accepted on the first socket is still served.
        #expect(try await echoes(early!, "after the rebinding"))
        // Closed by the client, the connections end, and with them the loop once cancelled.
        early = nil
        late = nil
        serving.cancel()
        try? await sockets.withLockedValue { $0.last }?.close()
        await serving.value
    }
}
