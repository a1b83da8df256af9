import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonStore

/// Closes a node's audit log and puts a new one in its place (`liaison audit
/// new-log`), with the daemon stopped.
///
/// The new log is written whole beside the old one first (`<file>.new`): named
/// after the time it began, carrying the old one's journal marks and witness
/// state, and with its first entry (`log.started`). Then the old file gets its
/// second name (`<stem>.before-<label>.db`, a hard link) and the new one takes
/// its place with a `rename`, so at every moment the log's path holds a whole
/// log, the old or the new.
struct AuditSuccession {
    /// The node's audit database.
    let path: String
    /// The origin of the node's first log (`liaison/<fingerprint>`).
    let family: String
    let reason: String

    func begin() throws -> AuditNewLogCommand.Report {
        let now = Timestamp.now()
        let label = NodeLogNames.successorLabel(at: now)
        let origin = family + "/" + label
        let archive = Self.archivePath(of: path, label: label)
        let previous = try openPrevious()
        var details = ["reason": reason, "via": "cli"]
        var report = AuditNewLogCommand.Report(origin: origin, succeeds: family, database: path)
        if let previous {
            let oldLabel = try previous.succession()?.label
            guard NodeLogNames.isLater(label, than: oldLabel) else {
                throw CoreError(.invalidArgument, "the log at \(path) began at \(oldLabel ?? "?"), not before now by this machine's clock; check the clock, or wait a second and retry")
            }
            let size = try previous.size()
            report.succeeds = oldLabel.map { family + "/" + $0 } ?? family
            report.previousEntries = size
            report.previousRootHash = Data(try previous.root(size: size)).base64EncodedString()
            report.previousFile = archive
            details["succeeded-size"] = String(size)
            details["succeeded-root"] = report.previousRootHash
            details["previous-file"] = (archive as NSString).lastPathComponent
        } else {
            details["previous-file"] = "not found"
        }
        details["succeeds"] = report.succeeds
        guard !FileManager.default.fileExists(atPath: archive) else {
            throw CoreError(.invalidArgument, "\(archive) exists already; wait a second and retry")
        }
        // The new log, whole and closed (its WAL folded in), beside the old one.
        let staging = path + ".new"
        for suffix in ["", "-wal", "-shm"] { unlink(staging + suffix) }
        do {
            let log = try AuditLog(path: staging)
            try log.beginAsSuccessor(LogSuccession(label: label, succeeds: report.succeeds, begunAt: now), after: previous)
            try log.appendBlocking([AuditEvent(time: Timestamp.nowMilliseconds(), kind: .logStarted,
                                               actor: .local(uid: getuid(), role: "operator"), details: details)])
            try log.close()
            try previous?.close()
        } catch {
            for suffix in ["", "-wal", "-shm"] { unlink(staging + suffix) }
            throw error
        }
        try Self.requireNoWAL(staging)
        if previous != nil {
            try Self.requireNoWAL(path)
            guard link(path, archive) == 0 else {
                throw CoreError(.io, "cannot keep the old log as \(archive): \(String(cString: strerror(errno))); nothing was changed")
            }
        }
        guard rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(archive)
            throw CoreError(.io, "cannot put the new log at \(path): \(reason); nothing was changed")
        }
        // The old log's shared-memory index has nothing to say of the new file.
        unlink(path + "-shm")
        unlink(staging + "-shm")
        if previous != nil { chmod(archive, 0o400) }
        try AtomicOutputFile.syncDirectory((path as NSString).deletingLastPathComponent)
        return report
    }

    /// Where the log that `path` held until the log labelled `label` began is kept:
    /// `audit.db` → `audit.before-<label>.db`.
    static func archivePath(of path: String, label: String) -> String {
        let stem = path.hasSuffix(".db") ? String(path.dropLast(3)) : path
        return stem + ".before-" + label + ".db"
    }

    /// The names of the logs kept beside the audit log at `path` when new ones began
    /// (``archivePath(of:label:)``), oldest first.
    static func closedLogNames(beside path: String) throws -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = ((archivePath(of: path, label: "") as NSString).lastPathComponent as NSString).deletingPathExtension
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw CoreError(.io, "cannot list \(directory) for the audit logs kept there (\(error))")
        }
        return names.filter { name in
            name.hasPrefix(prefix) && name.hasSuffix(".db")
                && NodeLogNames.isSuccessorLabel(String(name.dropFirst(prefix.count).dropLast(3)))
        }.sorted()
    }

    private func openPrevious() throws -> AuditLog? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try AuditLog(path: path)
        } catch let error as StoreError {
            throw CoreError(.auditUnavailable, "the audit log at \(path) cannot be opened (\(error.message)); if it is lost for good, move it (with its -wal) aside and run this again: the new log then says the old one was not found")
        }
    }

    /// Refuses to swap files while `path` has a write-ahead log with something in
    /// it: SQLite would read it into whichever file then has that name.
    private static func requireNoWAL(_ path: String) throws {
        var status = stat()
        guard lstat(path + "-wal", &status) != 0 || status.st_size == 0 else {
            throw CoreError(.io, "\(path)-wal still holds commits (another process has the log open?); stop it and retry; nothing was changed")
        }
        unlink(path + "-wal")
    }
}
