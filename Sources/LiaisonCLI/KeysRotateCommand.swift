import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore

extension KeysCommand {
    /// `liaison keys rotate`: the node replaces its keys and tells its partners.
    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace this node's identity, encryption and transport keys; partners take the new ones automatically.",
            discussion: """
                The running daemon generates new identity, encryption and transport keys
                (the log key stays, so the audit log keeps its key and name), writes them
                to the key file under the same passphrase, keeps the previous keys in
                <home>/keys/previous.secrets, records key.rotated in the audit log, and
                signs a rotation statement with the previous identity key
                (<home>/keys/rotation.txt; the new card is <home>/keys/card.txt).

                It sends the statement to every unrevoked partner. A partner that
                receives it takes the new keys without any action of its operator and
                accepts the previous ones too until the overlap ends, so packages queued
                or sealed before the rotation are still delivered and opened. Partners
                not reached now are told by the daemon later (and before any delivery to
                them) while the overlap lasts; after it, their operators must import
                <home>/keys/card.txt by hand, and such a partner refuses what was sealed
                before the rotation (the failure says so: send it again). One rotation at
                a time: the next one may start once the overlap has ended.
                """)
        @OptionGroup var daemon: DaemonOptions

        @Option(name: .long, help: ArgumentHelp("How many days partners keep accepting the previous keys (1–90).", valueName: "days"))
        var overlap: Int = 14

        @Flag(name: .long, help: "Do not ask for confirmation (required when not run interactively).")
        var yes = false

        func validate() throws {
            guard (1...90).contains(overlap) else { throw ValidationError("--overlap must be 1–90 days") }
        }

        func run() throws {
            if !yes {
                guard isatty(STDIN_FILENO) == 1 else {
                    throw CoreError(.invalidArgument, "rotating this node's keys changes its fingerprint: pass --yes to confirm (no terminal to ask on)")
                }
                print("This replaces this node's keys (its fingerprint changes) and tells every partner. Type \"rotate\" to confirm: ", terminator: "")
                guard readLine()?.trimmingCharacters(in: .whitespaces) == "rotate" else {
                    throw CoreError(.invalidArgument, "not confirmed; nothing was rotated")
                }
            }
            var request = ControlRequest(.keysRotate)
            request.overlapDays = overlap
            let report = try daemon.connect().call(request, RotationReport.self)
            if daemon.json { return try printJSON(report) }
            print("This node's keys are rotated as of \(report.rotatedAt).")
            print("New fingerprint:      \(report.node)")
            print("Previous fingerprint: \(report.previous) (accepted by partners until \(report.overlapUntil))")
            print("Statement: \(report.statementPath)")
            print("New card:  \(report.cardPath)")
            print("Told: \(report.told.isEmpty ? "(none)" : report.told.joined(separator: ", "))")
            if !report.unreached.isEmpty {
                print("Not reached yet (the daemon keeps trying until the overlap ends):")
                for peer in report.unreached { print("  \(peer.peer): \(peer.reason)") }
            }
        }
    }
}
