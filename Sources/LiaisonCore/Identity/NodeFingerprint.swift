import LiaisonCrypto

/// A node's id: BLAKE2b-256 of its identity public key under a domain label.
///
/// Shown to people as eleven groups of five base32 characters that end in a
/// 16-bit checksum, e.g. `k3v9q-…-x7p2a`, so a mistyped or misread fingerprint
/// is caught when it is parsed rather than silently matching nothing.
public struct NodeFingerprint: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The 32-byte digest.
    public let bytes: [UInt8]
    /// The full human form with checksum, e.g. `abcde-fghij-…` (rendered once:
    /// fingerprints are printed into every audit entry and store row).
    public let description: String

    private static let label: StaticString = "liaison/node-id/v1"
    private static let checksumLabel: StaticString = "liaison/node-id-checksum/v1"

    /// The fingerprint of `identity`.
    public init(identity: IdentityPublicKey) {
        var h = BLAKE2b(outputByteCount: 32)
        h.update(label: Self.label)
        h.update(identity.rawRepresentation)
        bytes = h.finalize()
        description = Self.render(bytes)
    }

    /// Adopts 32 bytes read from a signed structure.
    package init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
        description = Self.render(bytes)
    }

    /// Parses the human form (case-insensitive; dashes and spaces ignored) and checks its checksum.
    public init(parsing text: String) throws {
        let compact = text.lowercased().filter { $0 != "-" && $0 != " " }
        guard let decoded = Base32.decode(compact), decoded.count == 34 else {
            throw CoreError(.malformedFingerprint, "\"\(text.prefix(80))\" is not a node fingerprint (expected 55 base32 characters in groups of five)")
        }
        let digest = Array(decoded[0..<32])
        guard Sodium.constantTimeEquals(Self.checksum(digest), Array(decoded[32..<34])) else {
            throw CoreError(.malformedFingerprint, "the fingerprint's checksum does not match: a character was mistyped")
        }
        bytes = digest
        description = Self.render(digest)
    }

    private static func checksum(_ digest: [UInt8]) -> [UInt8] {
        var h = BLAKE2b(outputByteCount: 32)
        h.update(label: checksumLabel)
        h.update(digest)
        return Array(h.finalize().prefix(2))
    }

    /// Groups of five base32 characters joined by dashes, built as bytes in one
    /// buffer (receipts and headers decode fingerprints on every delivery).
    private static func render(_ bytes: [UInt8]) -> String {
        let encoded = Base32.encodeASCII(bytes + Self.checksum(bytes))
        var text: [UInt8] = []
        text.reserveCapacity(encoded.count + encoded.count / 5)
        for (i, character) in encoded.enumerated() {
            if i > 0 && i % 5 == 0 { text.append(UInt8(ascii: "-")) }
            text.append(character)
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The first three groups, for tables; not for verification.
    public var short: String {
        description.split(separator: "-").prefix(3).joined(separator: "-")
    }

    /// Equal when the digests are (the text is derived from them).
    public static func == (lhs: NodeFingerprint, rhs: NodeFingerprint) -> Bool { lhs.bytes == rhs.bytes }
    /// Hashes the digest.
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }

    public static func < (lhs: NodeFingerprint, rhs: NodeFingerprint) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

/// RFC 4648 base32, lower case, without padding (fingerprints).
enum Base32 {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// The base32 characters of `bytes`, as ASCII.
    static func encodeASCII(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for b in bytes {
            buffer = buffer << 8 | UInt32(b)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return out
    }

    static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for c in text.utf8 {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            buffer = (buffer << 5 | UInt32(v)) & 0xFFFF
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> UInt32(bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        // Leftover bits must be zero padding, so each value has one encoding.
        guard bits < 5, buffer & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return out
    }
}
