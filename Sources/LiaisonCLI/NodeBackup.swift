import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonStore

/// A consistent copy of a node's home in a new directory, taken while the daemon
/// runs or not: `liaison backup`.
///
/// The order keeps every audit event in the copy. `liaison.db` is snapshotted
/// first, then `audit.db`: an event the store had journaled but not yet handed to
/// the log is in the first, and one handed over since (and trimmed from the
/// journal) is in the second, so the restored daemon carries over exactly what
/// the log lacks. Then the package files the store's snapshot names, and last the
/// small files (configuration, keyring, keys), read twice until they agree, so a
/// key change under way is never caught half written. The copy is checked
/// (SQLite's check of both databases; the audit log verified against the node's
/// log key) before `backup.json` is written, last: a directory without it is not
/// a finished backup.
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
        var takenAt: String
        var outboxPackages: Int
        var inboxEntries: Int
        var packageFiles: Int
        var packageBytes: Int64
        var auditEntries: Int
        /// The audit tree's root hash (base64) over ``auditEntries``.
        var auditRootHash: String
        /// The newest signed checkpoint's size, if the log has one.
        var auditCheckpointSize: Int?
        /// Where the node keeps its audit log when that is not `audit.db` in its home
        /// (`[audit] database`): the copy is `audit.db` in the backup, to be put back there.
        var auditDatabaseElsewhere: String?
        /// Files the node uses that the backup does not hold, and why.
        var notCopied: [String]
    }

    /// The name of the manifest, written last.
    static let manifestName = "backup.json"

    /// Writes the backup, showing progress on a terminal; returns what it holds.
    func write() throws -> Report {
        try Self.prepare(directory)
        // Fail closed: nothing is copied that the log does not record first.
        let audit = try LocalAudit(home: home, configuration: configuration)
        defer { audit.close() }
        try audit.record(audit.event(.nodeBackedUp, details: ["directory": directory]))

        let storePath = home.path + "/" + NodeStore.fileName
        let auditPath = configuration.audit.databasePath(home: home.path)
        let storeCopy = directory + "/" + NodeStore.fileName, auditCopy = directory + "/audit.db"
        var notCopied: [String] = []
        let hasStore = FileManager.default.fileExists(atPath: storePath)
        if hasStore { try DatabaseSnapshot.write(from: storePath, to: storeCopy) } else { notCopied.append("\(NodeStore.fileName): none yet (the daemon never ran)") }
        try DatabaseSnapshot.write(from: auditPath, to: auditCopy)

        let named = hasStore ? try NodeStore.namedFiles(path: storeCopy) : .none
        let (files, bytes, missing) = try copyPackageFiles(named.files)
        notCopied += missing
        notCopied += try copySmallFiles()

        if hasStore, let problem = try DatabaseSnapshot.problems(in: storeCopy) {
            throw CoreError(.io, "the copy of \(NodeStore.fileName) in \(directory) does not pass SQLite's check (\(problem)); the backup is not usable: run it again")
        }
        let log = try checkedAudit(auditCopy)
        let report = Report(node: configuration.name, fingerprint: configuration.publicKeys.fingerprint.description, directory: directory,
                            takenAt: Timestamp.iso8601(Timestamp.now()), outboxPackages: named.outboxPackages, inboxEntries: named.inboxEntries,
                            packageFiles: files, packageBytes: bytes, auditEntries: log.entries, auditRootHash: log.rootHash,
                            auditCheckpointSize: log.checkpointSize,
                            auditDatabaseElsewhere: auditPath == home.path + "/audit.db" ? nil : auditPath, notCopied: notCopied)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try Self.writeNew(directory + "/" + Self.manifestName, Array(try encoder.encode(report)) + [0x0A], mode: 0o600)
        try Self.syncDirectory(directory)
        return report
    }

    /// Takes `directory` if it is empty, or makes it (mode 0700): a backup never
    /// mixes with other files.
    static func prepare(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, (try? FileManager.default.contentsOfDirectory(atPath: directory))?.isEmpty == true else {
                throw CoreError(.invalidArgument, "\(directory) exists and is not an empty directory; give a new one")
            }
        } else if mkdir(directory, 0o700) != 0 {
            throw CoreError(.io, "cannot create \(directory) (\(String(cString: strerror(errno)))); its parent must exist and be writable")
        }
        chmod(directory, 0o700)
    }

    /// Copies the package files the store's snapshot names (home-relative ones; an
    /// older release's whole path is listed, not copied).
    private func copyPackageFiles(_ named: [String]) throws -> (files: Int, bytes: Int64, notCopied: [String]) {
        var sources: [(relative: String, size: Int64)] = []
        var notCopied: [String] = []
        for path in named {
            guard !path.hasPrefix("/") else {
                notCopied.append("\(path): a package file named by its whole path, outside the home; copy it yourself")
                continue
            }
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: home.path + "/" + path),
                  let size = attributes[.size] as? NSNumber else {
                // Pruned (`outbox prune`) after the snapshot was taken.
                notCopied.append("\(path): gone since the snapshot (pruned, say)")
                continue
            }
            sources.append((path, size.int64Value))
        }
        let total = sources.reduce(0) { $0 + $1.size }
        let progress = ProgressLine(total: total, label: "copying package files", unit: .bytes)
        var copied: Int64 = 0
        for directory in Set(sources.map { ($0.relative as NSString).deletingLastPathComponent }) {
            try FileManager.default.createDirectory(atPath: self.directory + "/" + directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        for source in sources {
            copied += try Self.copyFile(home.path + "/" + source.relative, to: directory + "/" + source.relative) { progress.advance(by: $0) }
        }
        progress.finish()
        for directory in Set(sources.map { ($0.relative as NSString).deletingLastPathComponent }) {
            try Self.syncDirectory(self.directory + "/" + directory)
        }
        return (sources.count, copied, notCopied)
    }

    /// Copies liaison.toml, keyring.toml and every file in keys/ (the key files stay
    /// sealed under the passphrase), read until two readings agree.
    private func copySmallFiles() throws -> [String] {
        var notCopied: [String] = []
        var paths = [home.configurationPath, home.keyringPath]
        let keys = home.path + "/keys"
        paths += ((try? FileManager.default.contentsOfDirectory(atPath: keys)) ?? []).sorted().map { keys + "/" + $0 }
        let keyFile = home.keyFilePath(configuration)
        if !paths.contains(keyFile) {
            if keyFile.hasPrefix(home.path + "/") { paths.append(keyFile) } else {
                notCopied.append("\(keyFile): the key file, kept outside the home; back it up with the node")
            }
        }
        func read() -> [String: (bytes: Data, mode: Int)] {
            var files: [String: (Data, Int)] = [:]
            for path in paths {
                guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                      attributes[.type] as? FileAttributeType == .typeRegular,
                      let data = FileManager.default.contents(atPath: path) else { continue }
                files[path] = (data, (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o600)
            }
            return files
        }
        // Bounded: a key change writes a handful of files in well under a second.
        for _ in 0..<20 {
            let first = read()
            let second = read()
            guard first.mapValues(\.bytes) == second.mapValues(\.bytes) else {
                usleep(100_000)
                continue
            }
            for (path, file) in first.sorted(by: { $0.key < $1.key }) {
                let relative = String(path.dropFirst(home.path.count + 1))
                let target = directory + "/" + relative
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                try Self.writeNew(target, Array(file.bytes), mode: mode_t(file.mode & 0o600))
            }
            try Self.syncDirectory(directory + "/keys")
            return notCopied
        }
        throw CoreError(.keyChangeNotNow, "the node's configuration or keys kept changing while they were copied (a key change under way?); run the backup again once it is done")
    }

    /// The copied audit log, verified against the node's own log key: its size,
    /// root hash and newest checkpoint.
    private func checkedAudit(_ path: String) throws -> (entries: Int, rootHash: String, checkpointSize: Int?) {
        if let problem = try DatabaseSnapshot.problems(in: path) {
            throw CoreError(.io, "the copy of the audit log in \(directory) does not pass SQLite's check (\(problem)); the backup is not usable: run it again")
        }
        let log = try AuditLog(readingOnly: path)
        defer { try? log.close() }
        let key = try NodeLogNames.logKey(configuration.publicKeys, named: configuration.logFingerprint)
        let witnesses = ((try? home.loadKeyring(configuration))?.peers ?? []).compactMap {
            try? NodeLogNames.witnessKey($0.keys, named: $0.auditLogFingerprint)
        }
        let (report, issues) = try AuditDatabaseCheck.run(log, logKey: key, witnesses: witnesses)
        // A log no daemon has signed yet (a node that never ran) has no checkpoint:
        // that alone is how the node's own log is, not a fault of the copy.
        let faults = report.failures.filter { $0.code != .noCheckpoint }
        guard issues.isEmpty, faults.isEmpty, report.failureCount == report.failures.count else {
            let first = issues.first.map(\.description) ?? faults.first.map(\.description) ?? "it does not verify"
            throw CoreError(.io, "the copy of the audit log in \(directory) does not verify (\(first)); run `liaison audit verify --database \(configuration.audit.databasePath(home: home.path))` on the node's own")
        }
        return (report.entries, Data(try log.root(size: report.entries)).base64EncodedString(), report.newestCheckpoint?.size)
    }

    /// Copies `source` to the new file `target` (mode 0600), fsynced; returns its bytes.
    private static func copyFile(_ source: String, to target: String, progress: (Int) -> Void) throws -> Int64 {
        guard let input = FileHandle(forReadingAtPath: source) else {
            throw CoreError(.io, "cannot read \(source) to back it up")
        }
        defer { try? input.close() }
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw CoreError(.io, "cannot create \(target) (\(String(cString: strerror(errno))))") }
        let output = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var copied: Int64 = 0
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
            try output.write(contentsOf: chunk)
            copied += Int64(chunk.count)
            progress(chunk.count)
        }
        guard fsync(descriptor) == 0 else { throw CoreError(.io, "cannot make \(target) durable (\(String(cString: strerror(errno))))") }
        return copied
    }

    private static func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw CoreError(.io, "cannot create \(path) (\(String(cString: strerror(errno))))") }
        defer { close(descriptor) }
        fchmod(descriptor, mode)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            throw CoreError(.io, "cannot write \(path) (\(String(cString: strerror(errno))))")
        }
    }

    private static func syncDirectory(_ path: String) throws {
        do { try AtomicOutputFile.syncDirectory(path) } catch { throw CoreError(.io, "cannot make \(path) durable: \(error)") }
    }
}
