import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

/// A consistent copy of a node's home in a new directory, taken while the daemon
/// runs or not: `liaison backup`.
///
/// The order keeps the copy's audit log a record of everything else in it:
/// - `liaison.db` is snapshotted first, and `audit.db` after it: an event the store
///   had journaled but not yet handed to the log is in the first, and one handed
///   over since (and so trimmed from the journal) is in the second, so the restored
///   daemon carries over exactly what the log lacks;
/// - between them, the small files (configuration, keyring, keys), read until two
///   readings agree with no key change half done: a change to them is recorded in
///   the log before it is made, so the later `audit.db` holds its record;
/// - last, the package files the store's snapshot names (written before their rows,
///   and never changed).
/// The copy is then checked (SQLite's check of both databases; the audit log
/// verified against the node's log key) and `backup.json` written last: a
/// directory without it is not a finished backup. A backup that fails is removed.
struct NodeBackup {
    let home: NodeHome
    let configuration: NodeConfiguration
    /// The new directory.
    let directory: String

    /// What was written, as `backup.json` and `--json` give it.
    struct Report: Codable, Equatable {
        var node: String
        var fingerprint: String
        var directory: String
        /// When the backup began: it holds the node as it was then, give or take its length.
        var takenAt: String
        /// Whether the node had a `liaison.db` to copy (none before its daemon first ran).
        var storeCopied: Bool
        var outboxPackages: Int
        var inboxEntries: Int
        var packageFiles: Int
        var packageBytes: Int64
        var auditEntries: Int
        /// The audit tree's root hash (base64) over ``auditEntries``.
        var auditRootHash: String
        /// The newest signed checkpoint's size, if the log has one.
        var auditCheckpointSize: Int?
        /// Why the copied log does not verify, when it does not (the node's own log is
        /// then damaged or altered: the copy keeps it as it is, as evidence).
        var auditProblem: String?
        /// The audit log's path in the backup (`audit.db`, or where in the home the node keeps it).
        var auditFile: String
        /// Where the node keeps its audit log when that is outside its home
        /// (`[audit] database`): the copy is `audit.db` in the backup, to be put back there.
        var auditDatabaseElsewhere: String?
        /// The logs the node closed when it began new ones (`audit new-log`), kept
        /// beside its audit log: their paths in the backup, oldest first.
        var closedAuditLogs: [String]?
        /// Files the node uses that the backup does not hold, and why.
        var notCopied: [String]
        /// Every file of the backup but this manifest, by its path in the backup, with
        /// its SHA-256 (hex): what `liaison backup check` holds the files to.
        var files: [String: String]
    }

    /// The name of the manifest, written last.
    static let manifestName = "backup.json"

    /// Writes the backup, showing progress on a terminal; returns what it holds. On
    /// failure nothing of it is left.
    func write() throws -> Report {
        let made = try BackupFiles.prepare(directory)
        do {
            return try writeInto()
        } catch {
            BackupFiles.discard(directory, made: made)
            throw error
        }
    }

