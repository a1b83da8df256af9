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
            the same receipt signature, package and sender): the recipient records it in
            the commit that stores the package and sends the receipt only after, so a
            receipt missing there means one of the logs does not tell the truth (or the
            recipient's store was restored from a backup, which its log shows). Receipts
            dated within the last ten minutes of the other's export, by its clock, or
            after it, are not checked (export again later); nor are those from before its
            log named receipts (versions before 2026-11-29). Packages a node logged as
            received whose receipt the other does not hold are counted, not failed (the
            receipt may not have reached it yet). The check assumes the recipient's clock
            was not ahead when it exported. Witness cosignatures are checked by `audit
            verify --bundle`.
            Exit status: 0 consistent; 65 a bundle does not verify or a receipt is
            contradicted; 66 a bundle cannot be read; 64 a usage error; 1 a bundle
            changed while it was read.
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
            /// Its last entry's time, by its node's clock.
            let endsAt: String?
            /// When it began naming receipts (nil: never, an older version throughout).
            let namesReceiptsSince: String?
            let journalRenumberedAt: [String]
        }
        struct Discrepancy: Encodable {
            let kind: String
            let entry: Int
            let package: String
            let receivedAt: String
            let receiptSignature: String
        }
        struct Direction: Encodable {
            let sender: String
            let recipient: String
            let matched: Int
            let discrepancies: [Discrepancy]
            let afterRecipientLogEnds: Int
            let beforeRecipientNamedReceipts: Int
            let issuedNotHeld: Int
        }
        let consistent: Bool
        let checked: Int
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
        guard NodeLogNames.family(of: logs[0].origin) != NodeLogNames.family(of: logs[1].origin) else {
            throw CoreError(.invalidArgument, "both bundles are logs of one node (\(NodeLogNames.family(of: logs[0].origin))): give one from each partner")
        }
        let match = DeliveryMatch(logs[0], logs[1])
        let report = Report(consistent: match.isConsistent, checked: match.checked, bundles: summaries, directions: match.directions.map { d in
            Report.Direction(sender: d.sender, recipient: d.recipient, matched: d.matched,
                             discrepancies: d.discrepancies.map {
                                 Report.Discrepancy(kind: $0.kind.rawValue, entry: $0.delivery.index, package: $0.delivery.package,
                                                    receivedAt: Timestamp.iso8601($0.delivery.receivedAt), receiptSignature: $0.delivery.signature)
                             },
                             afterRecipientLogEnds: d.afterRecipientLogEnds, beforeRecipientNamedReceipts: d.beforeRecipientNamedReceipts,
                             issuedNotHeld: d.issuedNotHeld)
        }, deliveriesWithoutReceipt: match.deliveriesWithoutReceipt)
        if output.json {
            try printJSON(report)
        } else {
            AuditMatchText.print(report)
        }
        if !report.consistent { throw ArgumentParser.ExitCode(65) }
    }

    /// The bundle at `directory`, verified, then read again into a ``DeliveryLog``:
    /// the second reading must hash to the verified checkpoint's root.
    private static func read(_ directory: String, trusting keys: [NoteVerifierKey]) throws -> (DeliveryLog, Report.Bundle) {
        try AuditBundlePath.check(directory)
        let reader = AuditBundleReader(directory: directory)
        // A log key's name is its log's origin: the checkpoints verified are signed under it.
        let origin = try reader.logKey().name
        var key: NoteVerifierKey?
        if !keys.isEmpty {
            // Named after the node's first log, a key verifies the logs it began after it too.
            guard let given = keys.lazy.compactMap({ NodeLogNames.logKey($0, for: origin) }).first else {
                throw CoreError(.invalidArgument, "no --log-key given is named \(origin), the log \(directory) holds: give the key you trust for it")
            }
            key = given
        }
        let report = try AuditBundle.verify(directory: directory, trustedLogKey: key, trustedWitnesses: [], allowUnsignedEntries: false)
        guard report.isValid, let checkpoint = report.newestCheckpoint else {
            throw AuditError(.malformedBundle, "\(directory) does not verify (\(report.failures.first?.message ?? "it holds no checkpoint")); "
                                 + "`liaison audit verify --bundle \(directory)` says everything found")
        }
        guard var log = DeliveryLog(origin: origin) else {
            throw CoreError(.invalidArgument, "\(directory) is the log \(origin), not a Liaison node's (liaison/<fingerprint>)")
        }
        var tree = MerkleAccumulator()
        let read = try reader.forEachLeaf { index, leaf in
            try tree.append(leafHash: MerkleHasher.leafHash(leaf))
            log.add(try AuditEvent(canonicalBytes: Array(leaf)), index: index)
        }
        guard read == checkpoint.size, Data(tree.root).base64EncodedString() == checkpoint.rootHash else {
            throw CoreError(.io, "\(directory) changed while it was read (its entries no longer hash to the checkpoint just verified): run it again")
        }
        return (log, Report.Bundle(directory: directory, origin: origin, entries: read, logKeySource: key == nil ? "bundle" : "provided",
                                   endsAt: log.endTime.map { Timestamp.iso8601($0 / 1000) },
                                   namesReceiptsSince: log.namesReceiptsSince.map { Timestamp.iso8601($0 / 1000) },
                                   journalRenumberedAt: log.journalRenumberedAt.map { Timestamp.iso8601($0 / 1000) }))
    }
}
