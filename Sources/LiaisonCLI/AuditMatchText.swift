import LiaisonAudit
import LiaisonCore

/// `liaison audit match`'s report for people.
enum AuditMatchText {
    static func print(_ report: AuditMatchCommand.Report) {
        let say = { (line: String) in Swift.print(line.printable) }
        say(!report.consistent ? "FAILED: receipts one node holds are contradicted by the log of the node that issued them"
            : report.checked == 0 ? "NOTHING CHECKED: neither log holds a receipt from the other that the other's export covers"
            : "CONSISTENT: every receipt checked that each node holds from the other is in the other's log")
        for bundle in report.bundles {
            say("  \(bundle.directory): \(bundle.origin), \(bundle.entries) entries, ending \(bundle.endsAt ?? "-") by its clock"
                + (bundle.namesReceiptsSince == nil ? "; names no receipts (an older version throughout)" : ""))
            if bundle.logKeySource == "bundle" {
                say("    checked against the log key it carries: compare it with \(bundle.origin)'s, obtained out of band, or give --log-key")
            }
            for at in bundle.journalRenumberedAt {
                say("    its store was found behind its log at \(at) (restored from a backup?): receipts issued just before may be missing for that reason")
            }
        }
        for d in report.directions {
            say("\(d.sender) → \(d.recipient): \(d.matched) receipt\(d.matched == 1 ? "" : "s") matched")
            for problem in d.discrepancies.prefix(20) {
                let what = switch problem.kind {
                case "other-package": "names it for another package or sender"
                case "unknown-signer": "never shows the key that signed it as its own"
                default: "does not name it"
                }
                say("  \(problem.kind.uppercased()): entry \(problem.entry), package \(problem.package), receipt dated \(problem.receivedAt): \(d.recipient)'s log \(what)")
            }
            if d.discrepancies.count > 20 { say("  … and \(d.discrepancies.count - 20) more (--json lists them all)") }
            if d.afterRecipientLogEnds > 0 {
                say("  not checked: \(d.afterRecipientLogEnds) dated within ten minutes of the end of \(d.recipient)'s export, or after it, and not matched in it")
            }
            if d.beforeRecipientNamedReceipts > 0 {
                // A log begun after another holds nothing from before it began.
                let why = NodeLogNames.family(of: d.recipient) != d.recipient
                    ? "it is a log its node began after another (`audit new-log`): what came before is in that one" : "an older version"
                say("  not checkable: \(d.beforeRecipientNamedReceipts) dated before \(d.recipient)'s log named receipts (\(why))")
            }
            if d.issuedNotHeld > 0 {
                say("  \(d.issuedNotHeld) package\(d.issuedNotHeld == 1 ? "" : "s") \(d.recipient) logged as received whose receipt \(d.sender)'s log does not hold (yet)")
            }
        }
        if report.deliveriesWithoutReceipt > 0 {
            say("not checkable: \(report.deliveriesWithoutReceipt) deliveries logged before receipts were named in the log (2026-11-29)")
        }
    }
}
