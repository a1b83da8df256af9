import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonStore

/// `liaison policy check|explain`: what the access policy decides, and why.
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Ask the access policy: who may receive what, and which rule decided.",
        subcommands: [Check.self, Explain.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Dry run: which of these peers would get a package with these markings.",
            discussion: """
                Takes the markings `send` and `package seal` take, and answers for each peer \
                with the rule that decided. Exit status: 0 if at least one peer would get \
                it, 65 if none would (as `send` is refused then).
                """)

        @OptionGroup var node: HomeOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var addressing: AddressingOptions

        func validate() throws {
            // Shared with `send`; the policy looks at neither.
            guard addressing.expires == nil, addressing.contentType == nil else {
                throw ValidationError("the policy decides on markings only: --expires and --content-type change nothing here")
            }
        }

        func run() throws {
            let home = node.nodeHome
            let configuration = try home.loadConfiguration()
            let markings = try configuration.markings(tlp: addressing.tlp, classification: addressing.classification,
                                                      releasableTo: addressing.communities, caveats: addressing.caveat)
            let reports = try PolicyReport.print(markings: markings, peers: addressing.recipients, direction: .send,
                                                 configuration: configuration, keyring: try home.loadKeyring(configuration), json: output.json)
            if !reports.contains(where: \.allowed) { throw ArgumentParser.ExitCode(65) }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Why a peer did or did not get a package of this node's outbox or inbox.",
            discussion: """
                Reads the package's cleartext markings (no key needed) from the node's \
                store (liaison.db, or the package file it names) and applies the policy as \
                it stands now for the peer: `send` for packages this node sent; for packages \
                it received, `receive` when the peer sent it, else `forward` (may it go on \
                to that peer, as `liaison forward` decides). For a package this node sent, \
                the delivery's recorded outcome follows: a recipient may still have refused \
                it by its own policy. A package sealed offline \
                (`package seal`) is in neither: ask `policy check` with its markings \
                (`package inspect` shows them).
                """)

        @OptionGroup var node: HomeOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .long, help: ArgumentHelp("The package id, or its first 8 or more hex digits.", valueName: "id")) var package: String
        @Option(name: .long, help: ArgumentHelp("The peer's name.", valueName: "name")) var peer: String

        func validate() throws { try PackageIDArgument.validate(package) }

        func run() throws {
            let home = node.nodeHome
            let configuration = try home.loadConfiguration()
            // Small packages live in the node's database, large ones in files it names.
            let store = try NodeStore(home: home)
            let id = try store.packageID(typed: package)
            var source: StoredPackageSource
            let direction: PolicyDirection
            if let package = try store.outboxPackage(id: id) {
                if let pruned = package.prunedAt {
                    // The file is gone; the store kept its markings, which is all the policy reads.
                    FileHandle.standardError.write(Data(HomeInHints.here("package \(id)'s file was pruned at \(Timestamp.iso8601(pruned)) (`liaison outbox prune`): decided from the markings the store kept\n").utf8))
                    let markings = try Markings(parsingBanner: package.markings)
                    let reports = try PolicyReport.decide(markings: markings, peers: [peer], direction: markings.leavingDirection,
                                                          configuration: configuration, keyring: try home.loadKeyring(configuration),
                                                          packageID: id.description)
                    return try PolicyReport.output(try PolicyReport.withDeliveries(reports, of: id, store: store), json: output.json)
                }
                (source, direction) = (try .outbox(package, store: store), .send)
            } else if let sent = try store.inboxEntries(id: id).first(where: { $0.sender == peer }) {
                // Several senders' packages with this id (one copied the other's): the one `peer` sent.
                (source, direction) = (try .inbox(sent, store: store), .receive)
            } else if let entry = try store.inboxEntry(id: id) {
                // Received from someone else: the question is whether it may go on to `peer`.
                (source, direction) = (try .inbox(entry, store: store), .forward)
            } else {
                throw CoreError(.unknownPackage, "no package \(id) in this node's outbox or inbox; see `liaison outbox list` and `liaison inbox list`")
            }
            defer { source.close() }
            let header = try PackageOpener.readHeader(from: &source)
            // A package of the outbox is decided as the sender decides it as it leaves
            // (one `forward` sealed: by the forwarding rules), and shown with what happened.
            var reports = try PolicyReport.decide(markings: header.markings, peers: [peer],
                                                  direction: direction == .send ? header.markings.leavingDirection : direction,
                                                  configuration: configuration, keyring: try home.loadKeyring(configuration),
                                                  packageID: id.description)
            if direction == .send { reports = try PolicyReport.withDeliveries(reports, of: id, store: store) }
            try PolicyReport.output(reports, json: output.json)
        }
    }
}

