import LiaisonCore
import LiaisonWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Accepts partner daemons on the node's listen addresses. On graceful shutdown
/// it stops accepting and lets connections in flight finish their transfers.
struct TransportListener: Service {
    let context: DaemonContext
    let group: EventLoopGroup

    func run() async throws {
        let limiter = NIOLockedValueBox(HandshakeRateLimiter(ratePerSecond: context.settings.handshakeRate, burst: context.settings.handshakeBurst))
        let settings = context.settings
        let admission = InboundAdmission(capacity: settings.maximumConnections, perSource: settings.maximumHandshakesPerSource)
        // A node without a listen address only sends (said at start): the service waits for the stop.
        if context.configuration.listen.isEmpty {
            try? await gracefulShutdown()
            return
        }
        try await withThrowingDiscardingTaskGroup { group in
            for address in context.configuration.listen {
                guard let (host, port) = NetworkAddress.hostAndPort(address) else { continue }
                let bind: @Sendable () async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> = { [eventLoops = self.group] in
                    do {
                        return try await ServerBootstrap(group: eventLoops)
                            .serverChannelOption(.backlog, value: 256)
                            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                            // No idle handler: a connection is bounded by its handshake deadline, then
                            // as a session by ``SessionAge`` (no whole message for the idle timeout).
                            // No child channel options either: one that fails (a connection reset
                            // before it is set up) ends the whole accept stream, so they are set here.
                            .bind(host: host, port: port) { channel in
                                channel.eventLoop.makeCompletedFuture {
                                    ConnectionOptions.apply(to: channel)
                                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                                }
                            }
                    } catch {
                        throw BindFailure.error(error, address: address, setting: "listen", purpose: "partner daemons")
                    }
                }
                let server = try await bind()
                context.logger.info("listening for partner daemons on \(address)")
                let loop = AcceptLoop(what: "partner daemons on \(address)", logger: context.logger, bind: bind)
                group.addTask {
                    await loop.run(server) { connection, connections in
                        let source = InboundAdmission.source(of: connection.channel.remoteAddress)
                        // Rate-limited before it may take a slot (and so close another's).
                        guard limiter.withLockedValue({ $0.allow(source: source, now: SecureSession.now()) }) else {
                            context.refusalLog.log(.notice, "handshake refused: rate limit exceeded for \(source)")
                            DaemonMetrics.handshake(accepted: false, reason: "rate-limit")
                            connections.closeUnserved(connection)
                            return
                        }
                        // Then all sources no partner in good standing used lately, together (the
                        // keyring's lock is taken inside this one; nothing takes them the other way).
                        guard context.newSources.withLockedValue({ budget in
                            budget.allow(source: source, now: SecureSession.now()) { lineage in
                                context.peers.keyring.peers.contains { $0.logFingerprint.description == lineage && !$0.revoked && $0.trust != .blocked }
                            }
                        }) else {
                            context.refusalLog.log(.notice, "handshake refused: \(source) is no partner's address of late, and such sources are over their budget (new-source-handshakes-per-second)")
                            DaemonMetrics.handshake(accepted: false, reason: "new-source-budget")
                            connections.closeUnserved(connection)
                            return
                        }
                        switch admission.admit(connection.channel, source: source) {
                        case .admit:
                            break
                        case .admitEvicting:
                            context.refusalLog.log(.notice, "every connection slot was taken: closed the oldest connection still in its handshake to admit one from \(source)")
                        case .refuseSourceBusy:
                            context.refusalLog.log(.notice, "connection from \(source) refused: \(settings.maximumHandshakesPerSource) of its connections are already in their handshakes")
                            DaemonMetrics.handshake(accepted: false, reason: "source-busy")
                            connections.closeUnserved(connection)
                            return
                        case .refuseFull:
                            context.refusalLog.log(.warning, "connection from \(source) refused: \(settings.maximumConnections) sessions already open (max-connections)")
                            DaemonMetrics.handshake(accepted: false, reason: "connections-full")
                            connections.closeUnserved(connection)
                            return
                        }
                        connections.addTask {
                            defer { admission.leave(connection.channel) }
                            await InboundConnection(context: context, admission: admission).run(connection)
                        }
                    }
                }
            }
        }
    }
}

import Foundation

extension TransportListener: CustomStringConvertible {
    var description: String { "TransportListener" }
}
