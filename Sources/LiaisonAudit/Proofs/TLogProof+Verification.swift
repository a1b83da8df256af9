/// A tlog-proof that verified: the entry is in the log as of ``checkpoint``.
public struct VerifiedTLogProof: Hashable, Sendable {
    /// The entry's index in the log.
    public let index: Int
    /// The checkpoint, trusted as far as the log key is.
    public let checkpoint: Checkpoint
    /// The trusted witnesses' cosignatures that verified, with their times.
    public let cosignatures: [VerifiedNoteSignature]
    /// The proof's extra data; still unauthenticated.
    public let extra: [UInt8]?

    /// The distinct names of the witnesses that cosigned.
    public var cosignerNames: [String] { WitnessPolicy.distinctNames(cosignatures) }
}

extension TLogProof {
    /// Checks that `leaf` (the entry's data, e.g. an audit event's canonical
    /// bytes) is entry ``index`` of the log whose key is `logKey`, as of a
    /// checkpoint cosigned by at least `requiredWitnesses` distinct witnesses
    /// from `witnesses`.
    ///
    /// Throws what ``Checkpoint/open(_:logKey:witnesses:)`` throws when the
    /// checkpoint is not genuine, ``AuditError/Code/proofIndexOutOfRange`` when
    /// the index is not below the tree size, ``AuditError/Code/inclusionFailed``
    /// when the hashes do not lead from the leaf to the checkpoint's root, and
    /// ``AuditError/Code/insufficientWitnesses`` when too few witnesses cosigned.
    /// Witnesses are counted by name, so one witness with two keys counts once.
    public func verify(
        leaf: [UInt8], logKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = [], requiredWitnesses: Int = 0
    ) throws -> VerifiedTLogProof {
        precondition(requiredWitnesses >= 0, "a witness threshold cannot be negative")
        let witnessKeys = WitnessPolicy.keys(witnesses, excluding: logKey)
        let opened = try Checkpoint.open(checkpoint.bytes, logKey: logKey, witnesses: witnessKeys)
        let size = opened.checkpoint.size
        guard index < size else {
            throw AuditError(
                .proofIndexOutOfRange,
                "the proof is for entry \(index), but its checkpoint covers only \(size) entries; ask the log for a proof against a newer checkpoint"
            )
        }
        guard MerkleTree.verifyInclusion(
            leafHash: MerkleHasher.leafHash(leaf), index: index, size: size, proof: hashes, root: opened.checkpoint.rootHash
        ) else {
            throw AuditError(
                .inclusionFailed,
                "the proof does not show this entry at index \(index) of the log at size \(size); the entry, the index or the proof was altered, so do not rely on it"
            )
        }
        let cosigners = WitnessPolicy.distinctNames(opened.cosignatures)
        guard cosigners.count >= requiredWitnesses else {
            // Cosigners on the note whose keys were not given: a key given wrongly, most likely.
            // A given witness's line its key does not verify is named whatever else counted;
            // other cosigners only when none of the keys given verified anything.
            let uncounted = opened.uncountedCosigners(logKey: logKey, witnesses: witnessKeys)
            let others = !uncounted.wrongKey.isEmpty ? uncounted.wrongKey.sorted() : cosigners.isEmpty ? uncounted.names.sorted() : []
            // A key of the log's own among those given was left out: said, as `audit verify` says it.
            let ownLeftOut = witnesses.contains { $0.publicKey == logKey.publicKey }
            throw AuditError.insufficientWitnesses(
                have: cosigners.count, required: requiredWitnesses, trusted: witnessKeys.count, size: size, others: others,
                givenOwnKey: ownLeftOut
            )
        }
        return VerifiedTLogProof(index: index, checkpoint: opened.checkpoint, cosignatures: opened.cosignatures, extra: extra)
    }
}

extension AuditError {
    static func insufficientWitnesses(have: Int, required: Int, trusted: Int, size: Int, others: [String] = [],
                                      givenOwnKey: Bool = false) -> AuditError {
        let hint = required > trusted
            ? "only \(trusted) witness keys were given\(givenOwnKey ? " (the log's own key, also given, never counts: a log does not witness itself)" : ""), so give the keys of more witnesses or lower the threshold"
            : !others.isEmpty
            ? "it is cosigned by \(others.joined(separator: ", ")), which no witness key given verifies: check that the keys given are those witnesses' (each prints its own with \"liaison keys show\")"
            : "wait until more witnesses have cosigned a checkpoint, then ask for a fresh proof"
        return AuditError(
            .insufficientWitnesses,
            "the checkpoint at size \(size) carries \(have) of the \(required) required witness cosignatures; \(hint)"
        )
    }
}
