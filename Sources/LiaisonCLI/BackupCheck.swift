import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonStore

/// `liaison backup check DIR`: whether a backup written earlier is still what it
/// was, and still a home a daemon can run from, without restoring it.
///
/// Every file `backup.json` lists must be there, a regular file inside the backup,
/// with the SHA-256 it had (bit rot, a partial copy to other media); none may be
/// there that it does not list; both databases must pass SQLite's check; and the
/// audit log must verify, with the size and root hash the manifest recorded,
/// against the log key given, else the one in the backup's own `liaison.toml`. The
/// manifest is not signed: without a log key kept apart, the check finds damage,
/// not a backup rewritten whole. What `backup` itself found wanting when it wrote
/// the backup (files not copied, a log that did not verify) is said again. Given the
/// key passphrase, it also opens the key file (the keys stay in this process).
struct BackupCheck {
    let directory: String
    /// The node's log key, kept apart from the backup; nil to take the backup's own.
    let logKey: NoteVerifierKey?
    /// Where to read the key passphrase, to open the backup's key file too; nil to leave it sealed.
    var passphrase: PassphraseSource? = nil

    /// What the check found.
    struct Report: Codable, Equatable {
        var directory: String
        var node: String
        var takenAt: String
        var files: Int
        var auditEntries: Int
        /// How many closed logs (`audit new-log`) were verified beside it; nil for none.
        var closedLogs: Int?
        /// Whether the key file opened with the passphrase given and holds the keys
        /// liaison.toml names; nil when no passphrase was given.
        var keysOpened: Bool?
        /// Where the log key came from: `given` or `backup` (its own liaison.toml).
        var logKeySource: String
        var problems: [String]
        /// No problem found.
        var sound: Bool
    }

    /// Most bytes a manifest may have (a path and a hash per file).
    static let manifestLimit = 256 << 20

    func run() throws -> Report {
        let manifest = try readManifest()
        var problems = manifest.notCopied.map { "when it was written, this was not copied: \($0)" }
        if let problem = manifest.auditProblem { problems.append("when it was written, the node's audit log did not verify: \(problem)") }
        problems += checkFiles(manifest)

        let home = NodeHome(path: directory)
        var configuration: NodeConfiguration?
        do {
            configuration = try home.loadConfiguration()
            if configuration?.publicKeys.fingerprint.description != manifest.fingerprint {
                problems.append("liaison.toml is another node's (\(configuration?.publicKeys.fingerprint.description ?? "?")) than the one backed up (\(manifest.fingerprint))")
            }
        } catch {
            problems.append("liaison.toml cannot be read (\(error))")
        }
        // What the manifest says of the databases must hold, or their checks could be skipped.
        if !BackupFiles.isRelative(manifest.auditFile) || manifest.files[manifest.auditFile] == nil {
            problems.append("\(NodeBackup.manifestName) names the audit log as \(manifest.auditFile), which is not a file of the backup")
        }
        if manifest.storeCopied != (manifest.files[NodeStore.fileName] != nil) {
            problems.append("\(NodeBackup.manifestName) contradicts itself about \(NodeStore.fileName)")
        }
        for database in (manifest.storeCopied ? [NodeStore.fileName] : []) + [manifest.auditFile] where BackupFiles.isRelative(database) {
            do {
                if let problem = try DatabaseSnapshot.problems(in: directory + "/" + database) {
                    problems.append("\(database) does not pass SQLite's check (\(problem))")
                }
            } catch {
                problems.append("\(database) cannot be opened (\(error))")
            }
        }
        var entries = 0
        // A log key given that is not this node's: said so, rather than the log found
        // not to verify (found in an operator's trial: it read as damage).
        let ownKey = try configuration.map { try NodeLogNames.logKey($0.publicKeys, named: $0.logFingerprint) }
        if let logKey, let ownKey, logKey.publicKey != ownKey.publicKey {
            problems.append("the log key given (\(logKey.name)) is not the one this backup's liaison.toml names (\(ownKey.name)): either the key given is another node's, or the backup was rewritten whole with another node's keys; its audit log was not checked against either")
        } else if let key = logKey ?? ownKey, BackupFiles.isRelative(manifest.auditFile) {
            do {
                let witnesses = try configuration.map { try AuditDatabaseCheck.witnessKeys(of: (try? home.loadKeyring($0))?.peers ?? []) } ?? []
                let state = try NodeBackup.auditState(directory + "/" + manifest.auditFile, logKey: key, witnesses: witnesses)
                entries = state.entries
                if let problem = state.problem, manifest.auditProblem == nil { problems.append("the audit log does not verify (\(problem))") }
                if state.entries != manifest.auditEntries || state.rootHash != manifest.auditRootHash {
                    problems.append("the audit log holds \(state.entries) entries, not the \(manifest.auditEntries) with the root recorded")
                }
            } catch {
                problems.append("the audit log cannot be read (\(error))")
            }
            // The logs the node closed (`audit new-log`): each still a log its key signed,
            // as large as the log that followed it says it was when closed.
            let successors = Self.successions(of: [manifest.auditFile] + (manifest.closedAuditLogs ?? []), in: directory)
            for closed in manifest.closedAuditLogs ?? [] {
                guard BackupFiles.isRelative(closed), manifest.files[closed] != nil else {
                    problems.append("\(NodeBackup.manifestName) names the closed audit log \(closed), which is not a file of the backup")
                    continue
                }
                do {
                    if let problem = try DatabaseSnapshot.problems(in: directory + "/" + closed) {
                        problems.append("\(closed) does not pass SQLite's check (\(problem))")
                        continue
                    }
                    let state = try NodeBackup.auditState(directory + "/" + closed, logKey: key, witnesses: [])
                    if let problem = state.problem { problems.append("the closed audit log \(closed) does not verify (\(problem))") }
                    if let label = AuditSuccession.label(ofClosed: (closed as NSString).lastPathComponent),
                       let statement = successors[label], let size = statement.succeededSize, let root = statement.succeededRoot,
                       size != state.entries || Data(root).base64EncodedString() != state.rootHash {
                        problems.append("the closed audit log \(closed) holds \(state.entries) entries, not the \(size) with the root the log begun after it recorded when it closed it")
                    }
                } catch {
                    problems.append("the closed audit log \(closed) cannot be read (\(error))")
                }
            }
        }
        var keysOpened: Bool?
        if let passphrase, let configuration {
            let problem = Self.keyFileProblem(NodeHome(path: directory), configuration, passphrase: passphrase, in: directory)
            if let problem { problems.append(problem) }
            keysOpened = problem == nil
        }
        return Report(directory: directory, node: manifest.node, takenAt: manifest.takenAt, files: manifest.files.count,
                      auditEntries: entries, closedLogs: manifest.closedAuditLogs.map(\.count), keysOpened: keysOpened, logKeySource: logKey == nil ? "backup" : "given", problems: problems, sound: problems.isEmpty)
    }

