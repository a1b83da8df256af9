import LiaisonCore

/// How a Liaison node names its audit logs and its witness identity, and the
/// note verifier keys that follow from its public keys. Both use the node's
/// log key; the signed messages differ (a checkpoint body that starts with the
/// node's own origin vs. `cosignature/v1`, and a later log's beginning,
/// ``LogSuccessionStatement``), and the key IDs differ by type.
public enum NodeLogNames {
    /// The log's origin and the name of its key: `liaison/<fingerprint>`.
    public static func origin(_ fingerprint: NodeFingerprint) -> String { "liaison/\(fingerprint)" }

    /// The origin of one of the node's logs: `liaison/<fingerprint>` for its first,
    /// `liaison/<fingerprint>/<label>` for a log begun after it (`liaison audit
    /// new-log`), whose label is the UTC time it began (``successorLabel(at:)``).
    public static func origin(_ fingerprint: NodeFingerprint, label: String?) -> String {
        label.map { "\(origin(fingerprint))/\($0)" } ?? origin(fingerprint)
    }

    /// The label of a log begun at `time` (seconds since the epoch, UTC):
    /// `YYYYMMDDTHHMMSSZ`, so later logs sort after earlier ones as text.
    public static func successorLabel(at time: Int64) -> String {
        String(Timestamp.iso8601(time).filter { $0 != "-" && $0 != ":" })
    }

    /// Whether `text` is a successor log's label (``successorLabel(at:)``'s form).
    public static func isSuccessorLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 16, bytes[8] == UInt8(ascii: "T"), bytes[15] == UInt8(ascii: "Z") else { return false }
        return (bytes[0..<8] + bytes[9..<15]).allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Which of the logs named after `family` (a node's first log's origin) `origin`
    /// is: `.some(nil)` the first, `.some(label)` one begun after it, `nil` none of them.
    public static func label(of origin: String, family: String) -> String?? {
        if origin == family { return .some(nil) }
        guard origin.hasPrefix(family + "/") else { return nil }
        let label = String(origin.dropFirst(family.count + 1))
        return isSuccessorLabel(label) ? .some(label) : nil
    }

    /// The origin of the first log of the node whose log `origin` is: `origin` with
    /// a successor's label taken off (``origin(_:label:)``), else `origin` itself.
    public static func family(of origin: String) -> String {
        guard let slash = origin.lastIndex(of: "/"), isSuccessorLabel(String(origin[origin.index(after: slash)...])) else { return origin }
        return String(origin[..<slash])
    }

    /// `key` (a node's log key, named after its first log) under the name of its
    /// log labelled `label`; `key` itself for nil, or if `key` names a later log already.
    public static func logKey(_ key: NoteVerifierKey, label: String?) -> NoteVerifierKey {
        guard let label else { return key }
        return logKey(key, for: key.name + "/" + label) ?? key
    }

    /// Whether the log labelled `label` began after the one labelled `other`
    /// (nil: a node's first log, which every successor follows).
    public static func isLater(_ label: String?, than other: String?) -> Bool {
        guard let label else { return false }
        guard let other else { return true }
        return label > other
    }

    /// The key that verifies checkpoints of `origin`, given `key`, a node's log key
    /// as its operator or its card names it (after its first log): `key` itself for
    /// that log, the same public key under `origin`'s name for a log the node began
    /// after it, nil for any other log.
    public static func logKey(_ key: NoteVerifierKey, for origin: String) -> NoteVerifierKey? {
        if origin == key.name { return key }
        // Only a key named after a first log stands for the logs begun after it.
        guard family(of: key.name) == key.name, let label = label(of: origin, family: key.name) else { return nil }
        guard label != nil else { return key }
        return try? NoteVerifierKey(name: origin, type: key.type, publicKey: key.publicKey)
    }

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
