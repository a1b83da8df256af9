import LiaisonCrypto

/// How witness keys and cosignatures are counted, shared by proof and log
/// verification so that both apply the same threshold rule.
enum WitnessPolicy {
    /// `witnesses` with each public key once (the first name given for it) and
    /// without any key of the log's own (the same public key under another name
    /// or type, such as the node's own witness key), in the order given. A
    /// cosignature does not commit to its signer's name (C2SP tlog-cosignature),
    /// so one key listed under two names must not count as two witnesses; nor
    /// may the log count as its own witness.
    static func keys(_ witnesses: [NoteVerifierKey], excluding logKey: NoteVerifierKey) -> [NoteVerifierKey] {
        var seen: Set<LogPublicKey> = [logKey.publicKey]
        return witnesses.filter { seen.insert($0.publicKey).inserted }
    }

    /// The distinct key names among verified cosignatures, sorted: a witness is
    /// its name, so two keys of one witness count once.
    static func distinctNames(_ cosignatures: [VerifiedNoteSignature]) -> [String] {
        Set(cosignatures.map(\.key.name)).sorted()
    }
}
