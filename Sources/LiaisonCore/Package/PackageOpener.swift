import LiaisonCrypto

/// What an opened package says about itself, once every check has passed.
public struct OpenedPackage: Sendable {
    /// The verified header.
    public let header: PackageHeader
    /// Who signed it.
    public let sender: KnownSender
    /// Number of payload bytes written.
    public let payloadByteCount: UInt64
}

/// Opens a package addressed to this node, verifying as it streams.
///
/// The header is checked first (recipient wrap, header authentication, sender,
/// validity); then each chunk is checked for position, size, AEAD tag and the
/// sender's signature before any of its bytes are handed out. Truncation,
/// reordering, duplication, trailing bytes and re-addressing are all detected.
public struct PackageOpener {
    /// The header, authenticated against outsiders by the sender box. A malicious
    /// co-recipient holds the same payload key and could forge the box, so the
    /// header is the sender's only once chunk 0's signature has verified: act on
    /// it (markings, expiry) only after ``openNextChunk(from:deliver:)`` succeeds.
    public let header: PackageHeader
    /// The verified sender.
    public let sender: KnownSender

    private let payloadKey: SymmetricKey
    private var nextIndex: UInt64 = 0
    private var sawFinal = false
    /// Decryption buffer, grown to the largest chunk seen and wiped after each.
    private var buffer: [UInt8]
    /// The chunk being read, reused (ciphertext: nothing to wipe).
    private var ciphertext: [UInt8] = []

    /// Reads and verifies the header from `input`.
    ///
    /// - Parameters:
    ///   - recipient: this node's package-encryption key.
    ///   - senders: who may send to us; unknown and revoked senders are refused.
    ///   - now: the current Unix time, for expiry.
    public init<Source: ByteSource>(reading input: inout Source, recipient: EncryptionSecretKey, senders: some SenderDirectory, now: Int64) throws {
        let header = try Self.readHeader(from: &input)
        try self.init(header: header, recipient: recipient, senders: senders, now: now)
    }

    /// Verifies an already-parsed header.
    public init(header: PackageHeader, recipient: EncryptionSecretKey, senders: some SenderDirectory, now: Int64) throws {
        let derived = try RecipientWrap.derive(recipientSecret: recipient, ephemeralPublic: header.ephemeralPublicKey)
        guard let wrap = header.wraps.first(where: { Sodium.constantTimeEquals($0.tag, derived.tag) }) else {
            throw CoreError(.notARecipient, "this package is not addressed to this node")
        }
        let key = try derived.open(sealedKey: wrap.sealedKey, packageID: header.packageID)
        let senderIdentity: [UInt8]
        do {
            senderIdentity = try AEADAlgorithm.xChaCha20Poly1305.open(
                header.senderBox, key: key, nonce: PackageFormat.senderBoxNonce,
                authenticating: Array(header.encoded[0..<header.senderBoxOffset]))
        } catch {
            throw CoreError(.headerAuthenticationFailed, "the package header does not authenticate: it was altered after sealing")
        }
        guard let sender = senders.sender(withIdentity: senderIdentity) else {
            let fingerprint = (try? IdentityPublicKey(rawRepresentation: senderIdentity)).map { NodeFingerprint(identity: $0).description } ?? "an invalid key"
            throw CoreError(.unknownSender, "the package was sealed by \(fingerprint), which is not in this node's keyring; import its card first")
        }
        guard !sender.isRevoked else {
            throw CoreError(.senderRevoked, "the package was sealed by \(sender.name), whose identity key is revoked")
        }
        if let expires = header.expires, now >= expires {
            throw CoreError(.expired, "the package expired at \(Timestamp.iso8601(expires)); it is no longer valid")
        }
        guard header.created <= now + PackageFormat.allowedClockSkew else {
            throw CoreError(.notYetValid, "the package claims to be created at \(Timestamp.iso8601(header.created)), in the future; check the clocks")
        }
        self.header = header
        self.sender = sender
        self.payloadKey = key
        self.buffer = []
    }

    /// Reads a header without any key (also used by `package inspect`).
    public static func readHeader<Source: ByteSource>(from input: inout Source) throws -> PackageHeader {
        let preamble = try input.readExactly(PackageFormat.preambleByteCount,
                                             orThrow: CoreError(.truncated, "the package ends inside its preamble (magic, version, header length)"))
        let length = try PackageHeader.parsePreamble(preamble)
        let body = try input.readExactly(length, orThrow: CoreError(.truncated, "the package ends inside its header"))
        return try PackageHeader(decoding: preamble + body)
    }

