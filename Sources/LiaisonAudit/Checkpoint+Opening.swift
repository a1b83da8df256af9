/// A checkpoint whose log signature verified, with the cosignatures that did.
public struct OpenedCheckpoint: Hashable, Sendable {
    /// The checkpoint, trusted as far as the log key is.
    public let checkpoint: Checkpoint
    /// Verified cosignatures from the given witnesses, with their times; which
    /// and how many are enough is the caller's policy.
    public let cosignatures: [VerifiedNoteSignature]
    /// The note as received, for storing or passing on.
    public let note: SignedNote
}

extension Checkpoint {
    /// Opens a signed checkpoint of the log whose key is `logKey`.
    ///
    /// The note must carry a valid signature by `logKey`, its text must be a
    /// checkpoint, and the checkpoint's origin must be `logKey`'s name, so that
    /// one log's key cannot vouch for a checkpoint claiming to be another log.
    /// Lines from `witnesses` are verified too; any other line is ignored.
    public static func open(
        _ bytes: [UInt8], logKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = []
    ) throws -> OpenedCheckpoint {
        guard logKey.type == .ed25519 else {
            throw AuditError(
                .unsupportedSignatureType,
                "\(logKey.name) is a cosigner key, not a log key; give the log's own verifier key (type 1)"
            )
        }
        let note = try SignedNote(parsing: bytes)
        let verified = try note.verify(using: NoteVerifierSet([logKey] + witnesses))
        guard verified.verified.contains(where: { $0.key == logKey }) else {
            throw AuditError(
                .noVerifiedSignature,
                "the checkpoint is not signed by log key \(logKey.name); it is not from that log or the log key changed"
            )
        }
        let checkpoint = try Checkpoint(parsing: note.text)
        guard checkpoint.origin == logKey.name else {
            throw AuditError(
                .originMismatch,
                "the checkpoint names log \(checkpoint.origin) but is signed by key \(logKey.name); do not trust it for either log"
            )
        }
        return OpenedCheckpoint(
            checkpoint: checkpoint,
            cosignatures: verified.verified.filter { $0.key != logKey },
            note: note
        )
    }
}

extension OpenedCheckpoint {
    /// The cosigners on this note that no given witness key verified (`names`; the
    /// log's own line aside), and among them those under the name of a witness whose
    /// key was given but is not the one that signed (`wrongKey`): what to name when a
    /// witness threshold is missed, rather than asking to wait.
    func uncountedCosigners(logKey: NoteVerifierKey, witnesses: [NoteVerifierKey]) -> (names: Set<String>, wrongKey: Set<String>) {
        let counted = Set(cosignatures.map(\.key.name))
        var names = Set<String>(), wrongKey = Set<String>()
        for line in note.signatures where line.name != logKey.name && !counted.contains(line.name) {
            names.insert(line.name)
            if witnesses.contains(where: { $0.name == line.name }) && !witnesses.contains(where: { $0.name == line.name && $0.keyID == line.keyID }) {
                wrongKey.insert(line.name)
            }
        }
        return (names, wrongKey)
    }
}
