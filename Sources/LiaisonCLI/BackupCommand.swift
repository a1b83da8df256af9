import ArgumentParser
import Foundation
import LiaisonCore

/// `liaison backup --out DIR`: a consistent copy of the node, daemon running or not.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the node (configuration, keys, keyring, databases, package files) into a new directory, while the daemon runs or not.",
        discussion: """
            Takes consistent snapshots of liaison.db and the audit log through SQLite (a copy of a \
            live database file with cp can be damaged), then the package files they name, \
            liaison.toml, keyring.toml and keys/ (the key files stay sealed under the passphrase: \
            keep the passphrase apart from the backup). The copies are checked, the audit log \
            verified against the node's log key, and backup.json written last. Recorded in the \
            audit log (node.backed-up) before anything is copied. Run it as the node's user.

            To restore: stop liaisond, put the directory in place as the home (or give it as \
            --home), and start liaisond; what the node did after the backup is not in it \
            (docs/operations.md, "Backing up and restoring").
            """)

    @OptionGroup var node: HomeOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .long, help: ArgumentHelp("A new or empty directory to write the backup to.", valueName: "dir"), transform: OutputPath.parse)
    var out: String

    func run() throws {
        let home = node.nodeHome
        let configuration = try home.loadConfiguration()
        let directory = out.hasPrefix("/") ? out : FileManager.default.currentDirectoryPath + "/" + out
        guard !(directory + "/").hasPrefix(home.path + "/") else {
            throw ValidationError("--out \(out) is inside the node's home; give a directory elsewhere (another volume, ideally)")
        }
        let report = try NodeBackup(home: home, configuration: configuration, directory: directory).write()
        if output.json { return try printJSON(report) }
        print("Backed up \(report.node) to \(report.directory)")
        print("  liaison.db:    \(report.outboxPackages) outbox package\(report.outboxPackages == 1 ? "" : "s"), \(report.inboxEntries) received; SQLite's check passed")
        let checkpoint = report.auditCheckpointSize.map { ", newest checkpoint at \($0)" } ?? ", no checkpoint yet"
        print("  audit.db:      \(report.auditEntries) entries, verified against the node's log key\(checkpoint)")
        print("  package files: \(report.packageFiles) (\(ByteCount.format(report.packageBytes)))")
        print("  liaison.toml, keyring.toml and keys/ (the key files are sealed under the passphrase: keep it apart)")
        if let elsewhere = report.auditDatabaseElsewhere {
            print("  note: this node keeps its audit log at \(elsewhere) ([audit] database); on restore, put the backup's audit.db there")
        }
        for item in report.notCopied { print("  not copied: \(item)") }
        print("Restore: stop liaisond, put \(report.directory) in place as the home, start liaisond (docs/operations.md).")
    }
}
