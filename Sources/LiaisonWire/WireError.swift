/// The one public error type of `LiaisonWire`: what went wrong on a connection.
/// Messages are safe to log: they never contain key material or payload bytes.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable reasons.
    public enum Code: String, Sendable, Hashable {
        /// A Noise message failed to decrypt or authenticate.
        case decryptFailed = "wire.decrypt-failed"
        /// A handshake message had the wrong length or shape.
        case malformedHandshake = "wire.malformed-handshake"
        /// The peer closed the connection before answering the handshake: it does not
        /// know this node's key, revoked it, or is limiting handshakes (it says no more,
        /// by design: an unknown key gets no bytes back).
        case handshakeRefused = "wire.handshake-refused"
        /// The peer's key is a low-order point.
        case lowOrderKey = "wire.low-order-key"
        /// The initiator's static key is not a known, unrevoked peer.
        case unknownPeer = "wire.unknown-peer"
        /// Message 1's timestamp is not newer than the last one seen from this peer.
        case replayedHandshake = "wire.replayed-handshake"
        /// A frame was longer than the protocol allows.
        case frameTooLarge = "wire.frame-too-large"
        /// A message arrived in a state that does not expect it.
        case unexpectedMessage = "wire.unexpected-message"
        /// A nonce counter would wrap: the session must end.
        case nonceExhausted = "wire.nonce-exhausted"
    }

    /// Why.
    public let code: Code
    /// For the operator.
    public let message: String

    /// Creates an error; `message` must not contain secrets.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code.rawValue)]" }
    public static func == (lhs: WireError, rhs: WireError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
