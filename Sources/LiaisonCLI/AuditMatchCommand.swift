import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonCore

/// `liaison audit match`: two partners' exported logs held against each other,
/// delivery by delivery (``DeliveryMatch``), offline.
struct AuditMatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Hold two partners' exported logs against each other: every receipt one holds from the other is in the other's log.",
        discussion: """
            Each bundle (from `liaison audit export`) is verified first, against the log
            key you trust for it (--log-key, once per bundle, matched by its name; with
            no --log-key at all, each is checked against the key it carries, and the
            result says so). Then every receipt either node's log says it holds from the other
            (`package.delivered`) must be in the other's log (`package.received` naming
            the same receipt signature): the recipient records it before it sends the
            receipt, so a receipt missing there means one of the logs does not tell the
            truth. Receipts dated within the last minute of the other's log, as exported,
            or after it, are not checked; entries written before 2026-11-29 name no
            receipt and are counted. Packages a node logged as received whose receipt the
            other does not hold are counted, not failed (the receipt may not have reached
            it yet). Witness cosignatures are checked by `audit verify --bundle`.
            Exit status: 0 consistent; 65 a bundle does not verify or a receipt is
            missing; 66 a bundle cannot be read; 64 a usage error.
            """)

    @Argument(help: ArgumentHelp("The two bundles, as `liaison audit export --out DIR` wrote them.", valueName: "dir")) var bundles: [String]
    @Option(name: .long, help: ArgumentHelp("A log key you trust (repeatable): each bundle is verified against the one of its name.",
                                            valueName: "key")) var logKey: [String] = []
    @OptionGroup var output: OutputOptions

    /// What `audit match --json` prints.
    struct Report: Encodable {
        struct Bundle: Encodable {
            let directory: String
            let origin: String
            let entries: Int
            let logKeySource: String
        }
        struct Missing: Encodable {
            let entry: Int
            let package: String
            let receivedAt: String
            let receiptSignature: String
        }
        struct Direction: Encodable {
            let sender: String
            let recipient: String
            let matched: Int
            let missing: [Missing]
            let afterRecipientLogEnds: Int
            let issuedNotHeld: Int
        }
        let consistent: Bool
        let bundles: [Bundle]
        let directions: [Direction]
        let deliveriesWithoutReceipt: Int
    }

    func validate() throws {
        guard bundles.count == 2 else { throw ValidationError("give two bundles, one from each partner") }
    }

    func run() throws {
        let trusted = try logKey.map(TrustedKeyArgument.logKey)
        var logs: [DeliveryLog] = [], summaries: [Report.Bundle] = []
        for directory in bundles {
            let (log, summary) = try Self.read(directory, trusting: trusted)
            logs.append(log)
            summaries.append(summary)
        }
        guard logs[0].origin != logs[1].origin else {
            throw CoreError(.invalidArgument, "both bundles are of the log \(logs[0].origin): give one from each partner")
        }
        let match = DeliveryMatch(logs[0], logs[1])
        let report = Report(consistent: match.isConsistent, bundles: summaries, directions: match.directions.map { d in
            Report.Direction(sender: d.sender, recipient: d.recipient, matched: d.matched,
                             missing: d.missing.map { Report.Missing(entry: $0.index, package: $0.package, receivedAt: Timestamp.iso8601($0.receivedAt),
                                                                     receiptSignature: $0.signature) },
                             afterRecipientLogEnds: d.afterRecipientLogEnds, issuedNotHeld: d.issuedNotHeld)
        }, deliveriesWithoutReceipt: match.deliveriesWithoutReceipt)
        if output.json {
            try printJSON(report)
        } else {
            Self.printText(report)
        }
        if !report.consistent { throw ArgumentParser.ExitCode(65) }
    }

    /// The bundle at `directory`, verified, gathered into a ``DeliveryLog``.
    private static func read(_ directory: String, trusting keys: [NoteVerifierKey]) throws -> (DeliveryLog, Report.Bundle) {
        try AuditBundlePath.check(directory)
        let reader = AuditBundleReader(directory: directory)
        let carried = try? reader.logKey()
        let key = carried.flatMap { carried in keys.first { $0.name == carried.name } }
        if let carried, !keys.isEmpty, key == nil {
            throw CoreError(.invalidArgument, "no --log-key given is named \(carried.name), the log \(directory) holds: give the key you trust for it")
        }
        let report = try AuditBundle.verify(directory: directory, trustedLogKey: key, trustedWitnesses: [], allowUnsignedEntries: false)
        // A log key's name is its log's origin: the checkpoints verified are signed under it.
        guard report.isValid, report.newestCheckpoint != nil, let origin = (key ?? carried)?.name else {
            throw AuditError(.malformedBundle, "\(directory) does not verify (\(report.failures.first?.message ?? "no checkpoint")); "
                                 + "`liaison audit verify --bundle \(directory)` says everything found")
        }
        var log = DeliveryLog(origin: origin)
        let read = try reader.forEachLeaf { index, leaf in
            log.add(try AuditEvent(canonicalBytes: Array(leaf)), index: index)
        }
        guard read == report.entries else {
            throw AuditError(.malformedBundle, "\(directory) changed while it was read (\(report.entries) entries verified, \(read) read): run it again")
        }
        return (log, Report.Bundle(directory: directory, origin: origin, entries: read, logKeySource: key == nil ? "bundle" : "provided"))
    }

    private static func printText(_ report: Report) {
        print(report.consistent ? "CONSISTENT: every receipt each node holds from the other is in the other's log"
                                : "FAILED: receipts one node holds are missing from the log of the node that issued them")
        for bundle in report.bundles where bundle.logKeySource == "bundle" {
            print("  note: \(bundle.directory) was checked against the log key it carries; compare it with \(bundle.origin)'s, obtained out of band, or give --log-key")
        }
        for d in report.directions {
            print("\(d.sender) → \(d.recipient): \(d.matched) receipt\(d.matched == 1 ? "" : "s") matched")
            for missing in d.missing.prefix(20) {
                print("  MISSING: entry \(missing.entry), package \(missing.package), receipt dated \(missing.receivedAt), is not in \(d.recipient)'s log")
            }
            if d.missing.count > 20 { print("  … and \(d.missing.count - 20) more (--json lists them all)") }
            if d.afterRecipientLogEnds > 0 {
                print("  not checked: \(d.afterRecipientLogEnds) dated within a minute of the end of \(d.recipient)'s export, or after it")
            }
            if d.issuedNotHeld > 0 {
                print("  \(d.issuedNotHeld) package\(d.issuedNotHeld == 1 ? "" : "s") \(d.recipient) logged as received whose receipt \(d.sender)'s log does not hold (yet)")
            }
        }
        if report.deliveriesWithoutReceipt > 0 {
            print("not checkable: \(report.deliveriesWithoutReceipt) deliveries logged before receipts were named in the log (2026-11-29)")
        }
    }
}