    /// Reads, checks and decrypts the next chunk, calling `deliver` with its
    /// verified data. Returns `false` once the final chunk has been delivered and
    /// the input is confirmed to end there.
    public mutating func openNextChunk<Source: ByteSource>(from input: inout Source, deliver: (UnsafeRawBufferPointer) throws -> Void) throws -> Bool {
        if sawFinal {
            var probe: UInt8 = 0
            let extra = try withUnsafeMutableBytes(of: &probe) { try input.read(into: $0) }
            guard extra == 0 else {
                throw CoreError(.trailingData, "there are bytes after the final chunk")
            }
            return false
        }
        var frameHeader = [UInt8](repeating: 0, count: PackageFormat.chunkFrameHeaderByteCount)
        let got = try frameHeader.withUnsafeMutableBytes { try input.readFully(into: $0) }
        if got == 0 {
            throw CoreError(.missingFinalChunk, "the package ends after chunk \(Int64(nextIndex) - 1) without a final chunk: it was truncated")
        }
        guard got == frameHeader.count else {
            throw CoreError(.truncated, "the package ends inside the frame of chunk \(nextIndex)")
        }
        var r = ByteReader(frameHeader)
        let index = try r.readUInt64()
        let flags = try r.readUInt8()
        let length = Int(try r.readUInt32())
        guard index == nextIndex else {
            if index < nextIndex {
                throw CoreError(.duplicateChunk, "chunk \(index) appears again after chunk \(nextIndex - 1)")
            }
            throw CoreError(.chunkOutOfOrder, "expected chunk \(nextIndex) but found chunk \(index): chunks are missing or out of order")
        }
        guard flags & ~PackageFormat.finalFlag == 0 else {
            throw CoreError(.badChunkFlags, "chunk \(index) has undefined flag bits set")
        }
        let isFinal = flags & PackageFormat.finalFlag != 0
        let dataCount = length - PackageFormat.chunkOverhead
        guard length <= header.chunkSize + PackageFormat.chunkOverhead else {
            throw CoreError(.chunkTooLarge, "chunk \(index) claims \(length) bytes, more than the header's chunk size allows")
        }
        guard dataCount >= 0, isFinal || dataCount == header.chunkSize, !(isFinal && dataCount == 0 && index > 0) else {
            throw CoreError(.chunkTooSmall, "chunk \(index) is \(length) bytes, which is not a valid size for \(isFinal ? "the final" : "a non-final") chunk")
        }
        if let left = input.knownRemaining, left < length { throw CoreError(.truncated, "the package ends inside chunk \(index)") }
        if ciphertext.count < length { ciphertext.append(contentsOf: repeatElement(0, count: length - ciphertext.count)) }
        let read = try ciphertext.withUnsafeMutableBytes { try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<length])) }
        guard read == length else { throw CoreError(.truncated, "the package ends inside chunk \(index)") }
        let ad = PackageFormat.chunkAssociatedData(headerHash: header.hash, index: index, flags: flags)
        let nonce = PackageFormat.chunkNonce(index: index)
        let headerHash = header.hash
        let sender = self.sender
        let key = payloadKey
        if buffer.count < length { buffer.append(contentsOf: repeatElement(0, count: length - buffer.count)) }
        try buffer.withUnsafeMutableBytes { inner in
            defer { Sodium.wipe(UnsafeMutableRawBufferPointer(rebasing: inner[0..<(length - 16)])) }
            do {
                try ciphertext.withUnsafeBytes { all in
                    let c = UnsafeRawBufferPointer(rebasing: all[0..<length])
                    _ = try ad.withUnsafeBytes { a in
                        try nonce.withUnsafeBytes { n in
                            try AEADAlgorithm.xChaCha20Poly1305.open(c, key: key, nonce: n, authenticating: a, into: inner)
                        }
                    }
                }
            } catch {
                throw CoreError(.chunkAuthenticationFailed, "chunk \(index) does not authenticate: the package was altered")
            }
            let signature = UnsafeRawBufferPointer(rebasing: inner[0..<64])
            let data = UnsafeRawBufferPointer(rebasing: inner[64..<(64 + dataCount)])
            let message = PackageFormat.chunkSignatureMessage(headerHash: headerHash, index: index, flags: flags, data: data)
            let valid = message.withUnsafeBytes { sender.identity.isValidSignature(signature, for: $0) }
            guard valid else {
                throw CoreError(.signatureInvalid, "the sender's signature on chunk \(index) does not match this header: the package was altered or re-addressed")
            }
            try deliver(data)
        }
        nextIndex += 1
        sawFinal = isFinal
        return true
    }

    /// Opens everything into `output`. `output` receives only verified chunks; a
    /// caller that must write nothing unless the whole package verifies writes to
    /// a temporary file and renames it at the end (as the CLI does).
    public mutating func open<Source: ByteSource, Sink: ByteSink>(from input: inout Source, to output: inout Sink) throws -> OpenedPackage {
        var total: UInt64 = 0
        while try openNextChunk(from: &input, deliver: { data in
            try output.write(data)
            total += UInt64(data.count)
        }) {}
        return OpenedPackage(header: header, sender: sender, payloadByteCount: total)
    }
}
