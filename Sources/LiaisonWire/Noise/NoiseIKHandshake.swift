import LiaisonCrypto

/// The protocol name, exactly 32 bytes, so it is used as the initial hash unpadded.
public let noiseProtocolName = Array("Noise_IK_25519_ChaChaPoly_SHA256".utf8)

/// The established transport of a completed handshake.
public struct NoiseSession: Sendable {
    /// Encrypts what this side sends.
    public var sender: NoiseCipherState
    /// Decrypts what this side receives.
    public var receiver: NoiseCipherState
    /// The final handshake hash, unique to this session (channel binding).
    public let handshakeHash: [UInt8]
}

/// The initiator's side of `Noise_IK_25519_ChaChaPoly_SHA256` (Noise spec §7.5):
///
///     <- s
///     ...
///     -> e, es, s, ss
///     <- e, ee, se
///
/// Pure: no I/O, no clock. The caller frames the messages and decides what the
/// payloads mean.
public struct NoiseIKInitiator {
    private enum State {
        case ready
        case sentMessage1
        case done
    }

    private var state = State.ready
    private var symmetric: NoiseSymmetricState
    private let localStatic: TransportSecretKey
    private let remoteStatic: TransportPublicKey
    private let ephemeral: X25519SecretKey<EphemeralRole>

    /// Prepares a handshake to the responder whose static key is `remoteStatic`.
    /// `ephemeral` is only for test vectors; normally a fresh key is made.
    public init(localStatic: TransportSecretKey, remoteStatic: TransportPublicKey, prologue: [UInt8],
                ephemeral: X25519SecretKey<EphemeralRole>? = nil) throws {
        self.localStatic = localStatic
        self.remoteStatic = remoteStatic
        self.ephemeral = try ephemeral ?? X25519SecretKey<EphemeralRole>(protection: .wiped)
        symmetric = NoiseSymmetricState(protocolName: noiseProtocolName)
        symmetric.mixHash(prologue)
        symmetric.mixHash(remoteStatic.rawRepresentation)   // pre-message: <- s
    }

    /// Message 1: `e, es, s, ss` and the encrypted payload.
    public mutating func writeMessage1(payload: [UInt8]) throws -> [UInt8] {
        precondition(state == .ready, "writeMessage1 called twice")
        let e = ephemeral.publicKey.rawRepresentation
        symmetric.mixHash(e)
        try symmetric.mixKey(try dh(ephemeral, remoteStatic.rawRepresentation))
        let encryptedStatic = try symmetric.encryptAndHash(localStatic.publicKey.rawRepresentation)
        try symmetric.mixKey(try dh(localStatic, remoteStatic.rawRepresentation))
        let encryptedPayload = try symmetric.encryptAndHash(payload)
        state = .sentMessage1
        return e + encryptedStatic + encryptedPayload
    }

    /// Reads message 2 (`e, ee, se`), returns its payload and the session.
    public mutating func readMessage2(_ message: [UInt8]) throws -> (payload: [UInt8], session: NoiseSession) {
        guard state == .sentMessage1 else { throw WireError(.unexpectedMessage, "handshake message 2 arrived before message 1 was sent") }
        guard message.count >= 32 + 16 else { throw WireError(.malformedHandshake, "handshake message 2 is \(message.count) bytes, too short") }
        let re = Array(message[0..<32])
        symmetric.mixHash(re)
        try symmetric.mixKey(try dh(ephemeral, re))
        try symmetric.mixKey(try dh(localStatic, re))
        let payload: [UInt8]
        do { payload = try symmetric.decryptAndHash(Array(message[32...])) } catch {
            throw WireError(.decryptFailed, "handshake message 2 does not authenticate: wrong responder key or tampering")
        }
        let (toResponder, toInitiator) = try symmetric.split()
        state = .done
        return (payload, NoiseSession(sender: toResponder, receiver: toInitiator, handshakeHash: symmetric.handshakeHash))
    }
}

/// The responder's side of `Noise_IK_25519_ChaChaPoly_SHA256`.
///
/// ``readMessage1(_:)`` reveals the initiator's static key so the caller can
/// decide — before sending anything — whether this is a known, unrevoked peer
/// with a fresh timestamp; only then does it call ``writeMessage2(payload:)``.
public struct NoiseIKResponder {
    private enum State {
        case ready
        case receivedMessage1(initiatorEphemeral: [UInt8], initiatorStatic: [UInt8])
        case done
    }

    private var state = State.ready
    private var symmetric: NoiseSymmetricState
    private let localStatic: TransportSecretKey
    private let ephemeral: X25519SecretKey<EphemeralRole>

    /// Prepares to answer handshakes to `localStatic`.
    public init(localStatic: TransportSecretKey, prologue: [UInt8], ephemeral: X25519SecretKey<EphemeralRole>? = nil) throws {
        self.localStatic = localStatic
        self.ephemeral = try ephemeral ?? X25519SecretKey<EphemeralRole>(protection: .wiped)
        symmetric = NoiseSymmetricState(protocolName: noiseProtocolName)
        symmetric.mixHash(prologue)
        symmetric.mixHash(localStatic.publicKey.rawRepresentation)
    }

    /// Reads message 1; returns the initiator's static public key and the payload.
    public mutating func readMessage1(_ message: [UInt8]) throws -> (initiatorStatic: [UInt8], payload: [UInt8]) {
        guard case .ready = state else { throw WireError(.unexpectedMessage, "a second handshake message 1 on one connection") }
        guard message.count >= 32 + 48 + 16 else { throw WireError(.malformedHandshake, "handshake message 1 is \(message.count) bytes, too short") }
        let re = Array(message[0..<32])
        symmetric.mixHash(re)
        try symmetric.mixKey(try dh(localStatic, re))
        let rs: [UInt8]
        let payload: [UInt8]
        do {
            rs = try symmetric.decryptAndHash(Array(message[32..<80]))
            try symmetric.mixKey(try dh(localStatic, rs))
            payload = try symmetric.decryptAndHash(Array(message[80...]))
        } catch let error as WireError where error.code == .lowOrderKey {
            throw error
        } catch {
            throw WireError(.decryptFailed, "handshake message 1 does not authenticate: not meant for this node, or tampered")
        }
        state = .receivedMessage1(initiatorEphemeral: re, initiatorStatic: rs)
        return (rs, payload)
    }

    /// Message 2: `e, ee, se` and the encrypted payload; returns it and the session.
    public mutating func writeMessage2(payload: [UInt8]) throws -> (message: [UInt8], session: NoiseSession) {
        guard case .receivedMessage1(let re, let rs) = state else {
            preconditionFailure("writeMessage2 before a valid message 1")
        }
        let e = ephemeral.publicKey.rawRepresentation
        symmetric.mixHash(e)
        try symmetric.mixKey(try dh(ephemeral, re))
        try symmetric.mixKey(try dh(ephemeral, rs))
        let encryptedPayload = try symmetric.encryptAndHash(payload)
        let (toResponder, toInitiator) = try symmetric.split()
        state = .done
        return (e + encryptedPayload, NoiseSession(sender: toInitiator, receiver: toResponder, handshakeHash: symmetric.handshakeHash))
    }
}

/// X25519 with a low-order check turned into a wire error.
private func dh<Role>(_ secret: X25519SecretKey<Role>, _ publicKey: [UInt8]) throws -> SecureBytes {
    do {
        return try secret.sharedSecret(withRaw: publicKey)
    } catch let error as CryptoError where error.code == .lowOrderPoint {
        throw WireError(.lowOrderKey, "the peer sent a low-order public key")
    }
}
