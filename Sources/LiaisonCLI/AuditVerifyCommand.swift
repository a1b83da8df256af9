import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// `liaison audit verify`: check a log end to end and say exactly what fails.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an audit log: a live node, an exported bundle (--bundle) or a database file (--database).",
        discussion: """
            Recomputes the Merkle tree from every entry, checks each entry's encoding,
            every checkpoint's signature and root, the witnesses' cosignatures, and a
            checkpoint you kept from earlier (--trusted-checkpoint), which is what
            catches a log cut short or rewritten by someone holding the node's keys.
            --bundle and --database work offline, with no daemon and no secret key.
            --witnesses K demands K witnesses' cosignatures and needs their keys
            (--witness-key, repeatable), obtained from the partners themselves.
            A bundle ends at a checkpoint: entries after its newest one are signed by
            nobody and fail (verify.unsigned-entries) unless --allow-unsigned, for a
            bundle exported while the node could not sign (the export warned).

            Pass the log key you trust (--log-key, as `liaison keys show` prints it on
            the node, obtained from its operator out of band); without it the key comes
            from what is verified, and the report says so.

            Exit status: 0 verified; 65 a problem was found in the log (each is listed); \
            66 no such bundle, database or checkpoint file; 64 a usage error.
            """)

    @Option(name: .long, help: ArgumentHelp("Verify an exported bundle directory (offline).", valueName: "dir")) var bundle: String?
    @Option(name: .long, help: ArgumentHelp("Verify an audit database file directly (offline, read-only).", valueName: "file"))
    var database: String?
    @Option(name: .long, help: ArgumentHelp("The log key you trust (name+id+key), or a file holding it.", valueName: "key"))
    var logKey: String?
    @Option(name: .long, help: ArgumentHelp("A witness key you trust (repeatable); default: the witnesses the log names.", valueName: "key"))
    var witnessKey: [String] = []
    @Option(name: .long, help: ArgumentHelp("Require this many witnesses' cosignatures on a verified checkpoint (later entries are reported as not yet witnessed).", valueName: "k"))
    var witnesses = 0
    @Option(name: .long, help: ArgumentHelp("With --witnesses: fail if more than this many entries follow the newest checkpoint so witnessed (default: report them only).", valueName: "n"))
    var maxUnwitnessed: Int?
    @Option(name: .long, help: ArgumentHelp("A checkpoint you kept earlier; the log must extend it.", valueName: "file"))
    var trustedCheckpoint: String?
    @Flag(name: .long, help: "With --bundle: report entries after the newest checkpoint instead of failing them.")
    var allowUnsigned = false
    @OptionGroup var daemon: DaemonOptions

    func validate() throws {
        guard bundle == nil || database == nil else { throw ValidationError("give at most one of --bundle and --database") }
        guard witnesses >= 0 else { throw ValidationError("--witnesses cannot be negative") }
        if let maxUnwitnessed {
            guard witnesses > 0 else { throw ValidationError("--max-unwitnessed bounds what K witnesses have not yet cosigned: give --witnesses K too") }
            guard maxUnwitnessed >= 0 else { throw ValidationError("--max-unwitnessed cannot be negative") }
        }
        guard !allowUnsigned || bundle != nil else {
            throw ValidationError("--allow-unsigned is for --bundle: a live log or a database has entries after its newest checkpoint as it grows, and they are reported")
        }
        // Keys read from the log, bundle or daemon being verified prove nothing about witnesses.
        guard witnesses == 0 || witnessKey.count >= witnesses else {
            throw ValidationError("--witnesses \(witnesses) needs at least \(witnesses) witness keys you trust (--witness-key, as the partners print with `liaison keys show`); keys taken from the log being verified prove nothing")
        }
    }

    func run() throws {
        let trustedKey = try logKey.map(TrustedKeyArgument.logKey)
        let trustedWitnesses = witnessKey.isEmpty ? nil : try witnessKey.map(TrustedKeyArgument.witnessKey)
        let checkpoint = try trustedCheckpoint.map { path -> [UInt8] in
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CoreError(.inputUnreadable, "cannot read the trusted checkpoint \(path): no such file or not readable")
            }
            return Array(data)
        }
        var storageIssues: [AuditStorageIssue] = []
        var manifestWarning: String?
        let report: AuditVerificationReport
        if let bundle {
            try AuditBundlePath.check(bundle)
            var progress: ProgressLine?
            report = try AuditBundle.verify(directory: bundle, trustedLogKey: trustedKey, trustedWitnesses: trustedWitnesses,
                                            requiredWitnesses: witnesses, trustedCheckpoint: checkpoint,
                                            allowUnsignedEntries: allowUnsigned) { entries, expected in
                if progress == nil { progress = ProgressLine(total: expected.map(Int64.init), label: "verifying", unit: .entries) }
                progress?.reached(Int64(entries))
            }
            progress?.finish()
            manifestWarning = Self.manifestWarning(of: bundle, holding: report.entries)
            // It may quote the bundle's path: shown as a terminal may show it.
            if let manifestWarning { FileHandle.standardError.write(Data("warning: \(manifestWarning.printable)\n".utf8)) }
        } else if let database {
            (report, storageIssues) = try verifyDatabase(database, trustedKey: trustedKey, trustedWitnesses: trustedWitnesses,
                                                         trustedCheckpoint: checkpoint)
        } else {
            report = try verifyLive(trustedKey: trustedKey, trustedWitnesses: trustedWitnesses, trustedCheckpoint: checkpoint)
        }
        // Entries past the newest checkpoint K witnesses cosigned: someone holding the log
        // key could still rewrite them unseen; the auditor may bound how many.
        let unwitnessed = witnesses > 0 ? report.entries - (report.witnessedSize ?? 0) : 0
        var behind: VerifyOutput.Issue?
        if let maxUnwitnessed, report.isValid, unwitnessed > maxUnwitnessed {
            behind = VerifyOutput.Issue(code: "verify.witnessing-behind", entry: report.witnessedSize ?? 0,
                message: "entries \(report.witnessedSize ?? 0)..<\(report.entries) (\(unwitnessed)) follow the newest checkpoint \(witnesses) witnesses cosigned, more than --max-unwitnessed \(maxUnwitnessed) allows: wait for the witnesses to cosign a newer checkpoint (or check that they reach the node), then verify again")
        }
        let valid = report.isValid && storageIssues.isEmpty && behind == nil
        if daemon.json {
            try printJSON(VerifyOutput(valid: valid, report: report, storageIssues: storageIssues.map {
                VerifyOutput.Issue(code: $0.code.rawValue, entry: $0.entry, message: $0.message)
            }, witnessingBehind: behind, manifestWarning: manifestWarning))
        } else {
            if !storageIssues.isEmpty {
                print("FAILED: the database's own records disagree (\(storageIssues.count) problem\(storageIssues.count == 1 ? "" : "s")):")
                for issue in storageIssues { print("- \(issue.message) [\(issue.code.rawValue)]") }
                // One verdict: what follows is only the entries and checkpoints, read through those records.
                print("the entries and checkpoints themselves: ", terminator: "")
            }
            if let behind {
                // One verdict first, as for storage problems: what follows is the rest of the check.
                print("FAILED: \(behind.message) [\(behind.code)]")
                print("the entries and checkpoints themselves: ", terminator: "")
            }
            print(report.description, terminator: "")
        }
        if !valid { throw ArgumentParser.ExitCode(65) }
    }

    /// A database file: its storage checks and the log verification in one pass.
    private func verifyDatabase(_ path: String, trustedKey: NoteVerifierKey?, trustedWitnesses: [NoteVerifierKey]?,
                                trustedCheckpoint: [UInt8]?) throws -> (AuditVerificationReport, [AuditStorageIssue]) {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CoreError(.inputUnreadable, "no audit database at \(path) (a node's is <home>/audit.db)")
        }
        // Read from a private copy: the file under examination may be write-protected
        // evidence, and SQLite would leave -wal and -shm files beside it.
        let copy = try EvidenceCopy(of: path)
        defer { copy.remove() }
        let log: AuditLog
        do {
            log = try AuditLog(readingOnly: copy.path)
        } catch let error as StoreError {
            // Named as the operator gave it, not as the private copy.
            let message = error.message.replacingOccurrences(of: copy.path, with: path)
            guard error.code == .cannotOpen && !FileManager.default.fileExists(atPath: path + "-wal") else {
                throw StoreError(error.code, message, diagnostics: error.diagnostics)
            }
            // A copy of audit.db alone may hold none of the log: the newest pages live in audit.db-wal.
            throw StoreError(.cannotOpen, "\(message); if \(path) was copied from a node, copy its audit.db-wal beside it too",
                             diagnostics: error.diagnostics)
        }
        let home = HomeOptions.resolve(daemon.home)
        let configuration = trustedKey == nil || trustedWitnesses == nil ? try? home.loadConfiguration() : nil
        guard let key = try trustedKey ?? configuration.map({ try NodeLogNames.logKey($0.publicKeys, named: $0.logFingerprint) }) else {
            throw CoreError(.invalidArgument, "give --log-key (or --home of the node whose log this is)")
        }
        let witnesses = try trustedWitnesses ?? configuration.map { configuration in
            try AuditDatabaseCheck.witnessKeys(of: (try? home.loadKeyring(configuration))?.peers ?? [])
        } ?? []
        let checked = try AuditDatabaseCheck.run(log, logKey: key, witnesses: witnesses, requiredWitnesses: self.witnesses,
                                                 trustedCheckpoint: trustedCheckpoint)
        var report = checked.report
        if trustedKey == nil { report.logKeySource = .node }
        if trustedWitnesses == nil { report.witnessKeySource = .node }
        return (report, checked.issues)
    }

    /// What to say of the bundle's manifest, or nil when it agrees with the bundle.
    /// The manifest is informational and never trusted, but every export writes a
    /// well-formed one: one that is missing, malformed or names another count says
    /// the bundle is not as exported. Said beside the verdict; the verdict stands.
    private static func manifestWarning(of bundle: String, holding entries: Int) -> String? {
        let file = AuditBundle.manifestFile
        let verdict = "(the verdict is on the bundle itself; the manifest is never trusted)"
        guard FileManager.default.fileExists(atPath: bundle + "/" + file) else {
            return "the bundle has no \(file), which every export writes: it is incomplete (an export that did not finish, a partial copy) or was changed after the export \(verdict)"
        }
        do {
            let manifest = try AuditBundleReader(directory: bundle).manifest()
            guard manifest.entries != entries else { return nil }
            return "\(file) says \(manifest.entries) entries but the bundle holds \(entries): one of them was changed after the export \(verdict)"
        } catch let error as AuditError where error.code == .malformedBundle {
            return "\(error.message); every export writes a well-formed one, so the bundle was changed after the export"
        } catch {
            return "cannot read the bundle's \(file) (\(error)) \(verdict)"
        }
    }

    /// The running node's log, fetched over the control socket and checked here.
    private func verifyLive(trustedKey: NoteVerifierKey?, trustedWitnesses: [NoteVerifierKey]?,
                            trustedCheckpoint: [UInt8]?) throws -> AuditVerificationReport {
        // Have everything so far covered by a signed checkpoint, then fetch the log up to it.
        let (keys, size, unsigned): (AuditKeysItem, Int, String?)
        do {
            (keys, size, unsigned) = try AuditKeysPages.fetchSigned(daemon)
        } catch let failure as ControlFailure where failure.code == "control.daemon-not-running" {
            // A stopped node's log can still be verified, from its file.
            let database = HomeOptions.resolve(daemon.home).path + "/audit.db"
            throw ControlFailure(code: failure.code,
                                 message: failure.message + "; or verify its log offline: `liaison audit verify --database \(database) --log-key KEY`")
        }
        if let unsigned {
            FileHandle.standardError.write(Data("warning: the node signed no checkpoint now (\(unsigned)); entries after its newest checkpoint are checked unsigned\n".utf8))
        }
        let served = try NoteVerifierKey(parsing: keys.logKey)
        // The key as its operator prints it is named after the node's first log; it
        // verifies a log begun after that one under that log's name.
        let trustedKey = trustedKey.map { NodeLogNames.logKey($0, for: served.name) ?? $0 }
        if let trustedKey, trustedKey != served {
            throw CoreError(.fingerprintMismatch, "the daemon’s log key \(served) is not the key you trust; the node's log key changed or this is another node")
        }
        var verifier = try AuditLogVerifier(
            logKey: trustedKey ?? served, witnesses: try trustedWitnesses ?? keys.witnessKeys.map(NoteVerifierKey.init(parsing:)),
            requiredWitnesses: witnesses, checkpoints: try keys.checkpoints.map { try SignedNote(parsing: $0.note).bytes },
            trustedCheckpoint: trustedCheckpoint)
        let progress = ProgressLine(total: Int64(size), label: "verifying", unit: .entries)
        try AuditLeafPages(daemon: daemon).forEach(upTo: size) { item in
            verifier.append(leaf: Array(item.leaf.utf8))
            progress.advance()
        }
        progress.finish()
        if trustedKey == nil {
            FileHandle.standardError.write(Data("note: the log key came from the daemon itself; pass --log-key to check it against the one you trust\n".utf8))
        }
        var report = verifier.finish()
        if trustedKey == nil { report.logKeySource = .node }
        if trustedWitnesses == nil { report.witnessKeySource = .node }
        return report
    }

    struct VerifyOutput: Encodable {
        struct Issue: Encodable {
            let code: String
            let entry: Int?
            let message: String
        }
        let valid: Bool
        let report: AuditVerificationReport
        let storageIssues: [Issue]
        /// Set when more entries than --max-unwitnessed follow the newest witnessed checkpoint.
        let witnessingBehind: Issue?
        /// Set when a bundle's manifest is missing, malformed or disagrees with it (also on stderr).
        let manifestWarning: String?
    }
}
