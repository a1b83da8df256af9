import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore

extension KeysCommand {
    /// `liaison keys revoke`: the node revokes its own identity key and tells its partners.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke this node's own identity key (after a compromise) and tell every partner. Irreversible.",
            discussion: """
                The running daemon signs a revocation statement with the identity key,
                records it in the audit log, keeps it in <home>/keys/revocation.txt and
                sends it to every unrevoked partner with an address. A partner that
                receives it marks this node revoked without any action of its operator:
                its sessions with this node end, and this node's handshakes and packages
                are refused from then on. This node itself sends and forwards nothing
                more (`node.revoked`).

                Partners that could not be reached are listed: run this command again
                to retry them (the same statement is sent), or hand them the file, to
                be imported with `liaison peers import-revocation FILE`.
                To carry on, set up a new node (`liaison init`) and exchange cards again.
                """)
        @OptionGroup var daemon: DaemonOptions

        @Option(name: .long, help: ArgumentHelp("Why, for partners' operators (printable, at most 200 characters): required the first time, when it is signed into the statement for good.", valueName: "text"))
        var reason: String = ""

        @Flag(name: .long, help: "Do not ask for confirmation (required when not run interactively).")
        var yes = false

        func validate() throws {
            do { try RevocationStatement.validate(reason: reason) } catch let error as CoreError { throw ValidationError(error.message) }
        }

        func run() throws {
            try IrreversibleConfirmation.require(yes: yes, warning: "This revokes this node's identity key for good and tells every partner.",
                                                 refusal: "revoking this node's key", word: "revoke", nothingDone: "nothing was revoked")
            var request = ControlRequest(.keysRevoke)
            request.reason = reason
            let report = try daemon.connect().call(request, RevocationReport.self)
            if daemon.json { return try printJSON(report) }
            if report.repeated {
                let again = report.told.isEmpty && report.unreached.isEmpty
                    ? "every partner had been told already" : "the same statement went again to the partners not told yet"
                print("This node's identity key (\(report.node)) was already revoked, as of \(report.revokedAt); \(again).")
                if !reason.isEmpty && reason != report.reason {
                    print("The reason given now is not used: the statement was signed once, with its first reason.")
                }
            } else {
                print("This node's identity key (\(report.node)) is revoked as of \(report.revokedAt).")
            }
            print("Reason: \(report.reason.isEmpty ? "(none given)" : report.reason)")
            print("Statement: \(report.statementPath)")
            print("Told: \(report.told.isEmpty ? "(none)" : report.told.joined(separator: ", "))")
            if !report.unreached.isEmpty {
                print(HomeInHints.here("Not reached (run `liaison keys revoke --yes` again, or hand them the statement):"))
                for peer in report.unreached { print("  \(peer.peer): \(peer.reason)") }
            }
        }
    }
}
