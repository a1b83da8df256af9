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
        try logKey(keys, named: keys.fingerprint)
    }

    /// The verifier key of the audit log named after `fingerprint` (a node that
    /// rotated its identity keeps its log's name: `log-name` in its configuration
    /// or keyring record) and signed with `keys.log`.
    public static func logKey(_ keys: NodePublicKeys, named fingerprint: NodeFingerprint) throws -> NoteVerifierKey {
        try NoteVerifierKey(name: origin(fingerprint), type: .ed25519, publicKey: keys.log)
    }

    /// The verifier key of a node's cosignatures (as a witness of others' logs).
    public static func witnessKey(_ keys: NodePublicKeys) throws -> NoteVerifierKey {
        try witnessKey(keys, named: keys.fingerprint)
    }

    /// The verifier key of cosignatures made under the witness name of `fingerprint`.
    public static func witnessKey(_ keys: NodePublicKeys, named fingerprint: NodeFingerprint) throws -> NoteVerifierKey {
        try NoteVerifierKey(name: witnessName(fingerprint), type: .cosignatureV1, publicKey: keys.log)
    }
}
