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
/// known, unrevoked, unblocked peer and carries a fresh timestamp; the whole
/// handshake must finish in time (the listener rate-limits handshakes per source
/// and holds the connection slots: ``InboundAdmission``).
struct InboundConnection {
    let context: DaemonContext
    /// The listener's connection slots: this connection's is made its own for good once it authenticates.
    let admission: InboundAdmission

    func run(_ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let remote = channel.channel.remoteAddress?.ipAddress ?? "unknown"
        var logger = context.logger
        logger[metadataKey: "remote"] = "\(remote)"
        let deadline = channel.channel.eventLoop.scheduleTask(in: context.settings.handshakeTimeout) {
            channel.channel.close(promise: nil)
        }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var reader = FrameReader(inbound)
                var writer = FrameWriter(outbound)
                guard let (peer, noise, localIdentity) = try await handshake(reader: &reader, writer: &writer, remote: remote, logger: logger) else { return }
                deadline.cancel()
                admission.authenticate(channel.channel)
                logger[metadataKey: "peer"] = "\(peer.name)"
                // Register it so a later revocation can end it, unless the peer already
                // holds as many sessions as it may (a partner needs a few at most).
                let fingerprint = peer.fingerprint.description
                guard context.liveSessions.add(channel.channel, peer: fingerprint, limit: context.settings.maximumSessionsPerPeer) else {
                    logger.warning("session closed: \(peer.name) already has \(context.settings.maximumSessionsPerPeer) sessions open (max-sessions-per-peer)")
                    return
                }
                defer { context.liveSessions.remove(channel.channel, peer: fingerprint) }
                // Revoked or blocked while we were answering: end it now.
                guard let current = context.peers.peer(named: peer.name), !current.revoked, current.trust != .blocked else { return }
                let session = SecureSession(reader: reader, writer: writer, noise: noise, settings: context.settings)
                // Held to its lifetime (``SessionAge``): ended past twice it at the sender's
                // next new work; closed whenever no whole message came for an idle timeout.
                let age = SessionAge(lifetime: context.settings.sessionLifetime, idle: context.settings.idleTimeout, channel: channel.channel) { [logger] in
                    logger.notice("session with \(peer.name) closed: no whole message for idle-timeout-seconds")
                }
                defer { age.stop() }
                var receiver = PackageReceiver(context: context, peer: peer, logger: logger)
                receiver.remote = remote
                receiver.localIdentity = localIdentity
                defer { receiver.abandon() }
                let source = InboundAdmission.source(of: channel.channel.remoteAddress)
                let traffic = await serve(session, receiver: &receiver, age: age, logger: logger) {
                    // A message from the peer decrypted: it holds its keys (a replayed message 1
                    // never gets this far), so its address is one of its own (``NewSourceBudget``).
                    guard source != "unknown" else { return }
                    context.newSources.withLockedValue { $0.used(source: source, by: peer.logFingerprint.description, now: SecureSession.now()) }
                }
                // The peer revoked its own key: end every session with it, this one too.
                if receiver.peerRevokedItself { context.cutSessions(of: peer) }
                try? await context.store.addTraffic(fingerprint: peer.fingerprint, sent: traffic.sent, received: traffic.received)
            }
        } catch {
            logger.debug("inbound connection closed: \(error)")
        }
        deadline.cancel()
    }

    /// Most pushed packages of one session being taken at once (each is verified,
    /// recorded and answered on its own task, so their commits are shared).
    static let concurrentPushes = 64

    /// Runs the session until the peer closes it: one task reads and handles
    /// messages, pushed packages are taken concurrently, and one writer task sends
    /// every answer as it is ready. Whoever hands the writer an answer waits until it
    /// is written, so a peer that stops reading holds at most
    /// ``concurrentPushes`` answers in memory. Returns the bytes sent and received.
    /// `firstMessage` runs once, when the peer's first message has decrypted.
    private func serve(_ session: SecureSession, receiver: inout PackageReceiver, age: SessionAge, logger: Logger,
                       firstMessage: () -> Void) async -> (sent: Int64, received: Int64) {
        var inbound = session.inbound
        let replyQueue = ReplyQueue()
        /// Queues `message` for the writer and returns once it was written (or the connection failed).
        @Sendable func answer(_ message: SessionMessage) async { await replyQueue.answer(message) }
        let outbound = session.outbound
        return await withTaskGroup(of: Int.self) { writerGroup in
            writerGroup.addTask {
                var out = outbound
                // Every queued answer is let go, written or not, so nobody waits forever.
                await replyQueue.drain { messages in try await out.send(contentsOf: messages) }
                return out.writer.bytesWritten
            }
            do {
                try await withThrowingTaskGroup(of: Void.self) { pushes in
                    // Push tasks added and not yet collected (bounds the group), and those
                    // still at work (a finished one may wait to be collected).
                    var running = 0
                    let working = NIOLockedValueBox(0)
                    var first = true
                    while let message = try await inbound.receive() {
                        age.noteMessage()
                        if first {
                            first = false
                            firstMessage()
                        }
                        if case .close = message { break }
                        // A sender renews its session at the lifetime: one past twice that is
                        // ended when it starts new work with nothing in progress.
                        if age.isOverAged, working.withLockedValue({ $0 }) == 0, receiver.isIdle, message.startsWork {
                            logger.notice("session with \(receiver.peer.name) ended: older than twice session-lifetime-seconds")
                            await answer(.close(reason: .timeout))
                            break
                        }
                        if case .push(let id, let expires, let bytes) = message {
                            if running >= Self.concurrentPushes {
                                try await pushes.next()
                                running -= 1
                            }
                            let taker = receiver
                            working.withLockedValue { $0 += 1 }
                            pushes.addTask {
                                await answer(await age.handling { await taker.receivePush(id: id, expires: expires, bytes: bytes) })
                                working.withLockedValue { $0 -= 1 }
                            }
                            running += 1
                            continue
                        }
                        for reply in try await age.handling({ try await receiver.handle(message) }) { await answer(reply) }
                        if receiver.peerRevokedItself { break }
                    }
                    try await pushes.waitForAll()
                }
            } catch is CancellationError {
                await answer(.close(reason: .shutdown))
            } catch {
                logger.warning("session with \(receiver.peer.name) ended: \(error)")
                await answer(.close(reason: .protocolError))
            }
            replyQueue.finish()
            let sent = await writerGroup.next() ?? 0
            return (Int64(sent), Int64(inbound.reader.bytesRead))
        }
    }

    /// Reads message 1 and answers only a known, fresh peer.
    private func handshake(reader: inout FrameReader, writer: inout FrameWriter, remote: String,
                           logger: Logger) async throws -> (PeerRecord, NoiseSession, IdentitySecretKey)? {
        /// Records a refused handshake; nothing is sent back either way. `byAnyone`: a
        /// refusal anyone on the network can cause without a peer's keys (garbage, an
        /// unknown key, a revoked or blocked peer's key, a message 1 seen on the wire
        /// and resent), recorded within the tighter budget for those.
        func rejected(_ reason: String, peer: PeerRecord? = nil, byAnyone: Bool = false) async {
            let event = context.event(.handshakeRejected, .denied, actor: peer.map(DaemonContext.actor) ?? .daemon,
                                      peer: peer, reason: reason, remote: remote)
            if byAnyone { await context.auditAnonymousRefusal(event) } else { await context.auditNetworkRefusal(event) }
        }
        guard let message1 = try await reader.next() else { return nil }
        // Addressed to the current transport key, or to the previous one during a
        // rotation's overlap (a partner not told yet knows only that one).
        let now = Timestamp.now()
        var answered: (responder: NoiseIKResponder, initiatorStatic: [UInt8], payload: [UInt8], identity: IdentitySecretKey,
                       transport: TransportPublicKey)?
        for keys in context.handshakeSecrets(at: now) {
            var candidate = try NoiseIKResponder(localStatic: keys.transport, prologue: HandshakeHello.prologue)
            if let (initiatorStatic, payload) = try? candidate.readMessage1(message1) {
                answered = (candidate, initiatorStatic, payload, keys.identity, keys.transport.publicKey)
                break
            }
        }
        guard let answered else {
            context.refusalLog.log(.notice, "handshake rejected: message 1 does not decrypt with this node's transport key", via: logger)
            DaemonMetrics.handshake(accepted: false, reason: "decrypt")
            await rejected("handshake.undecryptable: message 1 does not decrypt with this node's transport key", byAnyone: true)
            return nil
        }
        var responder = answered.responder
        let initiatorStatic = answered.initiatorStatic, payload = answered.payload, localIdentity = answered.identity
        guard let peer = context.peers.peer(transportKey: initiatorStatic) else {
            context.refusalLog.log(.notice, "handshake rejected: unknown static key; nothing sent back", via: logger)
            DaemonMetrics.handshake(accepted: false, reason: "unknown-key")
            await rejected("handshake.unknown-key: the initiator's static key \(Hex.encode(initiatorStatic)) is not a peer's", byAnyone: true)
            return nil
        }
        guard !peer.revoked, peer.trust != .blocked else {
            logger.notice("handshake rejected: \(peer.name) is \(peer.revoked ? "revoked" : "blocked"); nothing sent back")
            DaemonMetrics.handshake(accepted: false, reason: peer.revoked ? "revoked" : "blocked")
            await rejected(peer.revoked ? "handshake.revoked: the peer's key is revoked" : "handshake.blocked: the peer is blocked", peer: peer,
                           byAnyone: true)
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
        // A replay is known by reading alone: refused before it can use up the peer's
        // handshakes below (anyone who saw a message 1 on the wire can resend it).
        func refuseReplay() async {
            logger.warning("handshake rejected from \(peer.name): replayed or stale timestamp")
            DaemonMetrics.handshake(accepted: false, reason: "replay")
            await rejected("handshake.replay: a replayed or stale message 1", peer: peer, byAnyone: true)
        }
        if (try? context.store.isStaleHandshake(fingerprint: peer.logFingerprint, timestamp: hello.timestamp)) == true {
            await refuseReplay()
            return nil
        }
        // Before the replay check's durable write and the accepted handshake's audit
        // entry (a refusal is recorded within the refusal budget).
        guard context.peerHandshakes.withLockedValue({ $0.allow(source: peer.logFingerprint.description, now: SecureSession.now()) }) else {
            let limit = Int(context.settings.peerHandshakesPerMinute)
            logger.warning("handshake rejected from \(peer.name): more than \(limit) handshakes a minute from it (peer-handshakes-per-minute); nothing sent back")
            DaemonMetrics.handshake(accepted: false, reason: "peer-rate")
            await rejected("handshake.peer-rate: more than \(limit) handshakes a minute from the peer", peer: peer)
            return nil
        }
        // Keyed by the fingerprint that names the peer for life (its first one), so a
        // message 1 recorded before the peer rotated cannot be replayed after it.
        guard try await context.store.recordHandshake(fingerprint: peer.logFingerprint, timestamp: hello.timestamp, at: Timestamp.now()) else {
            await refuseReplay()
            return nil
        }
        // No session without its audit record.
        try await context.audit(context.event(.handshakeAccepted, actor: DaemonContext.actor(peer), peer: peer, remote: remote))
        let (message2, session) = try responder.writeMessage2(payload: HandshakeWelcome.encoded)
        try await writer.write(message2)
        logger.info("handshake accepted from \(peer.name)")
        DaemonMetrics.handshake(accepted: true, reason: "ok")
        // A partner never told of this node's rotation that dialled with the new keys holds them.
        context.strikeOffRotationPendingOnceReached(peer, with: answered.transport)
        return (peer, session, localIdentity)
    }
}
