import ArgumentParser
import Foundation
import LiaisonCore

/// `liaison backup`: consistent copies of the node, and checks of them.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back the node up into a new directory (while the daemon runs or not), or check a backup.",
        subcommands: [BackupCreateCommand.self, BackupCheckCommand.self],
        defaultSubcommand: BackupCreateCommand.self)
}

/// `liaison backup [create] --out DIR`: a consistent copy of the node, daemon running or not.
struct BackupCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
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

            Check a backup later (before relying on it, or on a schedule) with \
            `liaison backup check DIR`.

            Exit codes: 0 written whole; 1 written, but files the node uses are not in it \
            (listed under "not copied"), or it failed and nothing is left; 65 written, but \
            the node's own audit log does not verify (kept as it is); 64 --out not a new or \
            empty directory of yours, or inside the home; 75 the audit log cannot record it.
            """)

    @OptionGroup var node: HomeOptions
    @OptionGroup var output: OutputOptions
    @Option(name: .long, help: ArgumentHelp("A new or empty directory to write the backup to.", valueName: "dir"), transform: OutputPath.parse)
    var out: String

    func run() throws {
        let home = node.nodeHome
        let configuration = try home.loadConfiguration()
        let directory = BackupFiles.resolved(out)
        guard !BackupFiles.isInside(directory, home.path) else {
            // Found only once the home is known (in run), so not a ValidationError: that would print the top-level usage.
            throw CoreError(.invalidArgument, "--out \(out) is inside the node's home; give a directory elsewhere (another volume, ideally)")
        }
        let report = try NodeBackup(home: home, configuration: configuration, directory: directory).write()
        if output.json { try printJSON(report) } else { Self.describe(report) }
        // Written and usable, but not whole: scripts must notice.
        if let problem = report.auditProblem {
            FileHandle.standardError.write(Data("warning: the node's audit log does not verify (\(problem)); the backup keeps it as it is, as evidence. Run `liaison audit verify --database` on the node's own\n".utf8))
            throw ArgumentParser.ExitCode(65)
        }
        if !report.notCopied.isEmpty {
            FileHandle.standardError.write(Data("warning: the backup lacks \(report.notCopied.count) file(s) the node uses (listed); copy them yourself, or find why they are gone\n".utf8))
            throw ArgumentParser.ExitCode(1)
        }
    }

    private static func describe(_ report: NodeBackup.Report) {
        print("Backed up \(report.node) to \(report.directory)")
        if report.storeCopied {
            print("  liaison.db:    \(report.outboxPackages) outbox package\(report.outboxPackages == 1 ? "" : "s"), \(report.inboxEntries) received; SQLite's check passed")
        } else {
            print("  liaison.db:    none yet (the daemon never ran)")
        }
        let checkpoint = report.auditCheckpointSize.map { ", newest checkpoint at \($0)" } ?? ", no checkpoint yet"
        let verdict = report.auditProblem == nil ? "verified against the node's log key" : "DOES NOT VERIFY (kept as it is)"
        print("  audit log:     \(report.auditEntries) entries, \(verdict)\(checkpoint)")
        if let closed = report.closedAuditLogs {
            print("  closed logs:   \(closed.joined(separator: ", ")) (logs the node closed when it began new ones; copied as they are: `backup check` verifies them)")
        }
        print("  package files: \(report.packageFiles) (\(ByteCount.format(report.packageBytes)))")
        print("  liaison.toml, keyring.toml and keys/ (the key files are sealed under the passphrase: keep it apart)")
        if let elsewhere = report.auditDatabaseElsewhere {
            print("  note: this node keeps its audit log at \(elsewhere) ([audit] database); on restore, put the backup's audit.db there"
                  + (report.closedAuditLogs == nil ? "" : ", and the closed logs beside it"))
        }
        for item in report.notCopied { print("  not copied: \(item)") }
        print("Restore: stop liaisond, put \(report.directory) in place as the home, start liaisond (docs/operations.md); once its witnesses refuse the restored log, begin a new one (`liaison audit new-log`).")
    }
}