/// One decision as printed and as `--json` output.
struct PolicyReport: Encodable {
    let package: String?
    let peer: String
    let direction: String
    let markings: String
    let allowed: Bool
    let rule: String
    let reason: String
    /// For a package of the outbox: what happened to its delivery to the peer, as
    /// recorded (`queued`, `sending`, `delivered`, `failed`, `expired`), and why it
    /// last failed (a refusal by the recipient's own policy, say), if it did. The
    /// decision above is this node's policy as it stands now; this is the outcome.
    var delivery: String?
    var deliveryError: String?

    /// Prints each peer's decision (or them all as JSON) and returns them.
    @discardableResult
    static func print(markings: Markings, peers: [String], direction: PolicyDirection, configuration: NodeConfiguration,
                      keyring: Keyring, json: Bool, packageID: String? = nil) throws -> [PolicyReport] {
        let reports = try decide(markings: markings, peers: peers, direction: direction, configuration: configuration, keyring: keyring,
                                 packageID: packageID)
        try output(reports, json: json)
        return reports
    }

    /// Each peer's decision.
    static func decide(markings: Markings, peers: [String], direction: PolicyDirection, configuration: NodeConfiguration,
                       keyring: Keyring, packageID: String? = nil) throws -> [PolicyReport] {
        try peers.map { name -> PolicyReport in
            guard let peer = keyring.peer(named: name) else {
                throw CoreError(.unknownPeer, "no peer named \"\(name)\"; see `liaison peers list`")
            }
            // Forwarding keeps TLP:AMBER inside this node's own organisation.
            let context = PolicyContext(ladder: configuration.classifications,
                                        sameOrganisation: OrganisationName.same(configuration.organisation, peer.organisation),
                                        peerIsOrigin: direction == .forward && markings.namesAsOrigin(peer))
            let decision = AccessPolicy.decide(markings, peer: peer.policyClearance(ladder: configuration.classifications),
                                               direction: direction, context: context)
            return PolicyReport(package: packageID, peer: name, direction: direction.rawValue, markings: markings.banner,
                                allowed: decision.allowed, rule: decision.rule.rawValue, reason: decision.explanation)
        }
    }

    /// Prints the decisions (or them all as JSON), each with its delivery's outcome if known.
    static func output(_ reports: [PolicyReport], json: Bool) throws {
        if json { return try printJSON(reports) }
        for r in reports {
            Swift.print("\(r.peer): \(r.allowed ? "ALLOWED" : "DENIED") (\(r.direction) \(r.markings)) — \(r.reason) [\(r.rule)]")
            if let delivery = r.delivery {
                Swift.print("  the delivery: \(delivery)\(r.deliveryError.map { " — \($0)" } ?? "") (recorded; the line above is this node's policy now)")
            }
        }
    }

    /// These reports with the recorded outcome of `id`'s delivery to each peer, if it had one.
    static func withDeliveries(_ reports: [PolicyReport], of id: PackageID, store: NodeStore) throws -> [PolicyReport] {
        let deliveries = try store.deliveries(packageID: id)
        return reports.map { report in
            guard let delivery = deliveries.first(where: { $0.peer == report.peer }) else { return report }
            var report = report
            report.delivery = delivery.state.rawValue
            report.deliveryError = delivery.state == .delivered ? nil : delivery.lastError
            return report
        }
    }
}
