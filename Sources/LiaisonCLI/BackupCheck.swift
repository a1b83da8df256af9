import Foundation
import LiaisonCore
import LiaisonStore

/// `liaison backup check DIR`: whether a backup written earlier is still what it
/// was, and still a home a daemon can run from, without restoring it.
///
/// Every file `backup.json` lists must be there with the SHA-256 it had (bit rot,
/// a partial copy to other media, an edit); none may be there that it does not
/// list; both databases must pass SQLite's check; and the audit log must still
/// verify against the log key in the backup's own `liaison.toml`, with the size and
/// root hash the manifest recorded.
struct BackupCheck {
    let directory: String

    /// What the check found.
    struct Report: Codable, Equatable {
        var directory: String
        var node: String
        var takenAt: String
        var files: Int
        var auditEntries: Int
        var problems: [String]
        /// No problem found.
        var sound: Bool
    }

    /// Most bytes a manifest may have (a path and a hash per file).
    static let manifestLimit = 256 << 20

    func run() throws -> Report {
        let manifestPath = directory + "/" + NodeBackup.manifestName
        let manifest: NodeBackup.Report
        do {
            manifest = try JSONDecoder().decode(NodeBackup.Report.self, from: Data(try readSmallFile(manifestPath, limit: Self.manifestLimit)))
        } catch let error as CoreError {
            throw CoreError(error.code, "\(error.message); \(directory) is not a finished backup (its \(NodeBackup.manifestName) is written last)")
        } catch {
            throw CoreError(.malformedBackup,
                            "\(manifestPath) is not a backup manifest Liaison wrote (\(error)); \(directory) is not a backup, or it was changed")
        }
        var problems: [String] = []
        let progress = ProgressLine(total: Int64(manifest.files.count), label: "checking files", unit: .entries)
        for (name, expected) in manifest.files.sorted(by: { $0.key < $1.key }) {
            progress.advance()
            guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                problems.append("\(NodeBackup.manifestName) names \(name), which is not a path inside the backup")
                continue
            }
            guard let actual = BackupFiles.sha256(ofFile: directory + "/" + name) else {
                problems.append("\(name) is missing or unreadable")
                continue
            }
            if actual != expected { problems.append("\(name) has changed since the backup (its SHA-256 is not the one recorded)") }
        }
        progress.finish()
        let present = ((try? FileManager.default.subpathsOfDirectory(atPath: directory)) ?? []).filter { name in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: directory + "/" + name, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
        for extra in present.sorted() where extra != NodeBackup.manifestName && manifest.files[extra] == nil {
            problems.append("\(extra) is not part of the backup (added since)")
        }
        let backupHome = NodeHome(path: directory)
        let configuration = try backupHome.loadConfiguration()
        let auditName = manifest.files.keys.first { $0 == "audit.db" || $0.hasSuffix("/audit.db") } ?? "audit.db"
        for database in [NodeStore.fileName, auditName] where manifest.files[database] != nil {
            if let problem = try? DatabaseSnapshot.problems(in: directory + "/" + database) {
                problems.append("\(database) does not pass SQLite's check (\(problem))")
            }
        }
        let entries: Int
        do {
            let state = try NodeBackup.auditState(directory + "/" + auditName, configuration: configuration, keyring: backupHome)
            entries = state.entries
            if let problem = state.problem, manifest.auditProblem == nil { problems.append("the audit log does not verify (\(problem))") }
            if state.entries != manifest.auditEntries || state.rootHash != manifest.auditRootHash {
                problems.append("the audit log holds \(state.entries) entries with another root than the \(manifest.auditEntries) recorded")
            }
        } catch {
            entries = 0
            problems.append("the audit log cannot be read (\(error))")
        }
        return Report(directory: directory, node: manifest.node, takenAt: manifest.takenAt, files: manifest.files.count,
                      auditEntries: entries, problems: problems, sound: problems.isEmpty)
    }
}
