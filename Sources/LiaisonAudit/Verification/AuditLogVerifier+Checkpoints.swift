/// A root the entries must reach at a size: from one or more genuine log
/// checkpoints that agree, or from the auditor's trusted checkpoint.
struct ExpectedRoot: Sendable {
    let size: Int
    let root: [UInt8]
    let isTrusted: Bool
    /// The checkpoints (file names) that state this root at this size.
    var labels: [String]
    /// Verified witness cosignatures over any of them, one per key.
    var cosignatures: [VerifiedNoteSignature]

    var label: String { labels.joined(separator: ", ") }
}

extension AuditLogVerifier {
    /// Opens one checkpoint under the log key; a failure is recorded, not thrown.
    ///
    /// When only a witness's line is bad, the log's signature still makes the
    /// checkpoint usable for comparing roots, so it is kept without cosignatures.
    mutating func openCheckpoint(_ bytes: [UInt8], label: String) -> ExpectedRoot? {
        do {
            let opened = try Checkpoint.open(bytes, logKey: logKey, witnesses: witnessKeys)
            // Cosigners whose keys were not given: named if too few given ones cosigned.
            let uncounted = opened.uncountedCosigners(logKey: logKey, witnesses: witnessKeys)
            otherCosigners.formUnion(uncounted.names)
            wrongKeyCosigners.formUnion(uncounted.wrongKey)
            givenCosigned = givenCosigned || !opened.cosignatures.isEmpty
            return ExpectedRoot(opened, label: label, isTrusted: false)
        } catch {
            let claim = Self.claimed(bytes)
            let claimed = claim?.size
            let reason = (error as? AuditError)?.message ?? "it cannot be read"
            if (error as? AuditError)?.code == .signatureInvalid,
               let opened = try? Checkpoint.open(bytes, logKey: logKey) {
                record(AuditVerificationFailure(
                    .cosignatureInvalid, checkpointSize: opened.checkpoint.size, checkpoint: label,
                    message: "\(label) at size \(opened.checkpoint.size) is signed by the log, but a witness cosignature on it does not verify (\(reason)); its cosignatures are not counted"
                ))
                return ExpectedRoot(opened, label: label, isTrusted: false)
            }
            let size = claimed.map { " (claiming size \($0))" } ?? ""
            // A checkpoint of another log, not signed by the key given: said once, with what
            // it means (likely the wrong key), then counted.
            if (error as? AuditError)?.code == .noVerifiedSignature, let origin = claim?.origin, origin != logKey.name {
                if let other = otherLogCheckpoints, other.origin == origin {
                    otherLogCheckpoints?.count += 1
                    return nil
                }
                if otherLogCheckpoints == nil { otherLogCheckpoints = (origin, 1) }
                record(AuditVerificationFailure(
                    .checkpointInvalid, checkpointSize: claimed, checkpoint: label,
                    message: "\(label)\(size) is a checkpoint of \(origin), not of \(logKey.name) whose key you gave, and was ignored"
                ))
                return nil
            }
            record(AuditVerificationFailure(
                .checkpointInvalid, checkpointSize: claimed, checkpoint: label,
                message: "\(label)\(size) is not a genuine checkpoint of this log and was ignored: \(reason)"
            ))
            return nil
        }
    }

    /// Opens the auditor's own checkpoint, which must carry the log's signature.
    mutating func openTrustedCheckpoint(_ bytes: [UInt8]) -> ExpectedRoot? {
        let label = "the trusted checkpoint"
        do {
            return ExpectedRoot(try Checkpoint.open(bytes, logKey: logKey), label: label, isTrusted: true)
        } catch {
            let reason = (error as? AuditError)?.message ?? "it cannot be read"
            record(AuditVerificationFailure(
                .checkpointInvalid, checkpointSize: Self.claimed(bytes)?.size, checkpoint: label,
                message: "the trusted checkpoint you gave does not open under log key \(logKey.name), so the log could not be compared with it: \(reason)"
            ))
            return nil
        }
    }

    /// Merges checkpoints that state the same root at the same size and reports
    /// every size at which the log key signed more than one root.
    mutating func mergeAndDetectForks(_ opened: [ExpectedRoot]) -> [ExpectedRoot] {
        var merged: [ExpectedRoot] = []
        for checkpoint in opened.sorted(by: { $0.size < $1.size }) {
            // Sorted by size: the checkpoints of this size, if any, are the last ones merged.
            let sameSize = merged.indices.reversed().prefix { merged[$0].size == checkpoint.size }
            if let same = sameSize.first(where: { merged[$0].root == checkpoint.root }) {
                merged[same].labels += checkpoint.labels
                for cosignature in checkpoint.cosignatures where !merged[same].cosignatures.contains(where: { $0.key == cosignature.key }) {
                    merged[same].cosignatures.append(cosignature)
                }
            } else {
                merged.append(checkpoint)
            }
        }
        var index = 0
        while index < merged.count {
            let size = merged[index].size
            let sameSize = merged[index...].prefix { $0.size == size }
            if sameSize.count > 1 {
                let names = sameSize.map(\.label).joined(separator: "; ")
                record(AuditVerificationFailure(
                    .fork, checkpointSize: size, checkpoint: names,
                    message: "the log key signed \(sameSize.count) different trees of size \(size) (\(names)): the log forked its history; keep these checkpoints as evidence"
                ))
            }
            index += sameSize.count
        }
        return merged
    }

    /// What a checkpoint says of itself (its log's origin, its size), read without
    /// checking who signed it: for messages about one that did not verify.
    static func claimed(_ bytes: [UInt8]) -> Checkpoint? {
        guard let note = try? SignedNote(parsing: bytes) else { return nil }
        return try? Checkpoint(parsing: note.text)
    }
}

extension ExpectedRoot {
    init(_ opened: OpenedCheckpoint, label: String, isTrusted: Bool) {
        self.init(
            size: opened.checkpoint.size, root: opened.checkpoint.rootHash, isTrusted: isTrusted,
            labels: [label], cosignatures: isTrusted ? [] : opened.cosignatures
        )
    }
}
