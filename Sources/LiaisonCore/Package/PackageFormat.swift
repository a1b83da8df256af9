import LiaisonCrypto

/// Constants of the sealed package format, version 1. `docs/package-format.md`
/// is the normative description; this file and that page must agree.
public enum PackageFormat {
    /// First eight bytes of every package.
    public static let magic: [UInt8] = Array("LIAISPKG".utf8)
    /// The only version this code reads and writes.
    public static let version: UInt8 = 1
    /// Magic, version and header length.
    static let preambleByteCount = 8 + 1 + 4
    /// Largest header body accepted; bounds memory before anything is verified.
    public static let maximumHeaderByteCount = 1 << 20
    /// Most recipients in one package.
    public static let maximumRecipients = 1024
    /// The default payload chunk size (1 MiB).
    public static let defaultChunkSize = 1 << 20
    /// Smallest and largest chunk sizes a header may declare.
    public static let chunkSizeRange = 1024...(4 << 20)
    /// Length of a package id.
    public static let packageIDByteCount = 16
    /// Length of the opaque recipient tag in a wrap.
    static let recipientTagByteCount = 16
    /// Length of one wrap: tag, then the payload key sealed with its 16-byte tag.
    static let wrapByteCount = recipientTagByteCount + SymmetricKey.byteCount + 16
    /// Length of the sender box: the sender's identity key sealed under the payload key.
    static let senderBoxByteCount = 32 + 16
    /// Header hash length (BLAKE2b-512).
    static let headerHashByteCount = 64
    /// Chunk frame: index (8), flags (1), ciphertext length (4).
    static let chunkFrameHeaderByteCount = 8 + 1 + 4
    /// Bytes a chunk's ciphertext adds to its data: signature and AEAD tag.
    static let chunkOverhead = 64 + 16
    /// The only flag bit defined: this is the last chunk.
    static let finalFlag: UInt8 = 0x01
    /// Packages created further in the future than this are refused (clock skew).
    public static let allowedClockSkew: Int64 = 300

    static let wrapLabel: StaticString = "liaison/package/v1/wrap"
    static let chunkSignatureLabelBytes = Array("liaison/package/v1/chunk-signature".utf8)

    /// Nonce of the sender box (the chunk nonces never take this value).
    static let senderBoxNonce = [UInt8](repeating: 0xFF, count: 24)
    /// Nonce of a wrap: each wrap key is used exactly once.
    static let wrapNonce = [UInt8](repeating: 0x00, count: 24)

    /// Chunk `index`'s nonce: sixteen zero bytes then the big-endian index.
    static func chunkNonce(index: UInt64) -> [UInt8] {
        [UInt8](repeating: 0, count: 16) + index.bigEndianBytes
    }

    /// Associated data of chunk `index`: the header hash, the index and the flags.
    static func chunkAssociatedData(headerHash: [UInt8], index: UInt64, flags: UInt8) -> [UInt8] {
        headerHash + index.bigEndianBytes + [flags]
    }

    /// What the sender signs for a chunk: a domain label, the header hash, the
    /// index, the flags and BLAKE2b-512 of the chunk's data.
    static func chunkSignatureMessage(headerHash: [UInt8], index: UInt64, flags: UInt8, data: UnsafeRawBufferPointer) -> [UInt8] {
        var h = BLAKE2b(outputByteCount: 64)
        h.update(data)
        let dataHash = h.finalize()
        var label = ByteWriter(capacity: 200)
        label.write(chunkSignatureLabelBytes)
        label.write(headerHash)
        label.write(index)
        label.write(flags)
        label.write(dataHash)
        return label.bytes
    }
}

/// Media types in headers: 1–255 bytes of printable ASCII (0x21…0x7E), so an
/// unauthenticated header can never carry terminal control sequences.
enum ContentType {
    static func isValid(_ text: String) -> Bool {
        let utf8 = text.utf8
        return (1...255).contains(utf8.count) && utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}

/// A package's random 128-bit identifier.
public struct PackageID: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The 16 bytes.
    public let bytes: [UInt8]

    /// A fresh random id.
    public static func random() throws -> PackageID {
        PackageID(unchecked: try Sodium.randomBytes(count: PackageFormat.packageIDByteCount))
    }

    package init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Parses the 32-character lower-case hex form.
    public init(parsing text: String) throws {
        guard let bytes = Hex.decode(text), bytes.count == PackageFormat.packageIDByteCount else {
            throw CoreError(.invalidArgument, "a package id is 32 hexadecimal characters, got \"\(text.prefix(40))\"")
        }
        self.bytes = bytes
    }

    /// Lower-case hex.
    public var description: String { Hex.encode(bytes) }

    public static func < (lhs: PackageID, rhs: PackageID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}
