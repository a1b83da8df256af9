import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonStore

/// How commands that work on the node's files without the daemon (init, peers
/// import, package seal/open) record what they do: straight into the node's
/// audit database, as the local user acting as operator.
///
/// Fail closed: ``record(_:)`` throws ``CoreError/Code/auditUnavailable`` and the
/// caller then does not finish the action (no output file, no keyring change).
struct LocalAudit {
    let log: AuditLog
    let actor: AuditActor
    /// The log file's lock, held shared while the log is open (``AuditFileLock``).
    private let lock: Int32

    init(home: NodeHome, configuration: NodeConfiguration) throws {
        let path = configuration.audit.databasePath(home: home.path)
        lock = try AuditFileLock.shared(for: path)
        do {
            log = try AuditLog(path: path)
        } catch let error as StoreError {
            Foundation.close(lock)
            throw CoreError(.auditUnavailable, "the audit log cannot be opened (\(error.message)); nothing was done")
        } catch {
            Foundation.close(lock)
            throw error
        }
        actor = .local(uid: getuid(), role: "operator")
    }

    /// An event by this user, stamped now.
    func event(_ kind: AuditEventKind, peer: PeerRecord? = nil, package: String? = nil, markings: String? = nil,
               details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(time: Timestamp.nowMilliseconds(), kind: kind, actor: actor, peer: peer?.fingerprint.description,
                   peerName: peer?.name, package: package, markings: markings, details: details.merging(["via": "cli"]) { a, _ in a })
    }

    /// Closes the log when the command is done with it: with no daemon running, its
    /// file is then whole without its WAL (``AuditLog/close()``). What was recorded
    /// is durable already, so a failure here loses nothing and is not reported.
    func close() {
        try? log.close()
        Foundation.close(lock)
    }

    func record(_ events: AuditEvent...) throws {
        do {
            try log.appendBlocking(events)
        } catch let error as StoreError {
            throw CoreError(.auditUnavailable, "the audit log cannot be written (\(error.message)); nothing was done. Free space on the audit volume and retry")
        }
    }
}
