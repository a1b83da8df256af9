@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport

/// A malicious recipient: holds the payload key of a package addressed to it and
/// tries to reuse the sender's signatures (tests only).
enum Forger {
    /// Re-seals the header to `target` under the same payload key, keeping the
    /// sender box and every chunk's original signature.
    static func rewrap(_ package: [UInt8], by recipient: TestNode, to target: TestNode) throws -> [UInt8] {
        let (header, key, chunks) = try decrypt(package, as: recipient)
        let ephemeral = try X25519SecretKey<EphemeralRole>(protection: .wiped)
        var w = ByteWriter()
        w.write(PackageFormat.magic)
        w.write(PackageFormat.version)
        w.write(UInt32(0))
        PackageHeader.encodeFields(packageID: header.packageID, created: header.created, expires: header.expires,
                                   chunkSize: header.chunkSize, markings: header.markings, contentType: header.contentType,
                                   ephemeralPublicKey: ephemeral.publicKey.rawRepresentation, into: &w)
        w.write(UInt16(1))
        let wrap = try RecipientWrap.derive(ephemeralSecret: ephemeral, ephemeralPublic: ephemeral.publicKey.rawRepresentation,
                                            recipientPublic: target.encryptionKey.rawRepresentation)
        w.write(wrap.tag)
        w.write(try wrap.seal(payloadKey: key, packageID: header.packageID))
        var bytes = w.bytes
        bytes.replaceSubrange(9..<13, with: UInt32(bytes.count + 48 - 13).bigEndianBytes)
        bytes += try AEADAlgorithm.xChaCha20Poly1305.seal(senderIdentity(header, key: key),
                                                          key: key, nonce: PackageFormat.senderBoxNonce, authenticating: bytes)
        let newHash = BLAKE2b.hash(bytes, outputByteCount: 64)
        return bytes + reencrypt(chunks, key: key, headerHash: newHash)
    }

    /// Replaces one chunk's data, keeping the sender's original signature.
    static func replaceChunkData(_ package: [UInt8], by recipient: TestNode, chunk: Int, with data: [UInt8]) throws -> [UInt8] {
        var (header, key, chunks) = try decrypt(package, as: recipient)
        chunks[chunk].inner = Array(chunks[chunk].inner[0..<64]) + data
        return header.encoded + reencrypt(chunks, key: key, headerHash: header.hash)
    }

    struct Chunk {
        let index: UInt64
        let flags: UInt8
        var inner: [UInt8]
    }

    private static func senderIdentity(_ header: PackageHeader, key: SymmetricKey) throws -> [UInt8] {
        try AEADAlgorithm.xChaCha20Poly1305.open(header.senderBox, key: key, nonce: PackageFormat.senderBoxNonce,
                                                 authenticating: Array(header.encoded[0..<header.senderBoxOffset]))
    }

    private static func decrypt(_ package: [UInt8], as recipient: TestNode) throws -> (PackageHeader, SymmetricKey, [Chunk]) {
        var input = MemorySource(package)
        let header = try PackageOpener.readHeader(from: &input)
        let derived = try RecipientWrap.derive(recipientSecret: recipient.secrets.encryption, ephemeralPublic: header.ephemeralPublicKey)
        let wrap = header.wraps.first { $0.tag == derived.tag }!
        let key = try derived.open(sealedKey: wrap.sealedKey, packageID: header.packageID)
        var chunks: [Chunk] = []
        for frame in PackageLayout(package).frames {
            let index = UInt64(bigEndianBytes: Array(package[frame.offset..<(frame.offset + 8)]))
            let flags = package[frame.offset + 8]
            let inner = try AEADAlgorithm.xChaCha20Poly1305.open(
                Array(package[frame.ciphertextOffset..<frame.end]), key: key, nonce: PackageFormat.chunkNonce(index: index),
                authenticating: PackageFormat.chunkAssociatedData(headerHash: header.hash, index: index, flags: flags))
            chunks.append(Chunk(index: index, flags: flags, inner: inner))
        }
        return (header, key, chunks)
    }

    private static func reencrypt(_ chunks: [Chunk], key: SymmetricKey, headerHash: [UInt8]) -> [UInt8] {
        chunks.flatMap { c -> [UInt8] in
            let sealed = try! AEADAlgorithm.xChaCha20Poly1305.seal(
                c.inner, key: key, nonce: PackageFormat.chunkNonce(index: c.index),
                authenticating: PackageFormat.chunkAssociatedData(headerHash: headerHash, index: c.index, flags: c.flags))
            return c.index.bigEndianBytes + [c.flags] + UInt32(sealed.count).bigEndianBytes + sealed
        }
    }
}

extension UInt64 {
    init(bigEndianBytes bytes: [UInt8]) {
        self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
