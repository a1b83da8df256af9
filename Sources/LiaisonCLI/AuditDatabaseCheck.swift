import LiaisonAudit
import LiaisonCore
import LiaisonStore

/// One pass over an audit database file: SQLite's storage checks of the log
/// (``AuditLog/verifyStorage(maximumIssues:thorough:onLeaf:progress:)``) and the
/// log's own verification (every leaf hashed into the tree, every checkpoint's
/// signature and cosignatures), as `audit verify --database` and `backup` run it.
/// `logKey` is the node's log key named after its first log, as its operator prints
/// it; a log the node began after that one is checked under its own name (its label).
enum AuditDatabaseCheck {
    static func run(_ log: AuditLog, logKey: NoteVerifierKey, witnesses: [NoteVerifierKey], requiredWitnesses: Int = 0,
                    trustedCheckpoint: [UInt8]? = nil) throws -> (report: AuditVerificationReport, issues: [AuditStorageIssue]) {
        let logKey = NodeLogNames.logKey(logKey, label: try log.succession()?.label)
        var verifier = try AuditLogVerifier(logKey: logKey, witnesses: witnesses, requiredWitnesses: requiredWitnesses,
                                            checkpoints: try log.checkpoints().map(\.note.bytes), trustedCheckpoint: trustedCheckpoint)
        let progress = ProgressLine(total: Int64(try log.size()), label: "verifying", unit: .entries)
        let issues = try log.verifyStorage(onLeaf: { verifier.append(leaf: $0) }, progress: { progress.reached(Int64($0)) })
        progress.finish()
        return (verifier.finish(), issues)
    }

    /// The witness keys of `peers`, each under the name of its log.
    static func witnessKeys(of peers: [PeerRecord]) throws -> [NoteVerifierKey] {
        try peers.map { try NodeLogNames.witnessKey($0.keys, named: $0.auditLogFingerprint) }
    }
}
