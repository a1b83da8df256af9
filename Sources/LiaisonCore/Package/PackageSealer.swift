import LiaisonCrypto

/// Seals a payload into a package for a set of recipients, one chunk at a time.
///
/// Memory stays flat: the sealer holds one chunk buffer whatever the payload size.
/// Use ``seal(from:to:)`` for a whole stream, or ``IncrementalSealer`` for a
/// payload that arrives in pieces.
public struct PackageSealer {
    /// The encoded header to write before the first chunk.
    public let header: [UInt8]
    /// BLAKE2b-512 of ``header``.
    public let headerHash: [UInt8]
    /// The package's id.
    public let packageID: PackageID
    /// Plaintext bytes per non-final chunk.
    public let chunkSize: Int

    private let payloadKey: SymmetricKey
    private let sender: IdentitySecretKey
    private var nextIndex: UInt64 = 0
    private var finished = false

    /// Prepares a package.
    ///
    /// - Parameters:
    ///   - sender: the sender's identity key; it signs every chunk.
    ///   - recipients: the package-encryption keys that get a wrap. Must be
    ///     non-empty and distinct; an empty set is an error, never "everyone".
    ///   - created: Unix seconds; `expires`: Unix seconds or `nil`.
    public init(
        sender: IdentitySecretKey,
        recipients: [EncryptionPublicKey],
        markings: Markings,
        contentType: String = "application/octet-stream",
        created: Int64,
        expires: Int64?,
        chunkSize: Int = PackageFormat.defaultChunkSize,
        packageID: PackageID? = nil
    ) throws {
        guard !recipients.isEmpty else {
            throw CoreError(.invalidRecipients, "a package needs at least one recipient")
        }
        guard recipients.count <= PackageFormat.maximumRecipients else {
            throw CoreError(.invalidRecipients, "at most \(PackageFormat.maximumRecipients) recipients per package")
        }
        guard Set(recipients).count == recipients.count else {
            throw CoreError(.invalidRecipients, "a recipient is listed twice")
        }
        guard PackageFormat.chunkSizeRange.contains(chunkSize) else {
            throw CoreError(.invalidArgument, "chunk size must be within \(PackageFormat.chunkSizeRange)")
        }
        if let expires, expires <= created {
            throw CoreError(.invalidArgument, "the expiry must be after the creation time")
        }
        guard contentType.utf8.count <= 255, !contentType.isEmpty, ContentType.isValid(contentType) else {
            throw CoreError(.invalidArgument, "the content type must be 1–255 ASCII characters from ! to ~, without spaces, e.g. application/json or text/plain;charset=utf-8")
        }
        let id = try packageID ?? PackageID.random()
        let key = try SymmetricKey.random()
        let ephemeral = try X25519SecretKey<EphemeralRole>(protection: .wiped)

        var w = ByteWriter(capacity: 256 + recipients.count * PackageFormat.wrapByteCount)
        w.write(PackageFormat.magic)
        w.write(PackageFormat.version)
        w.write(UInt32(0))  // header length, patched below
        PackageHeader.encodeFields(packageID: id, created: created, expires: expires, chunkSize: chunkSize,
                                   markings: markings, contentType: contentType,
                                   ephemeralPublicKey: ephemeral.publicKey.rawRepresentation, into: &w)
        w.write(UInt16(recipients.count))
        // Wraps in random order, so their order says nothing about the recipient list.
        for recipient in try Self.shuffled(recipients) {
            let wrap = try RecipientWrap.derive(ephemeralSecret: ephemeral, ephemeralPublic: ephemeral.publicKey.rawRepresentation,
                                                recipientPublic: recipient.rawRepresentation)
            w.write(wrap.tag)
            w.write(try wrap.seal(payloadKey: key, packageID: id))
        }
        var bytes = w.bytes
        let bodyLength = UInt32(bytes.count + PackageFormat.senderBoxByteCount - PackageFormat.preambleByteCount)
        bytes.replaceSubrange(9..<13, with: bodyLength.bigEndianBytes)
        // The sender box authenticates every header byte before it under the payload key.
        let senderBox = try AEADAlgorithm.xChaCha20Poly1305.seal(sender.publicKey.rawRepresentation, key: key,
                                                                  nonce: PackageFormat.senderBoxNonce, authenticating: bytes)
        bytes.append(contentsOf: senderBox)

        self.header = bytes
        self.headerHash = BLAKE2b.hash(bytes, outputByteCount: PackageFormat.headerHashByteCount)
        self.packageID = id
        self.chunkSize = chunkSize
        self.payloadKey = key
        self.sender = sender
    }

    /// Seals the chunk whose data sits at `inner[64..<64+dataCount]` as the next
    /// chunk (see ``sealFrame(_:dataCount:index:isFinal:into:)``). Returns the frame's length.
    private mutating func sealInner(_ inner: inout [UInt8], dataCount: Int, isFinal: Bool, into frame: inout [UInt8]) throws -> Int {
        let index = claimIndex(dataCount: dataCount, isFinal: isFinal)
        return try sealFrame(&inner, dataCount: dataCount, index: index, isFinal: isFinal, into: &frame)
    }

    /// Takes the index of the next chunk, which holds `dataCount` bytes: every
    /// chunk but the final one is full, and nothing comes after the final one.
    package mutating func claimIndex(dataCount: Int, isFinal: Bool) -> UInt64 {
        precondition(!finished, "a chunk claimed after the final chunk")
        precondition(isFinal ? dataCount <= chunkSize : dataCount == chunkSize, "chunk has the wrong size")
        precondition(!(isFinal && dataCount == 0 && nextIndex > 0), "an empty final chunk is only allowed for an empty payload")
        defer {
            nextIndex += 1
            finished = isFinal
        }
        return nextIndex
    }

