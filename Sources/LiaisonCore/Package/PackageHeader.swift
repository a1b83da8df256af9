import LiaisonCrypto

/// The header of a sealed package: everything before the first chunk.
///
/// Parsing checks structure only; authenticity is established by the opener
/// (sender box, then every chunk's signature over ``hash``).
public struct PackageHeader: Sendable {
    /// The package's random id.
    public let packageID: PackageID
    /// When the sender sealed it (Unix seconds).
    public let created: Int64
    /// When it stops being valid (Unix seconds), or `nil` for never.
    public let expires: Int64?
    /// Plaintext bytes per chunk (the final chunk may be shorter).
    public let chunkSize: Int
    /// The handling markings.
    public let markings: Markings
    /// Media type of the payload, e.g. `application/stix+json`.
    public let contentType: String
    /// The per-package ephemeral X25519 public key.
    let ephemeralPublicKey: [UInt8]
    /// One wrap per recipient: opaque tag and sealed payload key.
    let wraps: [Wrap]
    /// The sender's identity key sealed under the payload key.
    let senderBox: [UInt8]
    /// The exact header bytes, from the magic to the end of the sender box.
    public let encoded: [UInt8]
    /// Byte offset of the sender box in ``encoded``: the box authenticates all before it.
    let senderBoxOffset: Int
    /// BLAKE2b-512 of ``encoded``; bound into every chunk.
    public let hash: [UInt8]

    /// Number of recipients (the only thing an outsider learns about them).
    public var recipientCount: Int { wraps.count }

    struct Wrap: Sendable {
        let tag: [UInt8]
        let sealedKey: [UInt8]
    }

    /// The bytes an outsider could use to read the header: magic, version, length.
    static func parsePreamble(_ preamble: [UInt8]) throws -> Int {
        var r = ByteReader(preamble, truncation: CoreError(.truncated, "the package ends inside its preamble (magic, version, header length)"))
        guard try r.readBytes(8) == PackageFormat.magic else {
            throw CoreError(.badMagic, "this is not a Liaison package (wrong magic bytes)")
        }
        let version = try r.readUInt8()
        guard version == PackageFormat.version else {
            throw CoreError(.unsupportedVersion, "package format version \(version) is not supported (this build reads version \(PackageFormat.version))")
        }
        let length = Int(try r.readUInt32())
        guard length <= PackageFormat.maximumHeaderByteCount else {
            throw CoreError(.headerTooLarge, "the header claims \(length) bytes, more than the \(PackageFormat.maximumHeaderByteCount) allowed")
        }
        return length
    }

