import LiaisonCrypto

/// Signs note text with the log key (signed-note Ed25519, type 0x01): how a
/// Liaison node signs its audit checkpoints.
public struct NoteSigner: Sendable {
    /// The public half, to hand to whoever verifies this log's checkpoints.
    public let verifierKey: NoteVerifierKey
    private let secretKey: LogSecretKey

    /// A signer named `name` (for a log, its checkpoint origin).
    public init(name: String, secretKey: LogSecretKey) throws {
        self.verifierKey = try NoteVerifierKey(name: name, type: .ed25519, publicKey: secretKey.publicKey)
        self.secretKey = secretKey
    }

    /// The signature line for `text`, which must be a valid note text (see
    /// ``SignedNote/init(text:signatures:)``).
    public func signature(for text: String) throws -> NoteSignature {
        try SignedNote.checkText(text)
        return try NoteSignature(
            name: verifierKey.name,
            keyID: verifierKey.keyID,
            signature: secretKey.signature(for: Array(text.utf8))
        )
    }

    /// Signs a checkpoint: a note whose text is the checkpoint body.
    ///
    /// The signer's name must be the checkpoint's origin (C2SP tlog-checkpoint
    /// asks for it, and ``Checkpoint/open(_:logKey:witnesses:)`` insists on it);
    /// otherwise ``AuditError/Code/originMismatch`` is thrown.
    public func sign(_ checkpoint: Checkpoint) throws -> SignedNote {
        guard checkpoint.origin == verifierKey.name else {
            throw AuditError(
                .originMismatch,
                "log key \(verifierKey.name) cannot sign a checkpoint of log \(checkpoint.origin); configure the log key's name as the log's origin"
            )
        }
        let text = checkpoint.body
        return try SignedNote(text: text, signatures: [signature(for: text)])
    }
}
