import ArgumentParser
import Foundation
import LiaisonCore

/// `liaison backup check DIR`: is a backup still whole and usable.
struct BackupCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a backup: every file as it was written, both databases sound, the audit log still verifying.",
        discussion: """
            Needs no daemon and no passphrase. Every file backup.json lists must have the \
            SHA-256 it had (bit rot, a partial copy, an edit), no other file may have been \
            added, both databases must pass SQLite's check, and the audit log must verify \
            against the log key in the backup's own liaison.toml with the size and root hash \
            recorded. It does not open the key files (that needs the passphrase: restore \
            the backup somewhere and start liaisond there to prove it).

            Exit codes: 0 sound; 65 something is not as it was (each listed); 66 no \
            backup.json there (not a finished backup).
            """)

    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("The backup directory.", valueName: "dir")) var directory: String

    func run() throws {
        let report = try BackupCheck(directory: BackupFiles.resolved(directory)).run()
        if output.json {
            try printJSON(report)
        } else if report.sound {
            print("SOUND: the backup of \(report.node) taken \(report.takenAt) is as it was written")
            print("  \(report.files) files as recorded; both databases pass SQLite's check; the audit log's \(report.auditEntries) entries verify")
        } else {
            print("NOT SOUND: the backup of \(report.node) taken \(report.takenAt) is not as it was written:")
            for problem in report.problems { print("  - \(problem)") }
        }
        if !report.sound { throw ArgumentParser.ExitCode(65) }
    }
}
