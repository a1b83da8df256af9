import LiaisonCore

/// How a Liaison node names its audit log and its witness identity, and the
/// note verifier keys that follow from its public keys. Both use the node's
/// log key; the signed messages differ (a checkpoint body that starts with the
/// node's own origin vs. `cosignature/v1`), and the key IDs differ by type.
public enum NodeLogNames {
    /// The log's origin and the name of its key: `liaison/<fingerprint>`.
    public static func origin(_ fingerprint: NodeFingerprint) -> String { "liaison/\(fingerprint)" }

    /// The name the node cosigns other logs under: `liaison-witness/<fingerprint>`.
    public static func witnessName(_ fingerprint: NodeFingerprint) -> String { "liaison-witness/\(fingerprint)" }

    /// The verifier key of a node's audit log checkpoints.
    public static func logKey(_ keys: NodePublicKeys) throws -> NoteVerifierKey {
        try NoteVerifierKey(name: origin(keys.fingerprint), type: .ed25519, publicKey: keys.log)
    }

    /// The verifier key of a node's cosignatures (as a witness of others' logs).
    public static func witnessKey(_ keys: NodePublicKeys) throws -> NoteVerifierKey {
        try NoteVerifierKey(name: witnessName(keys.fingerprint), type: .cosignatureV1, publicKey: keys.log)
    }
}
