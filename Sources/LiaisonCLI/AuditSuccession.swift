import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

/// Closes a node's audit log and puts a new one in its place (`liaison audit
/// new-log`), with the daemon stopped (its lock held).
///
/// The new log is written whole beside the old one first (`<file>.new`): named
/// after the time it began, carrying the old one's journal marks and witness
/// state, and with its first entry (`log.started`). Then the old file gets its
/// second name (`<stem>.before-<label>.db`, a hard link) and the new one takes
/// its place with a `rename`, so at every moment the log's path holds a whole
/// log, the old or the new. What a crash between the two leaves (the staging
/// file, a second name of the live log) is cleared at the next run.
struct AuditSuccession {
    /// The node's audit database.
    let path: String
    /// The origin of the node's first log (`liaison/<fingerprint>`).
    let family: String
    /// Why the log could not go on, in the operator's words (kept in `log.started`).
    let reason: String
    /// The node's identity fingerprints as its configuration knows them (current,
    /// and the one its log is named after), named in `log.started` with those the
    /// old log recorded, so the new log alone says whose receipts are this node's.
    let fingerprints: [String]
    /// The node's log key: it signs the statement that begins the new log.
    let logKey: LogSecretKey

    func begin() throws -> AuditNewLogCommand.Report {
        let now = Timestamp.now()
        let label = NodeLogNames.successorLabel(at: now)
        let staging = path + ".new"
        try clearLeftovers(staging: staging)
        let previous = try openPrevious()
        var details = ["reason": reason, "via": "cli"]
        var report = AuditNewLogCommand.Report(origin: family + "/" + label, succeeds: family, database: path)
        var known = Set(fingerprints)
        var oldLabel: String?
        var closedAt: (size: Int, root: [UInt8])?
        let archive = Self.archivePath(of: path, label: label)
        if let previous {
            oldLabel = try previous.succession()?.label
            let size = try previous.size()
            closedAt = (size, try previous.root(size: size))
            report.previousEntries = size
            report.previousRootHash = Data(closedAt!.root).base64EncodedString()
            report.previousFile = archive
            details["previous-file"] = (archive as NSString).lastPathComponent
            var rotations = AuditQuery()
            rotations.kinds = [.keyRotated]
            rotations.limit = 100_000
            for entry in try previous.query(rotations) where entry.event.details["by"] == "self" {
                if let fingerprint = entry.event.details["fingerprint"] { known.insert(fingerprint) }
            }
            // A copy restored from before the node's last new log: its witnesses showed it
            // that later log (`superseded-by`), which is the one the new log follows.
            if let later = try Self.supersedingLabel(recordedIn: previous, family: family), NodeLogNames.isLater(later, than: oldLabel) {
                oldLabel = later
            }
        } else {
            // A write-ahead log without its database would be read into the new file.
            try Self.requireNoWAL(path, what: "\(path)-wal is there without \(path): move it aside with the rest of the lost log; nothing was changed")
            // The lost log followed the newest one kept here, if any: it was that one's successor or later.
            oldLabel = try Self.closedLogNames(beside: path).last.flatMap(Self.label(ofClosed:))
            details["previous-file"] = "not found"
        }
        if let oldLabel { report.succeeds = family + "/" + oldLabel }
        guard NodeLogNames.isLater(label, than: oldLabel) else {
            throw CoreError(.invalidArgument, "the log before began at \(oldLabel ?? "?"), not before now (\(label)) by this machine's clock: set the clock right, then run this again; nothing was changed")
        }
        let statement = LogSuccessionStatement(origin: report.origin, succeeds: report.succeeds, succeededSize: closedAt?.size,
                                               succeededRoot: closedAt?.root, begunAt: now)
        let signature = statement.signature(with: logKey)
        details.merge(statement.details(signature: signature)) { _, signed in signed }
        details["node-fingerprints"] = known.sorted().joined(separator: ",")
        guard !FileManager.default.fileExists(atPath: archive) else {
            throw CoreError(.invalidArgument, "\(archive) exists already; wait a second and retry; nothing was changed")
        }
        do {
            try writeStaging(staging, LogSuccession(statement: statement, signature: signature), after: previous, details: details)
            try previous?.close()
            if let closedAt { try Self.requireUnchanged(path, since: closedAt) }
            try Self.requireNoWAL(staging, what: "\(staging)-wal still holds commits")
            try Self.requireNoWAL(path, what: "\(path)-wal still holds commits (another process has the log open?): stop it and retry")
            // Kept, it is a file on its own: read, copied and verified with nothing beside it.
            if previous != nil { try AuditLog.leaveWALMode(path: path) }
            if previous != nil {
                guard link(path, archive) == 0 else {
                    throw CoreError(.io, "cannot keep the old log as \(archive): \(String(cString: strerror(errno)))")
                }
                // The old log's second name is durable before its first goes to the new log.
                try AtomicOutputFile.syncDirectory((path as NSString).deletingLastPathComponent)
            }
        } catch let error as CoreError {
            for suffix in ["", "-wal", "-shm"] { unlink(staging + suffix) }
            throw CoreError(error.code, error.message.hasSuffix("nothing was changed") ? error.message : error.message + "; nothing was changed")
        } catch {
            for suffix in ["", "-wal", "-shm"] { unlink(staging + suffix) }
            throw error
        }
        guard rename(staging, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(archive)
            for suffix in ["", "-wal", "-shm"] { unlink(staging + suffix) }
            throw CoreError(.io, "cannot put the new log at \(path): \(reason); nothing was changed")
        }
        // The old log's shared-memory index has nothing to say of the new file.
        unlink(path + "-shm")
        unlink(staging + "-shm")
        if previous != nil { chmod(archive, 0o400) }
        // Done: the new log is in place. A rename not yet durable is said, not undone.
        do { try AtomicOutputFile.syncDirectory((path as NSString).deletingLastPathComponent) } catch {
            FileHandle.standardError.write(Data("warning: \(error); the new log is in place, but a power cut now could bring the old one back: run `sync`\n".utf8))
        }
        return report
    }

