import Foundation
import LiaisonCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// Serves `GET /metrics` in the Prometheus text format on the address given by
/// `[daemon] metrics-listen` (off by default; bind it to loopback or a management
/// network: it shows peer names and traffic, never keys or contents). A
/// connection that sends nothing for ``idleTimeout`` is closed, and at most
/// ``maximumConnections`` are served at once (one past it is closed at once), so
/// connections left open cannot use up the daemon's file descriptors.
struct MetricsServer: Service, CustomStringConvertible {
    /// How long a connection may stay silent.
    static let idleTimeout = TimeAmount.seconds(10)
    /// Connections served at once.
    static let maximumConnections = 16
    /// The longest a connection is kept, however it trickles.
    static let exchangeDeadline = TimeAmount.seconds(30)

    let address: String
    let registry: PrometheusCollectorRegistry
    let group: EventLoopGroup
    let logger: Logger

    var description: String { "MetricsServer" }

    func run() async throws {
        guard let (host, port) = NetworkAddress.hostAndPort(address) else { return }
        let bind: @Sendable () async throws -> NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never> = {
            [group, address] in
            do {
                return try await ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers(IdleStateHandler(allTimeout: Self.idleTimeout), CloseOnIdleHandler())
                            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                            return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                throw BindFailure.error(error, address: address, setting: "metrics-listen", purpose: "metrics")
            }
        }
        let server = try await bind()
        logger.info("metrics on http://\(address)/metrics")
        let registry = self.registry
        let open = NIOLockedValueBox(0)
        await AcceptLoop(what: "metrics scrapes on \(address)", logger: logger, bind: bind).run(server) { connection, connections in
            let admitted = open.withLockedValue { count -> Bool in
                guard count < Self.maximumConnections else { return false }
                count += 1
                return true
            }
            guard admitted else {
                connections.closeUnserved(connection)
                return
            }
            connections.addTask {
                defer { open.withLockedValue { $0 -= 1 } }
                // A whole exchange gets ``exchangeDeadline``: a client trickling a byte at a
                // time resets the idle timer, not this.
                let channel = connection.channel
                let cut = channel.eventLoop.scheduleTask(in: Self.exchangeDeadline) { channel.close(promise: nil) }
                defer { cut.cancel() }
                try? await connection.executeThenClose { requests, responses in
                    for try await part in requests {
                        guard case .head(let head) = part else { continue }
                        // HEAD as GET without the body (`curl -I`, health checks); another
                        // method on /metrics is told which it may use (405), not that nothing is there.
                        let path = head.uri.split(separator: "?").first == "/metrics"
                        let readable = head.method == .GET || head.method == .HEAD
                        let found = path && readable
                        let status: HTTPResponseStatus = found ? .ok : path ? .methodNotAllowed : .notFound
                        let body = found ? registry.emitToBuffer() : Array((path ? "use GET\n" : "not found\n").utf8)
                        var headers = HTTPHeaders()
                        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4" : "text/plain")
                        headers.add(name: "Content-Length", value: String(body.count))
                        headers.add(name: "Connection", value: "close")
                        if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
                        try await responses.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
                        if head.method != .HEAD { try await responses.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
                        try await responses.write(.end(nil))
                        break
                    }
                }
            }
        }
    }
}