    private func writeInto() throws -> Report {
        let takenAt = Timestamp.iso8601(Timestamp.now())
        // Fail closed: nothing is copied that the log does not record first.
        let audit = try LocalAudit(home: home, configuration: configuration)
        defer { audit.close() }
        try audit.record(audit.event(.nodeBackedUp, details: ["directory": directory]))

        var notCopied: [String] = []
        let storePath = home.path + "/" + NodeStore.fileName, storeCopy = directory + "/" + NodeStore.fileName
        let storeCopied = FileManager.default.fileExists(atPath: storePath)
        if storeCopied { try DatabaseSnapshot.write(from: storePath, to: storeCopy) }

        let keyFile = home.keyFilePath(configuration)
        let keyFileInHome = BackupFiles.isInside(keyFile, home.path)
        if !keyFileInHome { notCopied.append("\(keyFile): the key file, kept outside the home; back it up with the node") }
        let small = try BackupFiles.readSmallFiles(of: home, keyFile: keyFileInHome ? relative(keyFile) : nil)
        var hashes: [String: String] = [:]
        for (name, bytes) in small.sorted(by: { $0.key < $1.key }) {
            try BackupFiles.writeNew(bytes, as: name, under: directory)
            hashes[name] = Hex.encode(SHA256.hash(bytes))
        }

        let auditPath = configuration.audit.databasePath(home: home.path)
        let auditInHome = BackupFiles.isInside(auditPath, home.path)
        let auditCopy = directory + "/" + (auditInHome ? relative(auditPath) : "audit.db")
        try BackupFiles.makeDirectory((auditCopy as NSString).deletingLastPathComponent)
        try DatabaseSnapshot.write(from: auditPath, to: auditCopy)
        let closedLogs = try copyClosedLogs(of: auditPath, beside: auditCopy, hashes: &hashes)

        let named = storeCopied ? try NodeStore.namedFiles(path: storeCopy) : .none
        let (files, bytes, missing) = try copyPackageFiles(named.files, hashes: &hashes)
        notCopied += missing

        if storeCopied, let problem = try DatabaseSnapshot.problems(in: storeCopy) {
            throw CoreError(.io, "the copy of \(NodeStore.fileName) does not pass SQLite's check (\(problem)); run `liaison backup` again")
        }
        // The node as the copy has it: a key change between the start and the copy of
        // liaison.toml (with its record in the copied log) is the backup's.
        let copied: NodeConfiguration
        do { copied = try NodeHome(path: directory).loadConfiguration() } catch {
            throw CoreError(.io, "the copy of liaison.toml cannot be read back (\(error)); run `liaison backup` again")
        }
        let log = try checkedAudit(auditCopy, configuration: copied)
        for database in (storeCopied ? [storeCopy] : []) + [auditCopy] {
            guard let hash = BackupFiles.sha256(ofFile: database) else {
                throw CoreError(.io, "the copy \(database) cannot be read back; run `liaison backup` again")
            }
            hashes[String(database.dropFirst(directory.count + 1))] = hash
        }
        // Every file durable in its directory before the manifest says the backup is whole.
        try BackupFiles.syncDirectories(holding: hashes.keys, under: directory)
        let report = Report(node: copied.name, fingerprint: copied.publicKeys.fingerprint.description, directory: directory,
                            takenAt: takenAt, storeCopied: storeCopied, outboxPackages: named.outboxPackages, inboxEntries: named.inboxEntries,
                            packageFiles: files, packageBytes: bytes, auditEntries: log.entries, auditRootHash: log.rootHash,
                            auditCheckpointSize: log.checkpointSize, auditProblem: log.problem,
                            auditFile: String(auditCopy.dropFirst(directory.count + 1)),
                            auditDatabaseElsewhere: auditInHome ? nil : auditPath, closedAuditLogs: closedLogs.isEmpty ? nil : closedLogs,
                            notCopied: notCopied, files: hashes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try BackupFiles.writeNew(Array(try encoder.encode(report)) + [0x0A], as: Self.manifestName, under: directory)
        try BackupFiles.syncDirectories(holding: [Self.manifestName], under: directory)
        return report
    }

    /// Copies the logs the node closed (`audit new-log`), kept beside `auditPath`,
    /// beside `auditCopy`, each through SQLite as the live log is (a file on its own,
    /// which `backup check` can open without leaving anything beside it).
    private func copyClosedLogs(of auditPath: String, beside auditCopy: String, hashes: inout [String: String]) throws -> [String] {
        let from = (auditPath as NSString).deletingLastPathComponent, to = (auditCopy as NSString).deletingLastPathComponent
        var copied: [String] = []
        for name in try AuditSuccession.closedLogNames(beside: auditPath) {
            try DatabaseSnapshot.write(from: from + "/" + name, to: to + "/" + name)
            guard let hash = BackupFiles.sha256(ofFile: to + "/" + name) else {
                throw CoreError(.io, "the copy \(to)/\(name) cannot be read back; run `liaison backup` again")
            }
            let relative = String((to + "/" + name).dropFirst(directory.count + 1))
            hashes[relative] = hash
            copied.append(relative)
        }
        return copied
    }

    /// `path`, inside the home, relative to it.
    private func relative(_ path: String) -> String {
        String(BackupFiles.resolved(path).dropFirst(BackupFiles.resolved(home.path).count + 1))
    }

    /// Copies the package files the store's snapshot names (home-relative ones; an
    /// older release's whole path is listed, not copied). A file named and not there
    /// is listed too: an outbox file pruned since the snapshot, or one lost.
    private func copyPackageFiles(_ named: [String], hashes: inout [String: String]) throws -> (files: Int, bytes: Int64, notCopied: [String]) {
        var sources: [(relative: String, size: Int64)] = []
        var notCopied: [String] = []
        for path in Set(named).sorted() {
            guard !path.hasPrefix("/") else {
                notCopied.append("\(path): a package file named by its whole path, outside the home; copy it yourself")
                continue
            }
            // The store names files in the home's outbox/ and inbox/ only (PackageFilePaths).
            guard BackupFiles.isRelative(path) else {
                notCopied.append("\(path): not a path inside the home, as the store should name it")
                continue
            }
            var info = stat()
            guard stat(home.path + "/" + path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
                notCopied.append("\(path): \(Self.gone(path))")
                continue
            }
            sources.append((path, Int64(info.st_size)))
        }
        let progress = ProgressLine(total: sources.reduce(0) { $0 + $1.size }, label: "copying package files", unit: .bytes)
        var copied: Int64 = 0, count = 0
        for source in sources {
            guard let file = try BackupFiles.copy(home.path + "/" + source.relative, to: directory + "/" + source.relative, progress: { progress.advance(by: $0) }) else {
                notCopied.append("\(source.relative): \(Self.gone(source.relative))")
                continue
            }
            copied += file.bytes
            count += 1
            hashes[source.relative] = file.sha256
        }
        progress.finish()
        return (count, copied, notCopied)
    }

    /// Why a package file the store's snapshot names is not there.
    private static func gone(_ path: String) -> String {
        path.hasPrefix("outbox/") ? "not there (pruned or cancelled since the snapshot, or lost)" : "not there: the node has lost it"
    }

    /// The copied audit log, verified against the node's log key and the copied
    /// keyring's witnesses: its size, root hash, newest checkpoint, and what is wrong
    /// with it if anything is.
    private func checkedAudit(_ path: String, configuration: NodeConfiguration) throws -> AuditState {
        if let problem = try DatabaseSnapshot.problems(in: path) {
            throw CoreError(.io, "the copy of the audit log does not pass SQLite's check (\(problem)); run `liaison backup` again")
        }
        let key = try NodeLogNames.logKey(configuration.publicKeys, named: configuration.logFingerprint)
        let witnesses = try AuditDatabaseCheck.witnessKeys(of: (try? NodeHome(path: directory).loadKeyring(configuration))?.peers ?? [])
        return try Self.auditState(path, logKey: key, witnesses: witnesses)
    }

    /// An audit log's size, root hash (base64), newest checkpoint, and what is wrong
    /// with it if anything is.
    struct AuditState {
        var entries: Int
        var rootHash: String
        var checkpointSize: Int?
        var problem: String?
    }

    /// The audit log at `path` verified against `logKey`, with `witnesses` counted.
    static func auditState(_ path: String, logKey: NoteVerifierKey, witnesses: [NoteVerifierKey]) throws -> AuditState {
        let log = try AuditLog(readingOnly: path)
        defer { try? log.close() }
        let (report, issues) = try AuditDatabaseCheck.run(log, logKey: logKey, witnesses: witnesses)
        // A log no daemon has signed yet (a node that never ran) has no checkpoint:
        // that alone is how the node's own log is, not a fault.
        let faults = report.failures.filter { $0.code != .noCheckpoint }
        let problem = issues.first.map(\.description) ?? faults.first.map(\.description)
            ?? (report.failureCount > report.failures.count ? "\(report.failureCount) problems" : nil)
        return AuditState(entries: report.entries, rootHash: Data(try log.root(size: report.entries)).base64EncodedString(),
                          checkpointSize: report.newestCheckpoint?.size, problem: problem)
    }}