    /// Parses a complete header (preamble included).
    init(decoding encoded: [UInt8]) throws {
        let bodyLength = try Self.parsePreamble(Array(encoded.prefix(PackageFormat.preambleByteCount)))
        guard encoded.count == PackageFormat.preambleByteCount + bodyLength else {
            throw CoreError(.truncated, "the package ends inside its header")
        }
        var r = ByteReader(encoded, offset: PackageFormat.preambleByteCount,
                           truncation: CoreError(.malformedHeader, "a header field runs past the header's declared length"))
        packageID = PackageID(unchecked: try r.readBytes(PackageFormat.packageIDByteCount))
        let created = try r.readUInt64()
        let expires = try r.readUInt64()
        guard created <= UInt64(Int64.max), expires <= UInt64(Int64.max) else {
            throw CoreError(.malformedHeader, "the header's timestamps are out of range")
        }
        self.created = Int64(created)
        self.expires = expires == 0 ? nil : Int64(expires)
        if let e = self.expires, e <= self.created {
            throw CoreError(.malformedHeader, "the header expires before it was created")
        }
        chunkSize = Int(try r.readUInt32())
        guard PackageFormat.chunkSizeRange.contains(chunkSize) else {
            throw CoreError(.malformedHeader, "chunk size \(chunkSize) is outside \(PackageFormat.chunkSizeRange)")
        }
        markings = try Self.decodeMarkings(&r)
        let contentType = try r.readShortString()
        guard let ct = String(validating: contentType, as: UTF8.self), ContentType.isValid(ct), !ct.isEmpty else {
            throw CoreError(.malformedHeader, "the content type is not printable ASCII")
        }
        self.contentType = ct
        ephemeralPublicKey = try r.readBytes(32)
        let count = Int(try r.readUInt16())
        guard (1...PackageFormat.maximumRecipients).contains(count) else {
            throw CoreError(.malformedHeader, "the header lists \(count) recipients (1…\(PackageFormat.maximumRecipients) allowed)")
        }
        var wraps: [Wrap] = []
        wraps.reserveCapacity(count)
        for _ in 0..<count {
            wraps.append(Wrap(tag: try r.readBytes(PackageFormat.recipientTagByteCount),
                              sealedKey: try r.readBytes(PackageFormat.wrapByteCount - PackageFormat.recipientTagByteCount)))
        }
        self.wraps = wraps
        senderBoxOffset = r.offset
        senderBox = try r.readBytes(PackageFormat.senderBoxByteCount)
        guard r.isAtEnd else {
            throw CoreError(.malformedHeader, "the header has \(r.remaining) bytes after the sender box")
        }
        self.encoded = encoded
        hash = BLAKE2b.hash(encoded, outputByteCount: PackageFormat.headerHashByteCount)
    }

    private static func decodeMarkings(_ r: inout ByteReader) throws -> Markings {
        let tlpRaw = try r.readUInt8()
        guard let tlp = TrafficLightProtocol(rawValue: tlpRaw) else {
            throw CoreError(.malformedHeader, "unknown TLP value \(tlpRaw) in the header")
        }
        let classification = try string(&r)
        let communities = try stringList(&r)
        let caveats = try stringList(&r)
        do {
            let m = try Markings(tlp: tlp, classification: classification, releasableTo: communities, caveats: caveats)
            // Markings must already be in canonical form: a header that differs from
            // its own normalisation was not written by a conforming sealer.
            guard m.classification == classification, m.releasableTo == communities, m.caveats == caveats else {
                throw CoreError(.malformedHeader, "the header's markings are not in canonical form")
            }
            return m
        } catch let error as CoreError where error.code == .invalidMarkings {
            throw CoreError(.malformedHeader, "the header's markings are invalid: \(error.message)")
        }
    }

    private static func string(_ r: inout ByteReader) throws -> String {
        guard let s = String(validating: try r.readShortString(), as: UTF8.self) else {
            throw CoreError(.malformedHeader, "a header label is not valid UTF-8")
        }
        return s
    }

    private static func stringList(_ r: inout ByteReader) throws -> [String] {
        let n = Int(try r.readUInt8())
        guard n <= Markings.maximumListCount else {
            throw CoreError(.malformedHeader, "a markings list has \(n) entries (\(Markings.maximumListCount) allowed)")
        }
        return try (0..<n).map { _ in try string(&r) }
    }

    /// Encodes the header fields that precede the wraps (preamble added by the caller).
    static func encodeFields(packageID: PackageID, created: Int64, expires: Int64?, chunkSize: Int,
                             markings: Markings, contentType: String, ephemeralPublicKey: [UInt8], into w: inout ByteWriter) {
        w.write(packageID.bytes)
        w.write(UInt64(created))
        w.write(UInt64(expires ?? 0))
        w.write(UInt32(chunkSize))
        w.write(markings.tlp.rawValue)
        w.writeShortString(Array(markings.classification.utf8))
        w.write(UInt8(markings.releasableTo.count))
        for c in markings.releasableTo { w.writeShortString(Array(c.utf8)) }
        w.write(UInt8(markings.caveats.count))
        for c in markings.caveats { w.writeShortString(Array(c.utf8)) }
        w.writeShortString(Array(contentType.utf8))
        w.write(ephemeralPublicKey)
    }
}
