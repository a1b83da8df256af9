/// The directory `liaison audit export` writes and `liaison audit verify --bundle`
/// reads: everything an auditor needs to verify a node's audit log offline.
///
///     DIR/manifest.json     what was exported, when and by whom (informational: never trusted)
///     DIR/log.vkey          the log's note verifier key, one line
///     DIR/witnesses.vkey    witness verifier keys (cosignature/v1), one per line, maybe none
///     DIR/leaves.jsonl      entry i is line i: its canonical leaf bytes and "\n"
///     DIR/checkpoints/<size, 20 digits>.checkpoint   one signed checkpoint note each,
///                           witness cosignatures merged in
///
/// Keys in a bundle came with the bundle, so they prove only that it is
/// self-consistent: an auditor passes the keys they trust, or compares the
/// bundle's keys with the real ones out of band. Writing is
/// ``AuditBundleWriter``, reading ``AuditBundleReader``, checking
/// ``verify(directory:trustedLogKey:trustedWitnesses:requiredWitnesses:trustedCheckpoint:)``.
public enum AuditBundle {
    /// The `format` of ``AuditBundleManifest``.
    public static let format = "liaison-audit-bundle/v1"
    /// Name of the manifest file.
    public static let manifestFile = "manifest.json"
    /// Name of the log key file.
    public static let logKeyFile = "log.vkey"
    /// Name of the witness keys file.
    public static let witnessKeysFile = "witnesses.vkey"
    /// Name of the leaves file.
    public static let leavesFile = "leaves.jsonl"
    /// Name of the checkpoints directory.
    public static let checkpointsDirectory = "checkpoints"
    /// Extension of checkpoint files.
    public static let checkpointExtension = ".checkpoint"

    /// Largest key file read, in bytes.
    static let maximumKeyFileByteCount = 64 * 1024
    /// Largest manifest read, in bytes.
    static let maximumManifestByteCount = 64 * 1024
    private static let sizeDigits = 20

    /// The file name of the checkpoint at `size`, e.g. `00000000000000001024.checkpoint`.
    public static func checkpointFileName(size: Int) -> String {
        precondition(size >= 0, "a tree size cannot be negative")
        let digits = String(size)
        return String(repeating: "0", count: sizeDigits - digits.count) + digits + checkpointExtension
    }

    /// The size a checkpoint file name states, or `nil` if the name is not
    /// exactly 20 decimal digits followed by `.checkpoint`.
    public static func checkpointSize(fileName: String) -> Int? {
        let utf8 = Array(fileName.utf8)
        guard utf8.count == sizeDigits + checkpointExtension.utf8.count,
              utf8.suffix(checkpointExtension.utf8.count).elementsEqual(checkpointExtension.utf8)
        else { return nil }
        let digits = utf8.prefix(sizeDigits)
        guard digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(String(decoding: digits, as: UTF8.self))
    }
}