    /// The new log, whole and closed (its WAL folded in), at `staging`.
    private func writeStaging(_ staging: String, _ succession: LogSuccession, after previous: AuditLog?, details: [String: String]) throws {
        let log = try AuditLog(path: staging)
        try log.beginAsSuccessor(succession, after: previous)
        try log.appendBlocking([AuditEvent(time: Timestamp.nowMilliseconds(), kind: .logStarted,
                                           actor: .local(uid: getuid(), role: "operator"), details: details)])
        try log.close()
    }

    /// The label of the latest later log of this node that a witness showed `log`
    /// it had cosigned (a refusal as superseded, recorded with `superseded-by`).
    private static func supersedingLabel(recordedIn log: AuditLog, family: String) throws -> String? {
        var refusals = AuditQuery()
        refusals.kinds = [.checkpointCosigned]
        refusals.outcomes = [.denied]
        refusals.limit = 100_000
        return try log.query(refusals).compactMap { entry in
            entry.event.details["superseded-by"].flatMap { NodeLogNames.label(of: $0, family: family) ?? nil }
        }.max()
    }

    /// Clears what a run cut short between its link and its rename left: the staging
    /// file, and a closed log's name that is a second name of the live log.
    private func clearLeftovers(staging: String) throws {
        for suffix in ["", "-wal", "-shm"] { unlink(staging + suffix) }
        let directory = (path as NSString).deletingLastPathComponent
        let closed = Set(try Self.closedLogNames(beside: path))
        for name in try Self.closedLogNames(beside: path, includingLive: true) {
            // A second name of the live log goes; a genuine closed log a run cut short
            // after its rename left writable is made read-only.
            if closed.contains(name) { chmod(directory + "/" + name, 0o400) } else { unlink(directory + "/" + name) }
        }
    }

    private func openPrevious() throws -> AuditLog? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // A log that is there but not the caller's to write (a closed log copied back
        // read-only, another owner) is not lost: say so, not "move it aside".
        guard access(path, R_OK | W_OK) == 0 else {
            throw CoreError(.auditUnavailable, "cannot read and write the audit log at \(path) (\(String(cString: strerror(errno)))): it must be the node's user's, mode 0600 (chown, chmod 600); nothing was changed")
        }
        do {
            // Writable: a daemon that was killed leaves commits in the WAL, which closing folds in.
            return try AuditLog(path: path)
        } catch let error as StoreError where error.code == .corrupt || error.code == .cannotOpen {
            throw CoreError(.auditUnavailable, "the audit log at \(path) cannot be opened (\(error.message)); if it is lost for good, move it (with its -wal) aside and run this again: the new log then says the old one was not found")
        } catch let error as StoreError {
            throw CoreError(.auditUnavailable, "the audit log at \(path) cannot be opened (\(error.message)); nothing was changed")
        }
    }

    /// Where the log that `path` held until the log labelled `label` began is kept:
    /// `audit.db` → `audit.before-<label>.db`.
    static func archivePath(of path: String, label: String) -> String {
        let stem = path.hasSuffix(".db") ? String(path.dropLast(3)) : path
        return stem + ".before-" + label + ".db"
    }

    /// The label in a closed log's name (``archivePath(of:label:)``): the label of the log that followed it.
    static func label(ofClosed name: String) -> String? {
        guard name.hasSuffix(".db"), let dash = name.range(of: ".before-", options: .backwards) else { return nil }
        let label = String(name[dash.upperBound...].dropLast(3))
        return NodeLogNames.isSuccessorLabel(label) ? label : nil
    }

    /// The names of the logs kept beside the audit log at `path` when new ones began
    /// (``archivePath(of:label:)``), oldest first; without `includingLive`, a name
    /// that is the live log's own (left by a run cut short) is not one.
    static func closedLogNames(beside path: String, includingLive: Bool = false) throws -> [String] {
        let directory = (path as NSString).deletingLastPathComponent
        let prefix = ((archivePath(of: path, label: "") as NSString).lastPathComponent as NSString).deletingPathExtension
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw CoreError(.io, "cannot list \(directory) for the audit logs kept there (\(error))")
        }
        var live = stat()
        let hasLive = !includingLive && stat(path, &live) == 0
        return names.filter { name in
            guard name.hasPrefix(prefix), label(ofClosed: name) != nil else { return false }
            var info = stat()
            return !(hasLive && stat(directory + "/" + name, &info) == 0 && info.st_dev == live.st_dev && info.st_ino == live.st_ino)
        }.sorted()
    }

    /// Refuses to go on if the log at `path` is no longer as it was closed: an
    /// offline command (`package seal`, `peers import`) appended meanwhile.
    private static func requireUnchanged(_ path: String, since closedAt: (size: Int, root: [UInt8])) throws {
        let log = try AuditLog(readingOnly: path)
        defer { try? log.close() }
        let size = try log.size()
        guard size == closedAt.size, try log.root(size: size) == closedAt.root else {
            throw CoreError(.io, "the audit log grew while the new one was written (a liaison command working without the daemon?); retry once it is done")
        }
    }

    /// Refuses to swap files while `path` has a write-ahead log with something in
    /// it (SQLite would read it into whichever file then has that name); an empty one goes.
    private static func requireNoWAL(_ path: String, what: String) throws {
        var status = stat()
        guard lstat(path + "-wal", &status) != 0 || status.st_size == 0 else { throw CoreError(.io, what) }
        unlink(path + "-wal")
    }
}
