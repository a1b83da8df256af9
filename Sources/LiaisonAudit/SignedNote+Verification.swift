/// A signature that verified under a trusted key.
public struct VerifiedNoteSignature: Hashable, Sendable {
    /// The trusted key it verified under.
    public let key: NoteVerifierKey
    /// For a cosignature, the time the cosigner vouched for (POSIX seconds);
    /// `nil` for a plain Ed25519 signature.
    public let cosignatureTimestamp: UInt64?
}

/// A note whose signatures were checked: its text may now be trusted as far as
/// the keys in ``verified`` are.
public struct VerifiedNote: Hashable, Sendable {
    /// The note text.
    public let text: String
    /// One entry per trusted key that signed, in the order the lines appear.
    public let verified: [VerifiedNoteSignature]
    /// Lines from keys not in the verifier set, kept (deduplicated) so they can
    /// be passed on; they say nothing.
    public let unverified: [NoteSignature]
}

extension SignedNote {
    /// Checks every signature line against `verifiers`, as C2SP signed-note says:
    /// lines from unknown keys are ignored; a line from a known key that fails
    /// to verify rejects the whole note (``AuditError/Code/signatureInvalid``);
    /// a note without any verified signature is rejected
    /// (``AuditError/Code/noVerifiedSignature``).
    ///
    /// Unlike Go's `note.Open`, every line from a known key is verified, not only
    /// the first, so no unchecked bytes from a trusted key's name ride along.
    public func verify(using verifiers: NoteVerifierSet) throws -> VerifiedNote {
        let message = Array(text.utf8)
        var verified: [VerifiedNoteSignature] = []
        var unverified: [NoteSignature] = []
        for line in signatures {
            guard let key = verifiers.key(name: line.name, keyID: line.keyID) else {
                if !unverified.contains(line) { unverified.append(line) }
                continue
            }
            guard key.isValid(signature: line.signature, forText: message) else {
                throw AuditError(
                    .signatureInvalid,
                    "the signature of trusted key \(key.name)+\(key.keyID.keyIDHex) does not verify; the note was altered or forged, so do not trust it"
                )
            }
            if !verified.contains(where: { $0.key == key }) {
                let timestamp = key.type == .cosignatureV1 ? try? Cosignature(payload: line.signature).timestamp : nil
                verified.append(VerifiedNoteSignature(key: key, cosignatureTimestamp: timestamp))
            }
        }
        guard !verified.isEmpty else {
            let names = Set(signatures.map(\.name)).sorted().joined(separator: ", ")
            throw AuditError(
                .noVerifiedSignature,
                "the note is not signed by any trusted key (it names: \(names)); add the signer's verifier key if it should be trusted"
            )
        }
        return VerifiedNote(text: text, verified: verified, unverified: unverified)
    }

    /// Parses and verifies an encoded note in one step.
    public static func open(_ bytes: [UInt8], verifiers: NoteVerifierSet) throws -> VerifiedNote {
        try SignedNote(parsing: bytes).verify(using: verifiers)
    }
}

extension NoteVerifierKey {
    /// True when `signature` (a line's bytes after the key ID) is this key's
    /// signature over note text `text`, according to the key's type.
    func isValid(signature: [UInt8], forText text: [UInt8]) -> Bool {
        switch type {
        case .ed25519:
            return publicKey.isValidSignature(signature, for: text)
        case .cosignatureV1:
            guard let cosignature = try? Cosignature(payload: signature) else { return false }
            let message = Cosignature.signedMessage(text: text, timestamp: cosignature.timestamp)
            return publicKey.isValidSignature(cosignature.signature, for: message)
        }
    }
}