    /// Seals chunk `index`, whose data sits at `inner[64..<64+dataCount]`: signs it,
    /// puts the signature in the 64 bytes of headroom, encrypts signature and data
    /// straight into `frame` (grown as needed, reused between chunks), then wipes
    /// the plaintext. Touches no state of the sealer, so chunks can be sealed
    /// concurrently (each with its own buffers). Returns the frame's length.
    package func sealFrame(_ inner: inout [UInt8], dataCount: Int, index: UInt64, isFinal: Bool, into frame: inout [UInt8]) throws -> Int {
        let flags: UInt8 = isFinal ? PackageFormat.finalFlag : 0
        let innerCount = 64 + dataCount
        let ad = PackageFormat.chunkAssociatedData(headerHash: headerHash, index: index, flags: flags)
        let nonce = PackageFormat.chunkNonce(index: index)
        let frameCount = PackageFormat.chunkFrameHeaderByteCount + innerCount + 16
        if frame.count < frameCount { frame.append(contentsOf: repeatElement(0, count: frameCount - frame.count)) }
        let headerHash = self.headerHash, sender = self.sender, key = payloadKey
        try inner.withUnsafeMutableBytes { inner in
            defer { Sodium.wipe(UnsafeMutableRawBufferPointer(rebasing: inner[0..<innerCount])) }
            let data = UnsafeRawBufferPointer(rebasing: inner[64..<innerCount])
            let message = PackageFormat.chunkSignatureMessage(headerHash: headerHash, index: index, flags: flags, data: data)
            message.withUnsafeBytes { m in
                sender.signature(for: m, into: UnsafeMutableRawBufferPointer(rebasing: inner[0..<64]))
            }
            try frame.withUnsafeMutableBytes { raw in
                raw.storeBytes(of: index.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw[8] = flags
                raw.storeBytes(of: UInt32(innerCount + 16).bigEndian, toByteOffset: 9, as: UInt32.self)
                _ = try ad.withUnsafeBytes { a in
                    try nonce.withUnsafeBytes { n in
                        try AEADAlgorithm.xChaCha20Poly1305.seal(
                            UnsafeRawBufferPointer(rebasing: inner[0..<innerCount]), key: key, nonce: n,
                            authenticating: a, into: UnsafeMutableRawBufferPointer(rebasing: raw[PackageFormat.chunkFrameHeaderByteCount..<frameCount]))
                    }
                }
            }
        }
        return frameCount
    }

    /// Seals everything `input` yields into `output`: header, then chunks. Reads
    /// one chunk ahead so that the last chunk can carry the final flag. Data is
    /// read straight into place behind 64 bytes of headroom for the signature; the
    /// buffers start small and grow to the chunk size only for large payloads.
    /// Returns the number of payload bytes sealed.
    @discardableResult
    public mutating func seal<Source: ByteSource, Sink: ByteSink>(from input: inout Source, to output: inout Sink) throws -> UInt64 {
        try output.write(header)
        var current = [UInt8](), next = [UInt8](), frame = [UInt8]()
        // Plaintext: never left in freed memory, whether sealing ends or fails.
        defer {
            current.withUnsafeMutableBytes { Sodium.wipe($0) }
            next.withUnsafeMutableBytes { Sodium.wipe($0) }
        }
        var currentCount = try fill(&current, from: &input)
        var total: UInt64 = 0
        while true {
            let nextCount = currentCount == chunkSize ? try fill(&next, from: &input) : 0
            let isFinal = nextCount == 0
            let frameCount = try sealInner(&current, dataCount: currentCount, isFinal: isFinal, into: &frame)
            try frame.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<frameCount])) }
            total += UInt64(currentCount)
            if isFinal { return total }
            swap(&current, &next)
            currentCount = nextCount
        }
    }

    /// Reads up to one chunk of data into `buffer[64...]`, growing the buffer as needed.
    private func fill<Source: ByteSource>(_ buffer: inout [UInt8], from input: inout Source) throws -> Int {
        var filled = 0
        var step = Swift.min(chunkSize, 16 * 1024)
        while true {
            Self.reserve(&buffer, dataCount: filled + step)
            let n = try buffer.withUnsafeMutableBytes { b in
                try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: b[(64 + filled)..<(64 + filled + step)]))
            }
            filled += n
            if n < step || filled == chunkSize { return filled }
            step = Swift.min(chunkSize - filled, filled * 4)
        }
    }

    /// Makes `buffer` hold at least 64 bytes of headroom plus `dataCount`. It grows
    /// by a copy into new storage and a wipe of the old: appending would let the
    /// array free its old storage, plaintext, unwiped.
    private static func reserve(_ buffer: inout [UInt8], dataCount: Int) {
        let needed = 64 + dataCount + 16
        guard buffer.count < needed else { return }
        var grown = [UInt8](repeating: 0, count: needed)
        grown.withUnsafeMutableBytes { target in buffer.withUnsafeBytes { target.copyMemory(from: $0) } }
        buffer.withUnsafeMutableBytes { Sodium.wipe($0) }
        buffer = grown
    }

    private static func shuffled(_ recipients: [EncryptionPublicKey]) throws -> [EncryptionPublicKey] {
        var items = recipients
        guard items.count > 1 else { return items }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = Int(try Sodium.uniformRandom(UInt32(i + 1)))
            items.swapAt(i, j)
        }
        return items
    }
}
