import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore

extension PeersCommand {
    /// `liaison peers set-trust NAME LEVEL`.
    struct SetTrust: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-trust",
            abstract: "Change a partner's trust level on the running daemon (audited).",
            discussion: """
                Levels: blocked < limited < partner < trusted (docs/access-control.md).
                Blocking a peer ends its open sessions at once. A maximum TLP still at the
                old level's default moves to the new level's (GREEN for blocked and limited,
                AMBER+STRICT for partner, RED for trusted); one set with `peers set --max-tlp`
                to another level stays (one set to the old level's default moves too). The change applies to the next package sealed, sent or received;
                `peers show` prints the new policy.
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The peer's name.", valueName: "name")) var name: String
        @Argument(help: ArgumentHelp("blocked, limited, partner or trusted.", valueName: "level")) var level: String

        func validate() throws {
            do { _ = try TrustLevel(parsing: level) } catch let error as CoreError { throw ValidationError(error.message) }
        }

        func run() throws {
            var request = ControlRequest(.peersSetTrust)
            request.name = name
            request.trust = level
            let detail = try daemon.connect().call(request, PeerDetail.self)
            PeersCommand.noteQueuedRefused(detail)
            if daemon.json { return try printJSON(detail) }
            let chosen = detail.maximumTLPChosen == true ? ", as chosen with `peers set --max-tlp`: it does not follow the trust" : ""
            print("\(name)'s trust is now \(detail.status.trust) (maximum TLP \(detail.maximumTLP)\(chosen)).")
            PeersCommand.Show.printPolicy(detail)
        }
    }

    /// Says on standard error how many packages queued for the peer its new policy
    /// refuses: they are not sent, and fail (audited) when they would next leave.
    static func noteQueuedRefused(_ detail: PeerDetail) {
        guard let refused = detail.queuedNowRefused, refused > 0 else { return }
        let name = detail.status.name
        FileHandle.standardError.write(Data(HomeInHints.here("note: \(refused) package(s) queued for \(name) may no longer go to it; each fails, with the rule, when it would next be sent (`liaison outbox list --peer \(name)`)\n").utf8))
    }

    /// `liaison peers set NAME …`: edit a partner's attributes on the running daemon.
    struct SetAttributes: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set",
            abstract: "Change a partner's attributes on the running daemon (audited as peer.changed).",
            discussion: """
                Only the options given change (--communities "" and --organisation "" clear
                them); the trust level has its own command (set-trust).
                The change applies to the next package sealed, sent or received; `peers show`
                prints the new policy. Examples:
                  liaison peers set bravo --max-tlp AMBER --clearance CONFIDENTIAL
                  liaison peers set bravo --communities NATO,EU --organisation "CERT-EU"
                  liaison peers set bravo --bytes-per-day 500000000   (--clear-limits: none)
                  liaison peers set bravo --address 192.0.2.10:7401   (replaces them)
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The peer's name.", valueName: "name")) var name: String
        @OptionGroup var cleared: ClearanceOptions
        @Flag(name: .customLong("clear-limits"), help: "Remove every inbound limit (before applying any given here).")
        var clearLimits = false
        @Option(name: .long, help: ArgumentHelp("Where to reach the partner's daemon (repeatable; replaces its addresses).", valueName: "host:port"))
        var address: [String] = []

        func validate() throws {
            do {
                for a in address { try NetworkAddress.validate(a) }
            } catch let error as CoreError {
                throw ValidationError(error.message)
            }
            guard !cleared.isEmpty || clearLimits || !address.isEmpty else {
                throw ValidationError("say what to change, e.g. --max-tlp AMBER; see `liaison peers set --help`")
            }
        }

        func run() throws {
            var request = ControlRequest(.peersSet)
            request.name = name
            cleared.fill(&request)
            request.clearLimits = clearLimits ? true : nil
            request.addresses = address.isEmpty ? nil : address
            let client = try daemon.connect()
            // As it was, to say what changed (one more request on the same connection; an
            // unknown name fails here, as the change would).
            var show = ControlRequest(.peersShow)
            show.name = name
            let before = try client.call(show, PeerDetail.self)
            var detail = try client.call(request, PeerDetail.self)
            cleared.warnIfCapped(name, trust: try TrustLevel(parsing: detail.status.trust))
            PeersCommand.noteQueuedRefused(detail)
            let changes = Self.changes(from: before, to: detail)
            detail.changes = changes
            if daemon.json { return try printJSON(detail) }
            print(changes.isEmpty ? "\(name) updated (nothing differs from before)." : "\(name) updated:")
            for change in changes { print("  \(change)") }
            PeersCommand.Show.printPolicy(detail)
        }

        /// The attributes that differ, as `name: old → new`.
        static func changes(from old: PeerDetail, to new: PeerDetail) -> [String] {
            func text(_ value: Int64?) -> String { value.map { ByteCount.format($0) } ?? "none" }
            func list(_ values: [String]) -> String { values.isEmpty ? "(none)" : values.joined(separator: ", ") }
            let pairs: [(String, String, String)] = [
                ("maximum TLP", old.maximumTLP + (old.maximumTLPChosen == false ? " (trust default)" : ""),
                 new.maximumTLP + (new.maximumTLPChosen == false ? " (trust default)" : "")),
                ("clearance", old.clearance, new.clearance),
                ("communities", list(old.communities), list(new.communities)),
                ("addresses", list(old.status.addresses), list(new.status.addresses)),
                ("max package", text(old.maximumPackageBytes), text(new.maximumPackageBytes)),
                ("packages per minute", old.packagesPerMinute.map(String.init) ?? "none", new.packagesPerMinute.map(String.init) ?? "none"),
                ("bytes per day", text(old.bytesPerDay), text(new.bytesPerDay)),
            ]
            return pairs.filter { $0.1 != $0.2 }.map { "\($0.0): \($0.1) → \($0.2)" }
        }
    }

    /// `liaison peers revoke NAME`.
    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a partner's key on the running daemon: its sessions end now, and nothing more is exchanged with it.",
            discussion: """
                The peer stays in the keyring, marked revoked, so its old packages still
                identify it and nothing new from it verifies. Queued deliveries to it fail
                at once. Audited. It cannot be undone: the revoked key is never trusted again,
                and its card is refused if imported again. To trust the partner again,
                import a card with its new keys. Asks you to type the peer's name first
                (--yes skips that, and is required when not run on a terminal).
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The peer's name.", valueName: "name")) var name: String
        @Flag(name: .long, help: "Do not ask for confirmation (required when not run interactively).")
        var yes = false

        func run() throws {
            // Before asking: the daemon is up, the peer exists and is not revoked yet.
            var show = ControlRequest(.peersShow)
            show.name = name
            let current = try daemon.connect().call(show, PeerDetail.self)
            if current.status.revoked {
                if daemon.json { return try printJSON(current) }
                print("\(name) (\(current.status.fingerprint)) is already revoked; nothing changed.")
                return
            }
            try IrreversibleConfirmation.require(yes: yes, warning: "This revokes \(name)'s key for good: its sessions end, its queued packages fail, and its card is never accepted again.",
                                                 refusal: "revoking \(name)'s key", word: name, nothingDone: "\(name) was not revoked")
            var request = ControlRequest(.peersRevoke)
            request.name = name
            let detail = try daemon.connect().call(request, PeerDetail.self)
            if daemon.json { return try printJSON(detail) }
            print("Revoked \(name) (\(detail.status.fingerprint)): its open sessions were ended; its handshakes and packages are refused from now on.")
        }
    }
}
