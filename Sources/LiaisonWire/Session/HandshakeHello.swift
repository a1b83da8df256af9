/// What a dialling daemon puts in Noise message 1: the protocol version and a
/// timestamp (nanoseconds since the Unix epoch) that must be newer than the last
/// one the responder saw from this peer, so a recorded message 1 cannot be
/// replayed (as in WireGuard). No package data ever travels in message 1.
public struct HandshakeHello: Equatable, Sendable {
    /// The only session protocol version.
    public static let version: UInt8 = 1
    /// The Noise prologue: both sides must agree on it or the handshake fails.
    public static let prologue = Array("liaison/transport/v1".utf8)

    /// Monotonic per sender: nanoseconds since the epoch, bumped if the clock stalls.
    public let timestamp: UInt64

    /// A hello carrying `timestamp`.
    public init(timestamp: UInt64) { self.timestamp = timestamp }

    /// The 9-byte payload.
    public var encoded: [UInt8] { [Self.version] + timestamp.bigEndianBytes }

    /// Parses a message-1 payload.
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count == 9 else { throw WireError(.malformedHandshake, "the handshake payload is \(bytes.count) bytes, expected 9") }
        guard bytes[0] == Self.version else {
            throw WireError(.malformedHandshake, "the peer speaks session protocol version \(bytes[0]); this node speaks \(Self.version)")
        }
        timestamp = bytes[1...].reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// The reply in Noise message 2: the version, nothing else.
public enum HandshakeWelcome {
    /// The 1-byte payload.
    public static var encoded: [UInt8] { [HandshakeHello.version] }
}

import LiaisonCore
