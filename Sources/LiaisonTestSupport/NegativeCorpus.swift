import LiaisonCore

/// One corrupted package and the error it must be rejected with.
public struct CorruptPackage: Sendable, CustomStringConvertible {
    /// What was done to it.
    public let name: String
    /// The corrupted bytes.
    public let bytes: [UInt8]
    /// The error code the opener must report.
    public let expected: CoreError.Code

    public var description: String { name }
}

/// The negative corpus: byte-level corruptions of one valid package, each
/// rejected with its own error. Shared by the core tests (in memory) and the CLI
/// tests (which also check that no output file appears).
public enum NegativeCorpus {
    /// Builds the corpus from `package`, which must be sealed to `recipient` and
    /// one other recipient, carry at least four chunks and use TLP:AMBER.
    public static func cases(from package: [UInt8], ourWrap: Int, otherPackage: [UInt8]) -> [CorruptPackage] {
        let p = package
        let l = PackageLayout(p)
        precondition(l.frames.count >= 4 && l.wrapOffsets.count == 2, "corpus base needs 4+ chunks and 2 recipients")
        let other = 1 - ourWrap
        let f = l.frames
        let last = f[f.count - 1]
        func frames(_ indices: [Int]) -> [UInt8] {
            Array(p[0..<l.headerEnd]) + indices.flatMap { Array(p[f[$0].offset..<f[$0].end]) }
        }
        var c: [CorruptPackage] = []
        func add(_ name: String, _ bytes: [UInt8], _ code: CoreError.Code) { c.append(CorruptPackage(name: name, bytes: bytes, expected: code)) }

        // Truncation at every region.
        add("empty file", [], .truncated)
        add("truncated inside the magic", p.truncated(to: 4), .truncated)
        add("truncated inside the header length", p.truncated(to: 11), .truncated)
        add("truncated after the preamble", p.truncated(to: 13), .truncated)
        add("truncated inside the markings", p.truncated(to: l.classificationOffset + 3), .truncated)
        add("truncated inside the wraps", p.truncated(to: l.wrapOffsets[0] + 20), .truncated)
        add("truncated inside the sender box", p.truncated(to: l.senderBoxOffset + 10), .truncated)
        add("truncated right after the header", p.truncated(to: l.headerEnd), .missingFinalChunk)
        add("truncated inside a chunk frame header", p.truncated(to: f[0].offset + 6), .truncated)
        add("truncated inside a chunk", p.truncated(to: f[1].ciphertextOffset + 100), .truncated)
        add("truncated at a chunk boundary", p.truncated(to: f[2].offset), .missingFinalChunk)
        add("last byte missing", p.truncated(to: p.count - 1), .truncated)

        // Preamble.
        add("wrong magic", p.flippingBit(at: 0), .badMagic)
        add("unsupported version", p.replacing(at: 8, with: [2]), .unsupportedVersion)
        add("header length far beyond the file", p.replacing(at: l.headerLengthOffset, with: [0xFF, 0xFF, 0xFF, 0xF0]), .headerTooLarge)
        let headerLength = UInt64(l.headerEnd - 13)
        add("header length one too long", p.replacing(at: l.headerLengthOffset, with: .bigEndian(headerLength + 1, width: 4)), .malformedHeader)
        add("header length one too short", p.replacing(at: l.headerLengthOffset, with: .bigEndian(headerLength - 1, width: 4)), .malformedHeader)

        // Header fields.
        add("flipped bit in the package id", p.flippingBit(at: l.packageIDOffset + 3), .keyUnwrapFailed)
        add("flipped bit in the creation time", p.flippingBit(at: l.createdOffset + 7), .headerAuthenticationFailed)
        add("flipped bit in the expiry", p.flippingBit(at: l.expiresOffset + 7, bit: 3), .headerAuthenticationFailed)
        add("chunk size changed", p.flippingBit(at: l.chunkSizeOffset + 2, bit: 1), .headerAuthenticationFailed)
        add("chunk size zero", p.replacing(at: l.chunkSizeOffset, with: [0, 0, 0, 0]), .malformedHeader)
        add("TLP downgraded from AMBER to CLEAR", p.replacing(at: l.tlpOffset, with: [0]), .headerAuthenticationFailed)
        add("TLP value undefined", p.replacing(at: l.tlpOffset, with: [9]), .malformedHeader)
        add("classification made lower case", p.flippingBit(at: l.classificationOffset + 1, bit: 5), .malformedHeader)
        add("classification letter changed", p.flippingBit(at: l.classificationOffset + 2, bit: 1), .headerAuthenticationFailed)
        add("content type changed", p.flippingBit(at: l.contentTypeOffset + 1, bit: 0), .headerAuthenticationFailed)
        add("ephemeral key altered", p.flippingBit(at: l.ephemeralOffset + 5), .notARecipient)
        add("ephemeral key all zero", p.replacing(at: l.ephemeralOffset, with: [UInt8](repeating: 0, count: 32)), .lowOrderKey)
        add("ephemeral key a low-order point", p.replacing(at: l.ephemeralOffset, with: lowOrderPoint), .lowOrderKey)
        add("recipient count lowered", p.replacing(at: l.recipientCountOffset, with: [0, 1]), .malformedHeader)
        add("recipient count zero", p.replacing(at: l.recipientCountOffset, with: [0, 0]), .malformedHeader)
        add("recipient count raised", p.replacing(at: l.recipientCountOffset, with: [0, 3]), .malformedHeader)
        add("flipped bit in our wrap's tag", p.flippingBit(at: l.wrapOffsets[ourWrap] + 4), .notARecipient)
        add("flipped bit in our wrapped key", p.flippingBit(at: l.wrapOffsets[ourWrap] + 16 + 7), .keyUnwrapFailed)
        add("flipped bit in our wrap's tag of the wrapped key", p.flippingBit(at: l.wrapOffsets[ourWrap] + 63), .keyUnwrapFailed)
        add("flipped bit in another recipient's wrap", p.flippingBit(at: l.wrapOffsets[other] + 30), .headerAuthenticationFailed)
        add("flipped bit in the sender box", p.flippingBit(at: l.senderBoxOffset + 3), .headerAuthenticationFailed)
        add("flipped bit in the sender box tag", p.flippingBit(at: l.senderBoxOffset + 47), .headerAuthenticationFailed)

        // Chunk frames.
        add("chunk index altered", p.flippingBit(at: f[1].offset + 7, bit: 2), .chunkOutOfOrder)
        add("undefined chunk flag set", p.flippingBit(at: f[0].offset + 8, bit: 1), .badChunkFlags)
        add("final flag set on the first chunk", p.flippingBit(at: f[0].offset + 8, bit: 0), .chunkAuthenticationFailed)
        add("final flag cleared on the last chunk", p.flippingBit(at: last.offset + 8, bit: 0), .chunkTooSmall)
        add("chunk length far beyond the file", p.replacing(at: f[1].offset + 9, with: [0xFF, 0xFF, 0xFF, 0xF0]), .chunkTooLarge)
        add("chunk length shortened", p.replacing(at: f[1].offset + 9, with: .bigEndian(UInt64(f[1].ciphertextLength - 1), width: 4)), .chunkTooSmall)
        add("final chunk emptied", Array(p[0..<last.offset]) + Array(p[last.offset..<(last.offset + 9)]) + .bigEndian(80, width: 4) + Array(p[last.ciphertextOffset..<(last.ciphertextOffset + 80)]), .chunkTooSmall)
        add("flipped bit in chunk ciphertext", p.flippingBit(at: f[1].ciphertextOffset + 200), .chunkAuthenticationFailed)
        add("flipped bit in the encrypted signature", p.flippingBit(at: f[2].ciphertextOffset + 10), .chunkAuthenticationFailed)
        add("flipped bit in a chunk tag", p.flippingBit(at: f[1].end - 1, bit: 7), .chunkAuthenticationFailed)
        add("flipped bit in the final chunk", p.flippingBit(at: last.ciphertextOffset + 5), .chunkAuthenticationFailed)
        add("chunks 1 and 2 swapped", frames([0, 2, 1] + Array(3..<f.count)), .chunkOutOfOrder)
        add("chunk 1 duplicated", frames([0, 1, 1] + Array(2..<f.count)), .duplicateChunk)
        add("chunk 1 missing", frames([0] + Array(2..<f.count)), .chunkOutOfOrder)
        add("final chunk missing", frames(Array(0..<(f.count - 1))), .missingFinalChunk)
        add("final chunk repeated", p + Array(p[last.offset..<last.end]), .trailingData)
        add("one byte of trailing garbage", p + [0x00], .trailingData)
        add("another package appended", p + otherPackage, .trailingData)
        let otherLayout = PackageLayout(otherPackage)
        add("chunk spliced in from another package", Array(p[0..<f[1].offset]) + Array(otherPackage[otherLayout.frames[1].offset..<otherLayout.frames[1].end]) + Array(p[f[2].offset...]), .chunkAuthenticationFailed)
        add("header of another package on these chunks", Array(otherPackage[0..<otherLayout.headerEnd]) + Array(p[l.headerEnd...]), .chunkAuthenticationFailed)
        return c
    }

    /// A point of order 8 on Curve25519 (all X25519 outputs with it are zero).
    static let lowOrderPoint: [UInt8] = [
        0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
        0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00,
    ]
}
