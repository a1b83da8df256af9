import Foundation
import LiaisonCore
import LiaisonCrypto
import LiaisonWire
import NIOCore
import NIOPosix

/// Opens an outbound session to a peer: dial its addresses in turn, Noise IK as
/// initiator, then hand the established session to `body` and close it cleanly.
struct PeerDialer {
    let context: DaemonContext
    let group: EventLoopGroup

    /// A session with this node's current keys. A partner not yet told of this
    /// node's key rotation is told first, on a session of its own made with the
    /// previous keys (it knows only those); if that fails, so does this.
    ///
    /// With a deadline (`until`), the whole exchange ends by then, whatever the
    /// peer sends meanwhile: the wait for this peer's handshake turn, the telling of
    /// a pending rotation, connecting, and the session, whose connection is closed
    /// at the deadline (a pending read then ends). For exchanges that must not wait
    /// on a peer that trickles a byte now and then (the idle timeout counts bytes,
    /// not whole messages).
    func withSession<T: Sendable>(to peer: PeerRecord, until: NIODeadline? = nil,
                                  _ body: (inout SecureSession) async throws -> T) async throws -> T {
        let announcer = RotationAnnouncer(context: context, group: group)
        try await announcer.tellIfPending(peer, until: until)
        let local = context.secrets.transport
        let result = try await withSession(to: peer, as: local, until: until, body)
        // After the overlap a partner never told that took the new card by hand is reached
        // with the new keys: it holds them, so it comes off the list (only if this session
        // used those keys: one begun before a rotation proves nothing of it).
        context.strikeOffRotationPendingOnceReached(peer, with: local.publicKey)
        return result
    }

    /// A session in which this node authenticates with `localStatic` (its current or, to
    /// announce a rotation, its previous transport key).
    func withSession<T: Sendable>(to peer: PeerRecord, as localStatic: TransportSecretKey, until: NIODeadline? = nil,
                                  _ body: (inout SecureSession) async throws -> T) async throws -> T {
        // One handshake with the peer at a time, from connecting to message 2 (``HandshakeTurns``).
        let turn = try await context.handshakeTurns.begin(peer: peer.logFingerprint.description, until: until)
        defer { turn.end() }
        let channel = try await connect(peer, until: until)
        let cut = until.map { [channel = channel.channel] in channel.eventLoop.scheduleTask(deadline: $0) { channel.close(promise: nil) } }
        defer { cut?.cancel() }
        return try await channel.executeThenClose { inbound, outbound in
            var reader = FrameReader(inbound)
            var writer = FrameWriter(outbound)
            var initiator = try NoiseIKInitiator(localStatic: localStatic, remoteStatic: peer.keys.transport,
                                                 prologue: HandshakeHello.prologue)
            try await writer.write(try initiator.writeMessage1(payload: HandshakeHello(timestamp: context.nextHandshakeTimestamp()).encoded))
            guard let message2 = try await withDeadline(context.settings.handshakeTimeout, channel: channel.channel, { try await reader.next() }) else {
                throw WireError(.handshakeRefused, "the peer closed the connection during the handshake (this node is unknown to it or revoked there, or it is limiting handshakes)")
            }
            turn.end()
            let fingerprint = peer.fingerprint.description
            let (welcome, noise) = try initiator.readMessage2(message2)
            let features = try HandshakeWelcome.features(decoding: welcome)
            context.liveSessions.add(channel.channel, peer: fingerprint)
            defer { context.liveSessions.remove(channel.channel, peer: fingerprint) }
            // Revoked or blocked during the handshake: the session ends before it is used.
            guard let current = context.peers.peer(named: peer.name), !current.revoked, current.trust != .blocked else {
                throw CoreError(.policyDenied, "\(peer.name) was revoked or blocked")
            }
            try await context.store.recordPeerContact(fingerprint: peer.fingerprint, at: Timestamp.now())
            var session = SecureSession(reader: reader, writer: writer, noise: noise, settings: context.settings)
            session.peerFeatures = features
            let result = try await body(&session)
            try? await session.send(.close(reason: .done))
            try? await context.store.addTraffic(fingerprint: peer.fingerprint, sent: Int64(session.writer.bytesWritten),
                                          received: Int64(session.reader.bytesRead))
            return result
        }
    }

    /// Connects to the first of the peer's addresses that answers, giving each
    /// ``connectTimeout``, or less if `until` comes sooner.
    private func connect(_ peer: PeerRecord, until: NIODeadline?) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        var lastError: Error = CoreError(.invalidArgument, "\(peer.name) has no address; add one with `liaison peers add … --address HOST:PORT`")
        for address in peer.addresses {
            guard let (host, port) = NetworkAddress.hostAndPort(address) else { continue }
            let timeout = until.map { min(Self.connectTimeout, $0 - .now()) } ?? Self.connectTimeout
            guard timeout > .zero else { throw DeadlinePassed() }
            do {
                return try await ClientBootstrap(group: group)
                    .connectTimeout(timeout)
                    .channelOption(ConnectionOptions.noDelay, value: 1)
                    .channelOption(.recvAllocator, value: ChannelReads.allocator)
                    .connect(host: host, port: port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(IdleStateHandler(allTimeout: context.settings.idleTimeout))
                            try channel.pipeline.syncOperations.addHandler(CloseOnIdleHandler())
                            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
            } catch {
                lastError = CoreError(.io, "cannot connect to \(address): \(Self.describe(error))")
            }
        }
        throw lastError
    }

    /// How long one address is given to accept a connection.
    static let connectTimeout = TimeAmount.seconds(5)

    /// A short reason for a failed connection ("connection refused", "timed out").
    static func describe(_ error: Error) -> String {
        if let failure = error as? NIOConnectionError, let first = failure.connectionErrors.first {
            if let io = first.error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
            return "\(first.error)"
        }
        if error is ChannelError { return "timed out" }
        return "\(error)"
    }
}