    /// Why the backup's key file does not open with `passphrase` into the keys its
    /// liaison.toml names, or nil if it does. Only a key file inside the backup is opened.
    private static func keyFileProblem(_ home: NodeHome, _ configuration: NodeConfiguration, passphrase: PassphraseSource,
                                       in directory: String) -> String? {
        let keyFile = home.keyFilePath(configuration)
        guard BackupFiles.isInside(keyFile, directory) else {
            return "the key file is kept outside the home (\(keyFile)), so the backup does not hold it: back it up with the node"
        }
        do {
            _ = try home.loadSecrets(configuration, passphrase: passphrase)
            return nil
        } catch let error as CoreError {
            return "the key file \(String(keyFile.dropFirst(directory.count + 1))) does not open with the passphrase given into the keys liaison.toml names (\(error.message))"
        } catch {
            return "the key file cannot be opened (\(error))"
        }
    }

    /// The signed beginnings of the logs at `paths` (in `directory`) that a node
    /// began after another, by label: what each says of the log it closed.
    private static func successions(of paths: [String], in directory: String) -> [String: LogSuccessionStatement] {
        var statements: [String: LogSuccessionStatement] = [:]
        for path in paths where BackupFiles.isRelative(path) {
            guard let log = try? AuditLog(readingOnly: directory + "/" + path) else { continue }
            if let succession = try? log.succession() { statements[succession.label] = succession.statement }
            try? log.close()
        }
        return statements
    }

    private func readManifest() throws -> NodeBackup.Report {
        let path = directory + "/" + NodeBackup.manifestName
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limit: Self.manifestLimit)
        } catch let error as CoreError where error.code == .inputUnreadable {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CoreError(.inputUnreadable, "\(directory) does not exist or is not a directory: give the directory `liaison backup --out` made")
            }
            throw CoreError(.inputUnreadable, "\(error.message): \(directory) is not a finished backup (its \(NodeBackup.manifestName) is written last)")
        } catch let error as CoreError {
            throw CoreError(.malformedBackup, "\(error.message): it is not a manifest `liaison backup` wrote")
        }
        do {
            return try JSONDecoder().decode(NodeBackup.Report.self, from: Data(bytes))
        } catch {
            throw CoreError(.malformedBackup, "\(path) is not a manifest `liaison backup` wrote, or it was changed; \(directory) cannot be checked")
        }
    }

    /// Each listed file as recorded, and nothing else there.
    private func checkFiles(_ manifest: NodeBackup.Report) -> [String] {
        var problems: [String] = []
        let progress = ProgressLine(total: Int64(manifest.files.count), label: "checking files", unit: .entries)
        for (name, expected) in manifest.files.sorted(by: { $0.key < $1.key }) {
            progress.advance()
            guard BackupFiles.isRelative(name), BackupFiles.isInside(directory + "/" + name, directory) else {
                problems.append("\(NodeBackup.manifestName) names \(name), which is not a file inside the backup")
                continue
            }
            guard let actual = BackupFiles.sha256(ofFile: directory + "/" + name) else {
                problems.append("\(name) is missing, unreadable or not a regular file")
                continue
            }
            if actual != expected { problems.append("\(name) has changed since the backup (its SHA-256 is not the one recorded)") }
        }
        progress.finish()
        guard let enumerator = FileManager.default.enumerator(at: URL(fileURLWithPath: directory), includingPropertiesForKeys: [.isDirectoryKey],
                                                              options: [], errorHandler: { url, error in
            problems.append("\(url.path) cannot be listed (\(error.localizedDescription))")
            return true
        }) else {
            return problems + ["\(directory) cannot be listed"]
        }
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) != true else { continue }
            let name = String(url.standardizedFileURL.path.dropFirst(URL(fileURLWithPath: directory).standardizedFileURL.path.count + 1))
            if name != NodeBackup.manifestName, manifest.files[name] == nil { problems.append("\(name) is not part of the backup (added since)") }
        }
        return problems
    }
}
