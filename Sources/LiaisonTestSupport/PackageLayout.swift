import LiaisonCore
import LiaisonCrypto

/// Byte offsets of every region of a sealed package, computed by reading the
/// layout exactly as `docs/package-format.md` describes it (independently of the
/// library's parser), so tests can corrupt one region at a time.
public struct PackageLayout: Sendable {
    /// A chunk frame's position.
    public struct Frame: Sendable {
        /// Offset of the frame (its index field).
        public let offset: Int
        /// Length of the ciphertext that follows the 13-byte frame header.
        public let ciphertextLength: Int
        /// Offset of the ciphertext.
        public var ciphertextOffset: Int { offset + 13 }
        /// One past the last byte of the frame.
        public var end: Int { ciphertextOffset + ciphertextLength }
    }

    public let headerLengthOffset = 9
    public let packageIDOffset = 13
    public let createdOffset = 29
    public let expiresOffset = 37
    public let chunkSizeOffset = 45
    public let tlpOffset = 49
    /// Offset of the classification's length byte.
    public let classificationOffset = 50
    /// Offset of the content type's length byte.
    public let contentTypeOffset: Int
    /// Offset of the ephemeral public key.
    public let ephemeralOffset: Int
    /// Offset of the recipient count.
    public let recipientCountOffset: Int
    /// Offsets of the wraps (each 16-byte tag + 48-byte sealed key).
    public let wrapOffsets: [Int]
    /// Offset of the 48-byte sender box.
    public let senderBoxOffset: Int
    /// One past the header.
    public let headerEnd: Int
    /// The chunk frames in file order.
    public let frames: [Frame]

    /// Walks `package`. Preconditions a well-formed package (tests build them).
    public init(_ package: [UInt8]) {
        func u16(_ o: Int) -> Int { Int(package[o]) << 8 | Int(package[o + 1]) }
        func u32(_ o: Int) -> Int { (0..<4).reduce(0) { $0 << 8 | Int(package[o + $1]) } }
        var o = classificationOffset
        o += 1 + Int(package[o])                              // classification
        for _ in 0..<2 {                                      // releasability, caveats
            let n = Int(package[o]); o += 1
            for _ in 0..<n { o += 1 + Int(package[o]) }
        }
        contentTypeOffset = o
        o += 1 + Int(package[o])
        ephemeralOffset = o
        o += 32
        recipientCountOffset = o
        let count = u16(o); o += 2
        wrapOffsets = (0..<count).map { o + $0 * 64 }
        o += count * 64
        senderBoxOffset = o
        headerEnd = o + 48
        precondition(headerEnd == 13 + u32(headerLengthOffset), "header length disagrees with the layout")
        var frames: [Frame] = []
        var f = headerEnd
        while f + 13 <= package.count {
            let length = u32(f + 9)
            frames.append(Frame(offset: f, ciphertextLength: length))
            f += 13 + length
        }
        self.frames = frames
    }

    /// Which wrap belongs to `recipient`: recomputes the opaque tag as the format
    /// document specifies (BLAKE2b-512 over label, X25519, ephemeral, recipient key).
    public func wrapIndex(in package: [UInt8], for recipient: EncryptionSecretKey) throws -> Int? {
        let ephemeral = Array(package[ephemeralOffset..<(ephemeralOffset + 32)])
        let shared = try recipient.sharedSecret(withRaw: ephemeral)
        var h = BLAKE2b(outputByteCount: 64)
        h.update(Array("liaison/package/v1/wrap".utf8))
        shared.withUnsafeBytes { h.update($0) }
        h.update(ephemeral)
        h.update(recipient.publicKey.rawRepresentation)
        let tag = Array(h.finalize()[32..<48])
        return wrapOffsets.firstIndex { Array(package[$0..<($0 + 16)]) == tag }
    }
}

/// Byte-level edits used to build corrupt packages.
public extension Array where Element == UInt8 {
    /// A copy with bit `bit` of byte `offset` flipped.
    func flippingBit(at offset: Int, bit: Int = 0) -> [UInt8] {
        var copy = self
        copy[offset] ^= UInt8(1) << UInt8(bit)
        return copy
    }

    /// A copy with `bytes` written at `offset`.
    func replacing(at offset: Int, with bytes: [UInt8]) -> [UInt8] {
        var copy = self
        copy.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        return copy
    }

    /// The first `count` bytes.
    func truncated(to count: Int) -> [UInt8] { Array(prefix(count)) }

    /// Big-endian bytes of `value` in `width` bytes.
    static func bigEndian(_ value: UInt64, width: Int) -> [UInt8] {
        (0..<width).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(width - 1 - $0))) }
    }
}
