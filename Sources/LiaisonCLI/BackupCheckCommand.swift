import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonCore

/// `liaison backup check DIR`: is a backup still whole and usable.
struct BackupCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a backup: every file as it was written, both databases sound, the audit log still verifying.",
        discussion: """
            Needs no daemon, nor the passphrase unless it is to open the key file. Every \
            file backup.json lists must have the SHA-256 it had (bit rot, a partial copy to other media), no other file may have \
            been added, both databases must pass SQLite's check, and the audit log must \
            verify with the size and root hash recorded. What the backup lacked when it was \
            written is said again. backup.json is not signed: give --log-key (the node's, \
            from `liaison keys show`, kept apart) to catch a backup rewritten whole, not only \
            damage. Give --passphrase-file to open the key file too, proving it whole and \
            the passphrase you keep apart the right one; without it the key file stays sealed.

            Exit codes: 0 sound; 65 something is not as it was, or was not whole when \
            written (each listed), or backup.json is not one Liaison wrote; 66 no \
            backup.json there (not a finished backup).
            """)

    @OptionGroup var output: OutputOptions
    @Argument(help: ArgumentHelp("The backup directory.", valueName: "dir")) var directory: String
    @Option(name: .long, help: ArgumentHelp("The node's log key, kept apart from the backup (default: the one in the backup's liaison.toml).",
                                            valueName: "key"))
    var logKey: String?
    @Option(name: .long, help: ArgumentHelp("Also open the backup's key file with the passphrase in this file (default: leave it sealed).",
                                            valueName: "file"))
    var passphraseFile: String?

    func run() throws {
        let key = try logKey.map(TrustedKeyArgument.logKey)
        var check = BackupCheck(directory: BackupFiles.resolved(directory), logKey: key)
        check.passphrase = passphraseFile.map { PassphraseSource(file: $0) }
        let report = try check.run()
        if output.json {
            try printJSON(report)
        } else if report.sound {
            print("SOUND: the backup of \(report.node) taken \(report.takenAt) is as it was written")
            let key = report.logKeySource == "given" ? "the log key given" : "the backup's own log key (give --log-key to hold it to one kept apart)"
            let closed = report.closedLogs.map { ", and so do the \($0) closed log\($0 == 1 ? "" : "s")' entries" } ?? ""
            print("  \(report.files) files as recorded; both databases pass SQLite's check; the audit log's \(report.auditEntries) entries verify against \(key)\(closed)")
            if report.keysOpened == true { print("  the key file opens with the passphrase given, into the keys liaison.toml names") }
        } else {
            print("NOT SOUND: the backup of \(report.node) taken \(report.takenAt) does not check:")
            for problem in report.problems { print("  - \(problem)") }
        }
        if !report.sound { throw ArgumentParser.ExitCode(65) }
    }
}
