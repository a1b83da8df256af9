/// How witness keys and cosignatures are counted, shared by proof and log
/// verification so that both apply the same threshold rule.
enum WitnessPolicy {
    /// `witnesses` without exact duplicates and without any key of the log's own
    /// (the same public key under another name or type, such as the node's own
    /// witness key), in the order given, so that a repeated key cannot make a
    /// ``NoteVerifierSet`` ambiguous nor the log count as its own witness.
    static func keys(_ witnesses: [NoteVerifierKey], excluding logKey: NoteVerifierKey) -> [NoteVerifierKey] {
        var seen: Set<NoteVerifierKey> = [logKey]
        return witnesses.filter { $0.publicKey != logKey.publicKey && seen.insert($0).inserted }
    }

    /// The distinct key names among verified cosignatures, sorted: a witness is
    /// its name, so two keys of one witness count once.
    static func distinctNames(_ cosignatures: [VerifiedNoteSignature]) -> [String] {
        Set(cosignatures.map(\.key.name)).sorted()
    }
}
