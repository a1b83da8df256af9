import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// `liaison audit new-log --reason TEXT`: closes the node's audit log and begins
/// another, for a node whose witnesses hold a newer history of its log than it
/// has (restored from a backup, or its audit volume lost).
struct AuditNewLogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new-log",
        abstract: "Close this node's audit log and begin a new one (after a restore its witnesses refuse).",
        discussion: """
            A node restored from a backup has an older copy of its audit log than its
            witnesses have cosigned: they refuse its checkpoints, with proof, and it
            stops signing them (`liaison status` says CHECKPOINTS REFUSED). The entries
            after the backup are gone; nothing can sign that log again. This begins a
            new one, so the node is witnessed again, and keeps the record plain:

            - the old log is kept, read-only, beside the new one as
              audit.before-<label>.db (verify it with `liaison audit verify --database`);
            - the new log is named liaison/<fingerprint>/<label> (<label>: the UTC time
              it began), and its first entry (log.started) names the log it follows,
              its size and root hash, and your --reason;
            - each witness records that the node began a new log, and how far it had
              cosigned the old one, which takes no more cosignatures from then on.

            A node whose audit log is lost altogether (its volume failed) begins one the
            same way: the new log then says the old one was not found.

            The node's log key signs the new log's beginning (give the passphrase as
            to the daemon); it and the partners' cards do not change. Stop the daemon
            first, run this as the node's user, then start the daemon again. Tell the
            partners' operators why: their logs will show it. (Witnesses running a
            release from before 2026-11-29 refuse the new log's name.)
            """)

    @OptionGroup var node: NodeOptions
    @Option(name: .long, help: ArgumentHelp("Why the log could not go on (kept in the new log's first entry), e.g. \"restored from the backup of 2026-11-28\".", valueName: "text"))
    var reason: String
    @Flag(name: .long, help: "Print the result as JSON.") var json = false

    func validate() throws {
        guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError("--reason must say why the log could not go on: partners and auditors will read it")
        }
    }

    /// What was done, for people and for scripts.
    struct Report: Encodable {
        var origin: String
        var succeeds: String
        var previousEntries: Int?
        var previousRootHash: String?
        var previousFile: String?
        var database: String
    }

    func run() throws {
        let home = node.nodeHome
        let configuration = try home.loadConfiguration()
        // Files made by another user (root, say) would be the daemon's no longer.
        var owner = stat()
        if stat(home.path, &owner) == 0, owner.st_uid != geteuid() {
            throw CoreError(.invalidArgument, "run this as the node's user (uid \(owner.st_uid), who owns \(home.path)), e.g. `runuser -u liaison -- liaison audit new-log …`: files written as another user would be the daemon's no longer")
        }
        // The log key signs the new log's beginning: only its holder can begin one.
        let secrets = try home.loadSecrets(configuration, passphrase: node.passphraseSource)
        let lock = try DaemonLock.holdWhileStopped(home)
        defer { close(lock) }
        let databasePath = configuration.audit.databasePath(home: home.path)
        // Nor may a command working without the daemon write the log meanwhile.
        let fileLock = try AuditFileLock.exclusive(for: databasePath)
        defer { close(fileLock) }
        let report = try AuditSuccession(path: databasePath,
                                         family: NodeLogNames.origin(configuration.logFingerprint), reason: reason,
                                         fingerprints: [configuration.publicKeys.fingerprint.description,
                                                        configuration.logFingerprint.description], logKey: secrets.log).begin()
        if json { return try printJSON(report) }
        print("began the audit log \(report.origin), after \(report.succeeds)")
        if let entries = report.previousEntries, let file = report.previousFile {
            print("  the log it follows: \(entries) entries, root \(report.previousRootHash ?? ""), kept as \(file)")
            print("  verify it with: liaison audit verify --home \(home.path) --database \(file)")
        } else {
            print("  the log it follows was not found at \(report.database): the new log says so")
        }
        print("start the daemon: its witnesses will cosign the new log, and record that it follows the old one")
    }
}
