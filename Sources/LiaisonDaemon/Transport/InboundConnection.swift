import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonWire
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Serves one inbound connection: the responder side of the handshake, then
/// receives packages from the (authenticated) peer and returns signed receipts.
///
/// Hardening: nothing at all is sent back unless message 1 decrypts, names a
/// known, unrevoked, unblocked peer and carries a fresh timestamp; handshakes
/// are rate-limited per source; the whole handshake must finish in time.
struct InboundConnection {
    let context: DaemonContext
    let limiter: NIOLockedValueBox<HandshakeRateLimiter>

    func run(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let source = channel.channel.remoteAddress?.ipAddress ?? "unknown"
        var logger = context.logger
        logger[metadataKey: "remote"] = "\(source)"
        let allowed = limiter.withLockedValue { $0.allow(source: source, now: SecureSession.now()) }
        guard allowed else {
            logger.notice("handshake refused: rate limit exceeded for this source")
            DaemonMetrics.handshake(accepted: false, reason: "rate-limit")
            // Close through the async channel so its writer is finished properly.
            try? await channel.executeThenClose { _, _ in }
            return
        }
        let deadline = channel.channel.eventLoop.scheduleTask(in: context.settings.handshakeTimeout) {
            channel.channel.close(promise: nil)
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var reader = FrameReader(inbound)
                var writer = FrameWriter(outbound)
                guard let (peer, noise, localIdentity) = try await handshake(reader: &reader, writer: &writer, remote: source, logger: logger) else { return }
                deadline.cancel()
                logger[metadataKey: "peer"] = "\(peer.name)"
                // Revoked or blocked while we were answering: end it now; otherwise
                // register it so a later revocation can.
                let fingerprint = peer.fingerprint.description
                context.liveSessions.add(channel.channel, peer: fingerprint)
                defer { context.liveSessions.remove(channel.channel, peer: fingerprint) }
                guard let current = context.peers.peer(named: peer.name), !current.revoked, current.trust != .blocked else { return }
                var session = SecureSession(reader: reader, writer: writer, noise: noise, settings: context.settings)
                var receiver = PackageReceiver(context: context, peer: peer, logger: logger)
                receiver.remote = source
                receiver.localIdentity = localIdentity
                defer { receiver.abandon() }
                do {
                    while let message = try await session.receive() {
                        if case .close = message { break }
                        for reply in try await receiver.handle(message) { try await session.send(reply) }
                        // The peer revoked its own key: end every session with it, this one too.
                        if receiver.peerRevokedItself { context.liveSessions.cut(peer: fingerprint); break }
                    }
                } catch {
                    logger.warning("session with \(peer.name) ended: \(error)")
                    try? await session.send(.close(reason: .protocolError))
                }
                try? context.store.addTraffic(fingerprint: peer.fingerprint, sent: Int64(session.writer.bytesWritten),
                                              received: Int64(session.reader.bytesRead))
            }
        } catch {
            logger.debug("inbound connection closed: \(error)")
        }
        deadline.cancel()
    }

    /// Reads message 1 and answers only a known, fresh peer.
    private func handshake(reader: inout FrameReader, writer: inout FrameWriter, remote: String,
                           logger: Logger) async throws -> (PeerRecord, NoiseSession, IdentitySecretKey)? {
        /// Records a refused handshake; nothing is sent back either way.
        func rejected(_ reason: String, peer: PeerRecord? = nil) async {
            await context.auditNetworkRefusal(context.event(.handshakeRejected, .denied, actor: peer.map(DaemonContext.actor) ?? .daemon,
                                                            peer: peer, reason: reason, remote: remote))
        }
        guard let message1 = try await reader.next() else { return nil }
        // Addressed to the current transport key, or to the previous one during a
        // rotation's overlap (a partner not told yet knows only that one).
        let now = Timestamp.now()
        var answered: (responder: NoiseIKResponder, initiatorStatic: [UInt8], payload: [UInt8], identity: IdentitySecretKey)?
        for keys in [context.secrets] + (context.previousSecrets(at: now).map { [$0] } ?? []) {
            var candidate = try NoiseIKResponder(localStatic: keys.transport, prologue: HandshakeHello.prologue)
            if let (initiatorStatic, payload) = try? candidate.readMessage1(message1) {
                answered = (candidate, initiatorStatic, payload, keys.identity)
                break
            }
        }
        guard let answered else {
            logger.notice("handshake rejected: message 1 does not decrypt with this node's transport key")
            DaemonMetrics.handshake(accepted: false, reason: "decrypt")
            await rejected("handshake.undecryptable: message 1 does not decrypt with this node's transport key")
            return nil
        }
        var responder = answered.responder
        let initiatorStatic = answered.initiatorStatic, payload = answered.payload, localIdentity = answered.identity
        guard let peer = context.peers.peer(transportKey: initiatorStatic) else {
            logger.notice("handshake rejected: unknown static key; nothing sent back")
            DaemonMetrics.handshake(accepted: false, reason: "unknown-key")
            await rejected("handshake.unknown-key: the initiator's static key \(Hex.encode(initiatorStatic)) is not a peer's")
            return nil
        }
        guard !peer.revoked, peer.trust != .blocked else {
            logger.notice("handshake rejected: \(peer.name) is \(peer.revoked ? "revoked" : "blocked"); nothing sent back")
            DaemonMetrics.handshake(accepted: false, reason: peer.revoked ? "revoked" : "blocked")
            await rejected(peer.revoked ? "handshake.revoked: the peer's key is revoked" : "handshake.blocked: the peer is blocked", peer: peer)
            return nil
        }
        let hello: HandshakeHello
        do { hello = try HandshakeHello(decoding: payload) } catch {
            logger.notice("handshake rejected from \(peer.name): \(error)")
            await rejected("handshake.malformed-hello: \(error)", peer: peer)
            return nil
        }
        // A timestamp far in the future would lock the peer out until then once stored.
        let nowNanos = UInt64(max(0, Timestamp.now())) &* 1_000_000_000
        guard hello.timestamp <= nowNanos &+ 300 * 1_000_000_000 else {
            logger.warning("handshake rejected from \(peer.name): its clock is more than 5 minutes ahead")
            DaemonMetrics.handshake(accepted: false, reason: "clock")
            await rejected("handshake.clock-ahead: the peer's clock is more than 5 minutes ahead", peer: peer)
            return nil
        }
        // Keyed by the fingerprint that names the peer for life (its first one), so a
        // message 1 recorded before the peer rotated cannot be replayed after it.
        guard try context.store.recordHandshake(fingerprint: peer.logFingerprint, timestamp: hello.timestamp, at: Timestamp.now()) else {
            logger.warning("handshake rejected from \(peer.name): replayed or stale timestamp")
            DaemonMetrics.handshake(accepted: false, reason: "replay")
            await rejected("handshake.replay: a replayed or stale message 1", peer: peer)
            return nil
        }
        // No session without its audit record.
        try await context.audit(context.event(.handshakeAccepted, actor: DaemonContext.actor(peer), peer: peer, remote: remote))
        let (message2, session) = try responder.writeMessage2(payload: HandshakeWelcome.encoded)
        try await writer.write(message2)
        logger.info("handshake accepted from \(peer.name)")
        DaemonMetrics.handshake(accepted: true, reason: "ok")
        return (peer, session, localIdentity)
    }
}
