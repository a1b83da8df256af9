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

/// The reply in Noise message 2: the version, then a byte of features the
/// responder takes. A responder of an earlier release sends the version alone
/// (no features), and the dialler then uses only what every release takes.
public enum HandshakeWelcome {
    /// Features a responder may take.
    public struct Features: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Whole small packages in `push` messages, many in flight.
        public static let push = Features(rawValue: 1 << 0)
    }

    /// What this release takes.
    public static let supported: Features = [.push]

    /// The 2-byte payload this release sends.
    public static var encoded: [UInt8] { [HandshakeHello.version, supported.rawValue] }

    /// The features a responder's payload announces (none from a version-only
    /// payload); a payload of another version or length is malformed.
    public static func features(decoding payload: [UInt8]) throws -> Features {
        guard payload.first == HandshakeHello.version, payload.count <= 2 else {
            throw WireError(.malformedHandshake, "the peer answered the handshake with an unknown payload (another protocol version?)")
        }
        return payload.count == 2 ? Features(rawValue: payload[1]) : []
    }
}

import LiaisonCore
