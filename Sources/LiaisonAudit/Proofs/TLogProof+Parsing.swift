extension TLogProof {
    /// Parses an encoded proof, e.g. as read from a `.tlog-proof` file.
    ///
    /// Throws ``AuditError/Code/malformedProof`` for anything ``formatted`` would
    /// not reproduce byte for byte: another header, non-canonical base64 or
    /// decimal, a hash that is not 32 bytes, a missing empty line, or a
    /// checkpoint that is not a valid signed note. Sizes are bounded by
    /// ``maximumByteCount``, ``maximumExtraByteCount`` and ``maximumHashCount``.
    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count <= Self.maximumByteCount else {
            throw AuditError.malformedProof("it is \(bytes.count) bytes, more than the \(Self.maximumByteCount) accepted")
        }
        var cursor = LineCursor(bytes: bytes)
        guard let header = cursor.nextLine(), header.elementsEqual(Self.header.utf8) else {
            throw AuditError.malformedProof("the first line is not \(Self.header)")
        }
        guard var line = cursor.nextLine() else {
            throw AuditError.malformedProof("it ends after the first line")
        }
        var extra: [UInt8]?
        if line.starts(with: Self.extraPrefix) {
            guard let decoded = Base64.decode(String(decoding: line.dropFirst(Self.extraPrefix.count), as: UTF8.self)),
                  !decoded.isEmpty
            else {
                throw AuditError.malformedProof("the extra line is not canonical base64 of at least one byte")
            }
            guard decoded.count <= Self.maximumExtraByteCount else {
                throw AuditError.malformedProof("the extra data is \(decoded.count) bytes, more than the \(Self.maximumExtraByteCount) accepted")
            }
            extra = decoded
            guard let next = cursor.nextLine() else { throw AuditError.malformedProof("it ends after the extra line") }
            line = next
        }
        guard line.starts(with: Self.indexPrefix), let index = NoteSyntax.decimal(line.dropFirst(Self.indexPrefix.count)) else {
            throw AuditError.malformedProof("the index line is not \"index\", a space and a decimal number without leading zeros")
        }
        var hashes: [[UInt8]] = []
        while true {
            guard let hashLine = cursor.nextLine() else {
                throw AuditError.malformedProof("there is no empty line before the checkpoint")
            }
            if hashLine.isEmpty { break }
            guard hashes.count < Self.maximumHashCount else {
                throw AuditError.malformedProof("it has more than the \(Self.maximumHashCount) proof hashes any tree needs")
            }
            guard let hash = Base64.decode(String(decoding: hashLine, as: UTF8.self)), hash.count == MerkleHasher.hashByteCount else {
                throw AuditError.malformedProof("proof hash \(hashes.count + 1) is not canonical base64 of 32 bytes")
            }
            hashes.append(hash)
        }
        let note: SignedNote
        do {
            note = try SignedNote(parsing: Array(cursor.rest))
        } catch let error as AuditError {
            throw AuditError.malformedProof("its checkpoint is not a signed note: \(error.message)")
        }
        try self.init(index: index, extra: extra, hashes: hashes, checkpoint: note)
    }

    /// Parses an encoded proof held in a string.
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    private static let extraPrefix = Array("extra ".utf8)
    private static let indexPrefix = Array("index ".utf8)
}

/// Walks newline-terminated lines of a byte array.
private struct LineCursor {
    let bytes: [UInt8]
    private(set) var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The next line without its newline, or `nil` if no complete line is left.
    mutating func nextLine() -> ArraySlice<UInt8>? {
        guard let newline = bytes[position...].firstIndex(of: NoteSyntax.newline) else { return nil }
        defer { position = newline + 1 }
        return bytes[position..<newline]
    }

    /// Everything after the lines read so far.
    var rest: ArraySlice<UInt8> { bytes[position...] }
}
