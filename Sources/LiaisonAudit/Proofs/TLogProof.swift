/// A C2SP tlog-proof (`c2sp.org/tlog-proof@v1`): a self-contained, offline
/// verifiable proof that one entry is in a log, as of a checkpoint that the log
/// signed and witnesses may have cosigned.
///
///     c2sp.org/tlog-proof@v1
///     extra <base64>                (optional: opaque, unauthenticated bytes)
///     index <decimal, no leading zeros>
///     <base64 of a 32-byte hash>    (zero or more: the RFC 6962 inclusion proof, sibling first)
///     <empty line>
///     <the signed checkpoint note, verbatim>
///
/// Parsing (`TLogProof+Parsing.swift`) is strict: any input that ``formatted``
/// would not reproduce byte for byte is refused. Nothing in a proof is trusted
/// until ``verify(leaf:logKey:witnesses:requiredWitnesses:)`` has checked it.
/// Proofs are usually stored with the file extension `.tlog-proof`.
public struct TLogProof: Hashable, Sendable {
    /// The first line of every proof.
    public static let header = "c2sp.org/tlog-proof@v1"
    /// The most inclusion-proof hashes accepted: a tree of 2^63 leaves needs 63.
    public static let maximumHashCount = 64
    /// The largest extra data accepted, in bytes.
    public static let maximumExtraByteCount = 16 * 1024
    /// The largest encoded proof accepted, in bytes: the largest signed note
    /// plus room for the header, extra data, index and hashes.
    public static let maximumByteCount = SignedNote.maximumByteCount + 32 * 1024

    /// The zero-based index of the entry in the log.
    public let index: Int
    /// Opaque application data; not authenticated, so never trust it by itself.
    public let extra: [UInt8]?
    /// The RFC 6962 inclusion proof (PATH), from the leaf's sibling up to the root's child.
    public let hashes: [[UInt8]]
    /// The log's signed checkpoint, with any witness cosignatures.
    public let checkpoint: SignedNote

    /// A proof from its parts.
    ///
    /// Throws ``AuditError/Code/malformedProof`` for a negative index, empty or
    /// oversized extra data (pass `nil` for none), a hash that is not 32 bytes,
    /// more than ``maximumHashCount`` hashes, or a note whose text is not a checkpoint.
    public init(index: Int, extra: [UInt8]? = nil, hashes: [[UInt8]], checkpoint: SignedNote) throws {
        guard index >= 0 else {
            throw AuditError.malformedProof("the entry index \(index) is negative")
        }
        if let extra {
            guard !extra.isEmpty else { throw AuditError.malformedProof("the extra data is empty (leave it out instead)") }
            guard extra.count <= Self.maximumExtraByteCount else {
                throw AuditError.malformedProof("the extra data is \(extra.count) bytes, more than the \(Self.maximumExtraByteCount) accepted")
            }
        }
        guard hashes.count <= Self.maximumHashCount else {
            throw AuditError.malformedProof("it has \(hashes.count) proof hashes, more than the \(Self.maximumHashCount) any tree needs")
        }
        for (number, hash) in hashes.enumerated() where hash.count != MerkleHasher.hashByteCount {
            throw AuditError.malformedProof("proof hash \(number + 1) is \(hash.count) bytes, not 32")
        }
        do {
            _ = try Checkpoint(parsing: checkpoint.text)
        } catch let error as AuditError {
            throw AuditError.malformedProof("its note is not a checkpoint: \(error.message)")
        }
        self.index = index
        self.extra = extra
        self.hashes = hashes
        self.checkpoint = checkpoint
    }

    /// The encoded proof, ready to store or send.
    public var formatted: String {
        var text = Self.header + "\n"
        if let extra { text += "extra \(Base64.encode(extra))\n" }
        text += "index \(index)\n"
        for hash in hashes { text += Base64.encode(hash) + "\n" }
        return text + "\n" + checkpoint.formatted
    }

    /// The encoded proof as bytes.
    public var bytes: [UInt8] { Array(formatted.utf8) }
}

extension AuditError {
    static func malformedProof(_ detail: String) -> AuditError {
        AuditError(
            .malformedProof,
            "the tlog-proof is malformed (\(detail)); it was altered or is not a C2SP tlog-proof, so obtain a fresh copy from its source"
        )
    }
}
