import Foundation
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire

/// A hand-driven peer for protocol tests: speaks to a real daemon over loopback
/// with a chosen transport key, so tests can replay, corrupt and probe.
struct ProtocolClient {
    let socket: LoopbackSocket
    var session: NoiseSession?

    /// Connects to `port`.
    init(port: Int) throws { socket = try LoopbackSocket.connect(port: port, timeoutSeconds: 10) }

    /// Connects to `port` from the loopback address `source` (127.0.0.2, …).
    init(port: Int, from source: String) throws { socket = try LoopbackSocket.connect(port: port, from: source) }

    /// Message 1 for a handshake from `local` to the responder `remote`.
    static func message1(local: TransportSecretKey, remote: TransportPublicKey, timestamp: UInt64) throws -> (NoiseIKInitiator, [UInt8]) {
        var initiator = try NoiseIKInitiator(localStatic: local, remoteStatic: remote, prologue: HandshakeHello.prologue)
        let m1 = try initiator.writeMessage1(payload: HandshakeHello(timestamp: timestamp).encoded)
        return (initiator, m1)
    }

    /// A full handshake; throws if the daemon does not answer.
    mutating func handshake(local: TransportSecretKey, remote: TransportPublicKey) throws {
        var (initiator, m1) = try Self.message1(local: local, remote: remote, timestamp: Self.nowNanos())
        try socket.sendFrame(m1)
        session = try initiator.readMessage2(try socket.receiveFrame()).session
    }

    mutating func send(_ message: SessionMessage) throws {
        try socket.sendFrame(try session!.sender.encrypt(message.encoded))
    }

    mutating func receive() throws -> SessionMessage {
        try SessionMessage(decoding: try session!.receiver.decrypt(try socket.receiveFrame()))
    }

    static func nowNanos() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1e9) }

    /// The secrets of a test node created with --no-passphrase.
    static func secrets(home: String) throws -> NodeSecrets {
        let nodeHome = NodeHome(path: home)
        return try nodeHome.loadSecrets(try nodeHome.loadConfiguration(), passphrase: PassphraseSource())
    }

    /// A node's public keys from its configuration.
    static func publicKeys(home: String) throws -> NodePublicKeys {
        try NodeHome(path: home).loadConfiguration().publicKeys
    }
}
