import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// `liaison peers …`: the keyring of partner nodes.
struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "Partner nodes: add them from their cards, list, show, change, revoke and remove them.",
        subcommands: [Add.self, Import.self, List.self, Show.self, SetTrust.self, SetAttributes.self, Revoke.self, ImportRevocation.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a partner to the running daemon from its node card.",
            discussion: """
                Verifies the card's signature, prints the fingerprint to compare
                with the partner over a separate channel, and takes effect at once
                (no restart). Use `peers import` when the daemon is not running.
                """)

        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The partner's card file.", valueName: "card")) var card: String
        @Option(name: .long, help: ArgumentHelp("Local name for the partner.", valueName: "name")) var name: String
        @Option(name: .long, help: ArgumentHelp("The partner daemon's address (repeatable; default: the card's).", valueName: "host:port"))
        var address: [String] = []
        @Option(name: .long, help: ArgumentHelp("Trust level: blocked, limited, partner or trusted.", valueName: "level")) var trust: String
        @Option(name: .long, help: ArgumentHelp("The fingerprint the partner gave you; refused if it differs.", valueName: "fingerprint"))
        var fingerprint: String?

        @OptionGroup var cleared: ClearanceOptions

        func validate() throws {
            do {
                try NodeName.validate(name)
                _ = try TrustLevel(parsing: trust)
                for a in address { try NetworkAddress.validate(a) }
            } catch let error as CoreError {
                throw ValidationError(error.message)
            }
        }

        func run() throws {
            let request = PeersCommand.addRequest(name: name, card: try readTextFile(card, limit: NodeCard.maximumByteCount), trust: trust,
                                                  fingerprint: fingerprint, addresses: address, cleared: cleared)
            let peer = try daemon.connect().call(request, PeerStatus.self)
            cleared.warnIfCapped(peer.name, trust: try TrustLevel(parsing: peer.trust))
            if daemon.json { return try printJSON(peer) }
            print("Added \"\(peer.name)\" with trust \(peer.trust), reachable at \(peer.addresses.joined(separator: ", ")).")
            print("  fingerprint: \(peer.fingerprint)")
            if fingerprint == nil { print("Compare this fingerprint with the partner over a separate channel before sending anything.") }
        }
    }

    /// The daemon's `peers.add` request, as `peers add` and `peers import` (on a
    /// running daemon) send it; no addresses means the card's.
    static func addRequest(name: String, card: String, trust: String, fingerprint: String?, addresses: [String],
                           cleared: ClearanceOptions) -> ControlRequest {
        var request = ControlRequest(.peersAdd)
        request.name = name
        request.card = card
        request.trust = trust
        request.fingerprint = fingerprint
        request.addresses = addresses.isEmpty ? nil : addresses
        cleared.fill(&request)
        return request
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a partner from the running daemon.",
            discussion: """
                Its sessions end and every package still queued for it fails. What it sent \
                stays in the inbox and readable (`inbox get`: its keys are kept for that, as \
                of the removal); nothing it signs later is accepted. To stop trusting its \
                key for good (its card refused if imported again; the peer is not told, its \
                handshakes are refused), use `peers revoke`.
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The peer's name.", valueName: "name")) var name: String

        func run() throws {
            var request = ControlRequest(.peersRemove)
            request.name = name
            let removed = try daemon.connect().call(request, RemovedPeer.self)
            if daemon.json { return try printJSON(removed) }
            let failed = removed.failedDeliveries
            print("Removed \"\(name)\". \(failed == 0 ? "Nothing was queued for it" : "\(failed) \(failed == 1 ? "delivery" : "deliveries") still queued for it failed").")
            print(removed.sentPackagesReadable
                  ? "What it sent stays readable with `liaison inbox get`."
                  : "Its keys could not be kept (see the daemon's log): what it sent opens again only if its card is imported.")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a partner from its node card after verifying the card's signature.",
            discussion: """
                Prints the partner's fingerprint: compare it with the one the \
                partner reads to you over a separate channel. Pass --fingerprint \
                to have it checked here.

                Works with or without the daemon: when liaisond is running for the \
                node (or starting: it is waited for), the card is handed to it (as \
                `peers add`), so the partner is known at once; otherwise the keyring \
                file is written here and the daemon reads it when it starts. Without \
                --address the partner is reached at the card's addresses. Offline, a \
                name that still has packages queued for an earlier peer of that name \
                is refused until the daemon has started once (it fails them).
                """)

        @OptionGroup var node: HomeOptions
        @OptionGroup var output: OutputOptions

        @Argument(help: ArgumentHelp("The partner's card file.", valueName: "card"))
        var card: String

        @Option(name: .long, help: ArgumentHelp("Local name for the partner.", valueName: "name"))
        var name: String

        @Option(name: .long, help: ArgumentHelp("Trust level: blocked, limited, partner or trusted.", valueName: "level"))
        var trust: String

        @Option(name: .long, help: ArgumentHelp("The fingerprint the partner gave you; the import fails if it differs.", valueName: "fingerprint"))
        var fingerprint: String?

        @Option(name: .long, help: ArgumentHelp("The partner daemon's address (repeatable; default: the card's).", valueName: "host:port"))
        var address: [String] = []

        @OptionGroup var cleared: ClearanceOptions

        func validate() throws {
            do {
                try NodeName.validate(name)
                _ = try TrustLevel(parsing: trust)
                if let fingerprint { _ = try NodeFingerprint(parsing: fingerprint) }
                for a in address { try NetworkAddress.validate(a) }
            } catch let error as CoreError {
                throw ValidationError(error.message)
            }
        }

        func run() throws {
            let home = node.nodeHome
            let cardText = try readTextFile(card, limit: NodeCard.maximumByteCount)
            // A running daemon holds the keyring in memory: a file written behind its
            // back would not be seen until it restarts, so the daemon takes the card.
            if let daemon = try Self.runningDaemon(home) {
                return try importThrough(daemon, cardText)
            }
            let configuration = try home.loadConfiguration()
            var keyring = try home.loadKeyring(configuration)
            // Deliveries are filed by name: packages still queued for an earlier peer of
            // this name would go to the new one. The daemon fails them when it starts.
            if keyring.peer(named: name) == nil {
                let stale = try NodeStore.openDeliveryCount(path: home.path + "/" + NodeStore.fileName, peer: name)
                guard stale == 0 else {
                    throw CoreError(.invalidArgument, "\(stale) package(s) are still queued for an earlier peer named \(name); start the daemon "
                                    + "(it fails them, or takes this import itself) or import under another name")
                }
            }
            let now = Timestamp.now()
            let parsed = try NodeCard(parsing: cardText, now: now)
            try home.ensureImportable(parsed, expected: fingerprint, configuration: configuration, keyring: keyring)
            var record = PeerRecord(name: name, card: parsed, trust: try TrustLevel(parsing: trust), added: now)
            try cleared.apply(to: &record, ladder: configuration.classifications)
            if !address.isEmpty { record.addresses = address }
            try keyring.add(record)
            let audit = try LocalAudit(home: home, configuration: configuration)
            defer { audit.close() }
            try audit.record(audit.event(.peerAdded, peer: record, details: record.attributeDetails.merging(["card-name": parsed.name]) { ours, _ in ours }))
            try home.saveKeyring(keyring, configuration: configuration)
            cleared.warnIfCapped(name, trust: record.trust)
            if output.json {
                return try printJSON(ImportReport(name: name, fingerprint: parsed.fingerprint.description, trust: record.trust.rawValue, daemon: false))
            }
            print("Added \"\(name)\" (calls itself \"\(parsed.name)\") with trust \(trust.lowercased()).")
            print("  fingerprint: \(parsed.fingerprint)")
            if let logName = record.auditLogName { Self.printLogName(logName.description) }
            if fingerprint == nil {
                print("Compare this fingerprint with the partner over a separate channel before sending anything.")
            }
        }

        /// Says under which name a peer that rotated before it was added keeps its audit log.
        private static func printLogName(_ logName: String) {
            print("  audit log: liaison/\(logName) (named after the keys it had first; its card proves it)")
        }

        /// What `peers import --json` prints; `daemon` says whether the running daemon took it.
        struct ImportReport: Encodable {
            let name: String
            let fingerprint: String
            let trust: String
            let daemon: Bool
        }

        /// A connection to the node's daemon, or nil if none is running. Any other
        /// failure to reach it (a socket this user may not use) is an error: writing
        /// the file instead would go unseen by the daemon. A daemon that is starting
        /// (it holds its lock but serves no socket yet) is waited for, a while.
        /// `otherwise` says what to do when that cannot be told (the lock file is not readable).
        static func runningDaemon(_ home: NodeHome,
                                  otherwise: String = "run peers import as the node's user, or use peers add on the running daemon") throws -> ControlClient? {
            let deadline = ContinuousClock.now + .seconds(15)
            while true {
                do {
                    return try ControlClient(path: ControlFraming.socketPath(home: home.path))
                } catch let failure as ControlFailure where failure.code == "control.daemon-not-running" {
                    guard try DaemonLock.holder(of: home, otherwise: otherwise) != nil else { return nil }
                    guard ContinuousClock.now < deadline else {
                        throw ControlFailure(code: "control.unavailable",
                                             message: "liaisond holds this node's lock but serves no control socket yet; retry once it has started")
                    }
                    usleep(100_000)
                }
            }
        }

        private func importThrough(_ daemon: ControlClient, _ cardText: String) throws {
            let request = PeersCommand.addRequest(name: name, card: cardText, trust: trust, fingerprint: fingerprint, addresses: address,
                                                  cleared: cleared)
            let peer = try daemon.call(request, PeerStatus.self)
            cleared.warnIfCapped(peer.name, trust: try TrustLevel(parsing: peer.trust))
            if output.json { return try printJSON(ImportReport(name: peer.name, fingerprint: peer.fingerprint, trust: peer.trust, daemon: true)) }
            print("Added \"\(peer.name)\" with trust \(peer.trust) to the running daemon (at once, no restart).")
            print("  fingerprint: \(peer.fingerprint)")
            if let logName = peer.auditLogName { Self.printLogName(logName) }
            if fingerprint == nil {
                print("Compare this fingerprint with the partner over a separate channel before sending anything.")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the partners in the keyring.")

        @OptionGroup var node: HomeOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let home = node.nodeHome
            let rows: [PeerReport]
            do {
                let configuration = try home.loadConfiguration()
                rows = try home.loadKeyring(configuration).peers.map { PeerReport($0, ladder: configuration.classifications) }
            } catch let error as CoreError where error.code == .permissionDenied {
                // An operator by group may not read the node's files: the running daemon answers.
                guard let daemon = try? ControlClient(path: ControlFraming.socketPath(home: home.path)) else { throw error }
                rows = try Self.fromDaemon(daemon)
            }
            if output.json { return try printJSON(rows) }
            guard !rows.isEmpty else {
                print(HomeInHints.here("No peers yet. Add one with `liaison peers import CARD --name NAME --trust LEVEL`."))
                return
            }
            let table = TextTable(headers: ["NAME", "TRUST", "CLEARED FOR", "FINGERPRINT", "ADDRESSES", "STATUS"])
            print(table.render(rows.map {
                [$0.name, $0.trust, $0.clearedFor, $0.shortFingerprint, $0.addresses.joined(separator: ","), $0.revoked ? "REVOKED" : "ok"]
            }))
        }
    }
}

extension PeersCommand.List {
    /// The peers as the running daemon reports them: its list, then each one's detail
    /// on the same connection (one removed meanwhile is left out).
    static func fromDaemon(_ daemon: ControlClient) throws -> [PeerReport] {
        try daemon.call(ControlRequest(.peersList), [PeerStatus].self).compactMap { status in
            var request = ControlRequest(.peersShow)
            request.name = status.name
            do {
                return PeerReport(try daemon.call(request, PeerDetail.self))
            } catch let failure as ControlFailure where failure.code == CoreError.Code.unknownPeer.rawValue {
                return nil
            }
        }
    }
}

/// A peer as `peers list --json` prints it.
struct PeerReport: Encodable {
    let name: String
    let trust: String
    let fingerprint: String
    let shortFingerprint: String
    let addresses: [String]
    let validUntil: String?
    let revoked: Bool
    /// The maximum TLP set for it.
    let maximumTLP: String
    /// The most sensitive TLP that can reach it: `maximumTLP` capped by its trust
    /// (a partner never gets RED); nil when nothing can (blocked or revoked).
    let effectiveMaximumTLP: String?
    /// The classification it is cleared to (the ladder's lowest rung unless set).
    let clearance: String
    /// The highest classification that can reach it: `clearance`, but the lowest
    /// rung for a `limited` peer.
    let effectiveClearance: String
    let communities: [String]

    /// `TLP:AMBER+STRICT · CONFIDENTIAL · NATO` for tables: what can reach it, so a
    /// maximum its trust caps is shown capped (`peers show` says why).
    var clearedFor: String {
        guard let effectiveMaximumTLP else { return revoked ? "nothing (revoked)" : "nothing (\(trust))" }
        return ([ "TLP:" + effectiveMaximumTLP, effectiveClearance] + (communities.isEmpty ? [] : [communities.joined(separator: ",")])).joined(separator: " · ")
    }

    /// `peer` as the keyring holds it; its clearance named on `ladder` (the lowest rung
    /// when it has none of its own).
    init(_ peer: PeerRecord, ladder: [String]) {
        name = peer.name
        trust = peer.trust.rawValue
        fingerprint = peer.fingerprint.description
        shortFingerprint = peer.fingerprint.short
        addresses = peer.addresses
        validUntil = peer.validUntil == Int64.max ? nil : Timestamp.iso8601(peer.validUntil)
        revoked = peer.revoked
        maximumTLP = peer.maximumTLP.label
        effectiveMaximumTLP = peer.policyClearance(ladder: ladder).effectiveMaximumTLP?.label
        clearance = peer.clearance ?? ladder.first ?? ""
        effectiveClearance = peer.trust == .limited ? ladder.first ?? clearance : clearance
        communities = peer.communities
    }

    /// A peer as the running daemon reports it.
    init(_ detail: PeerDetail) {
        let status = detail.status
        name = status.name
        trust = status.trust
        fingerprint = status.fingerprint
        shortFingerprint = (try? NodeFingerprint(parsing: status.fingerprint).short) ?? status.fingerprint
        addresses = status.addresses
        validUntil = status.cardValidUntil
        revoked = status.revoked
        maximumTLP = detail.maximumTLP
        // As the daemon's policy decides it: the most sensitive level it may be sent, and
        // the highest classification at which TLP:CLEAR may.
        let sendable = detail.policy.filter { $0.send == "allowed" }
        effectiveMaximumTLP = sendable.compactMap { try? TrafficLightProtocol(parsing: $0.tlp) }.max()?.label
        effectiveClearance = sendable.first { $0.tlp == TrafficLightProtocol.clear.label }?.sendUpTo ?? detail.clearance
        clearance = detail.clearance
        communities = detail.communities
    }
}
