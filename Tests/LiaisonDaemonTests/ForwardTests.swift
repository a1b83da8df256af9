import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonTestSupport
import Testing

/// `liaison forward` with real daemons: alpha shares a package with bravo, and bravo
/// re-shares it with charlie (and delta) only where its markings allow.
@Suite("Forwarding received packages", .serialized)
struct ForwardTests {
    /// A payload of several 1 MiB chunks, so re-sealing crosses chunk boundaries.
    static let payload = Array("indicators: 198.51.100.7, 203.0.113.9\n".utf8)
        + (0..<(2 << 20) + 12_345).map { (i: Int) in UInt8(truncatingIfNeeded: (i &* 31) ^ (i >> 9)) }

    /// `liaison forward ID --to … --json` at `node`, expected to succeed: the receipt.
    private func forward(_ net: DaemonNetwork, _ id: String, at node: String, to peers: [String], extra: [String] = [],
                         sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
        let result = try net.expect(["forward", id, "--home", net.home(node), "--to", peers.joined(separator: ","), "--json"] + extra,
                                    sourceLocation: sourceLocation)
        let receipt = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], sourceLocation: sourceLocation)
        // The whole id of the package forwarded, however shortened it was typed.
        let from = receipt["forwardedFrom"] as? String
        #expect(from?.count == 32 && from?.hasPrefix(id.lowercased()) == true, "\(receipt)", sourceLocation: sourceLocation)
        return receipt
    }

    /// `node`'s inbox entry `id`, as `inbox list --json` shows it.
    private func inboxItem(_ net: DaemonNetwork, _ id: String, at node: String) throws -> [String: Any]? {
        let result = try net.expect(["inbox", "list", "--home", net.home(node), "--json"])
        let items = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        return items?.first { $0["id"] as? String == id }
    }

    /// The packages in `node`'s outbox.
    private func outboxIDs(_ net: DaemonNetwork, at node: String) throws -> [String] {
        let result = try net.expect(["outbox", "list", "--home", net.home(node), "--json"])
        let items = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]
        return items?.compactMap { $0["id"] as? String } ?? []
    }

    /// The caveat that names `id`, received from the node whose fingerprint is `fingerprint`.
    private func originCaveat(_ fingerprint: String, _ id: String) throws -> String {
        Markings.forwardingCaveat(origin: try NodeFingerprint(parsing: fingerprint), package: try PackageID(parsing: id))
    }

    @Test("a TLP:GREEN package is forwarded as a new package signed by bravo that names alpha's package")
    func greenForwarded() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.startAll()
        let id = try net.send(Self.payload, from: "alpha", to: ["bravo"], tlp: "GREEN", extra: ["--content-type", "text/csv"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        let alphaFingerprint = try #require(try inboxItem(net, id, at: "bravo")?["senderFingerprint"] as? String)
        let caveat = try originCaveat(alphaFingerprint, id)

        // Named by a shortened id, as the audit table prints it: the caveat names the whole one.
        let receipt = try forward(net, String(id.prefix(10)), at: "bravo", to: ["charlie"])
        let forwardedID = try #require(receipt["id"] as? String)
        #expect(forwardedID != id)
        #expect(receipt["recipients"] as? [String] == ["charlie"])
        #expect((receipt["withheld"] as? [Any])?.isEmpty == true)
        #expect(receipt["markings"] as? String == "TLP:GREEN · UNCLASSIFIED · \(caveat)")
        #expect(receipt["size"] as? Int == Self.payload.count)
        #expect(try net.waitDelivered(forwardedID, from: "bravo", to: ["charlie"]))

        let received = try #require(try inboxItem(net, forwardedID, at: "charlie"))
        #expect(received["sender"] as? String == "bravo")
        #expect(received["senderFingerprint"] as? String != alphaFingerprint)
        #expect(received["markings"] as? String == "TLP:GREEN · UNCLASSIFIED · \(caveat)")
        #expect(received["contentType"] as? String == "text/csv")
        #expect(try net.fetch(forwardedID, at: "charlie") == Self.payload)
        #expect(try inboxItem(net, id, at: "charlie") == nil, "charlie gets a new package, not alpha's")

        let bravo = try net.auditEvents("bravo")
        let forwarded = try #require(bravo.first { $0.kind == .packageForwarded })
        #expect(forwarded.package == forwardedID && forwarded.outcome == .ok)
        #expect(forwarded.details["origin-package"] == id && forwarded.details["origin-sender"] == alphaFingerprint)
        #expect(forwarded.details["origin-sender-name"] == "alpha" && forwarded.details["recipients"] == "charlie")
        #expect(forwarded.markings?.contains(caveat) == true)
        #expect(!bravo.contains { $0.kind == .policyDenied })

        // The same forward again queues nothing, and says what was done; --again does it.
        let twice = try net.cli.run(["forward", id, "--home", net.home("bravo"), "--to", "charlie"])
        #expect(twice.status == 64 && twice.stderr.contains("already forwarded to charlie (as \(forwardedID.prefix(12))")
                    && twice.stderr.contains("--again"), "\(twice.stderr)")
        #expect(try outboxIDs(net, at: "bravo") == [forwardedID])
        let again = try forward(net, id, at: "bravo", to: ["charlie"], extra: ["--again"])
        #expect(again["id"] as? String != forwardedID)
        #expect(try outboxIDs(net, at: "bravo").count == 2)

        // charlie cannot send it back along the chain: to bravo (its sender) nor to alpha
        // (named by the FWD/ caveat); each is withheld with the rule, and nothing is queued.
        let back = try net.cli.run(["forward", forwardedID, "--home", net.home("charlie"), "--to", "alpha,bravo"])
        #expect(back.status == 65 && back.stderr.contains("forward-to-origin"), "\(back.stderr)")
        #expect(try outboxIDs(net, at: "charlie").isEmpty)
        let denials = try net.auditEvents("charlie").filter { $0.kind == .policyDenied && $0.reason?.hasPrefix("forward-to-origin") == true }
        #expect(Set(denials.compactMap(\.peerName)) == ["alpha", "bravo"], "\(denials)")
        let explained = try net.expect(["policy", "explain", "--home", net.home("charlie"), "--package", forwardedID, "--peer", "alpha"]).stdout
        #expect(explained.contains("alpha: DENIED (forward") && explained.contains("[forward-to-origin]"), "\(explained)")
    }

    @Test("TLP:RED and TLP:AMBER+STRICT are never forwarded: nothing is queued and each refusal is audited")
    func redAndAmberStrictRefused() throws {
        // Every pair trusted, so a plain send from bravo to charlie would be allowed even at RED.
        let trusted = ["--trust", "trusted"]
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"],
                                    importOptions: ["alpha>bravo": trusted, "bravo>alpha": trusted, "bravo>charlie": trusted])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        let red = try net.send(Array("red".utf8), from: "alpha", to: ["bravo"], tlp: "RED")
        let strict = try net.send(Array("amber+strict".utf8), from: "alpha", to: ["bravo"], tlp: "AMBER+STRICT")
        #expect(try net.waitDelivered(red, from: "alpha", to: ["bravo"]))
        #expect(try net.waitDelivered(strict, from: "alpha", to: ["bravo"]))

        for (id, rule) in [(red, "tlp-red-never-forwarded"), (strict, "tlp-amber-strict-never-forwarded")] {
            let refused = try net.cli.run(["forward", id, "--home", net.home("bravo"), "--to", "charlie"])
            #expect(refused.status == 65, "\(refused.stdout)\(refused.stderr)")
            #expect(refused.stderr.contains("charlie") && refused.stderr.contains("[\(rule)]") && refused.stderr.contains("[policy.denied]"),
                    "\(refused.stderr)")
        }
        #expect(try outboxIDs(net, at: "bravo").isEmpty, "a refused forward queues nothing")

        let bravo = try net.auditEvents("bravo")
        for (id, rule) in [(red, "tlp-red-never-forwarded"), (strict, "tlp-amber-strict-never-forwarded")] {
            let denied = try #require(bravo.first { $0.kind == .policyDenied && $0.package == id }, "no policy.denied for \(rule)")
            #expect(denied.outcome == .denied && denied.peerName == "charlie")
            #expect(denied.reason?.hasPrefix("\(rule): ") == true, "\(denied.reason ?? "")")
            #expect(denied.details["direction"] == "forward")
        }
        #expect(!bravo.contains { $0.kind == .packageForwarded })
    }

    @Test("TLP:AMBER is forwarded only to a peer of bravo's own organisation")
    func amberWithinOrganisation() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie", "delta"],
                                    importOptions: ["bravo>charlie": ["--organisation", "Example Agency"],
                                                    "bravo>delta": ["--organisation", "Other Agency"]])
        // bravo's own organisation, spelt in another case: names compare ignoring case.
        let config = net.home("bravo") + "/liaison.toml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        #expect(text.contains("[node]\n"))
        try text.replacingOccurrences(of: "[node]\n", with: "[node]\norganisation = \"EXAMPLE agency\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        for node in ["alpha", "bravo", "charlie"] { try net.daemon(node).start() }   // delta never receives anything
        let id = try net.send(Self.payload, from: "alpha", to: ["bravo"], tlp: "AMBER")
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))

        let onlyOther = try net.cli.run(["forward", id, "--home", net.home("bravo"), "--to", "delta"])
        #expect(onlyOther.status == 65 && onlyOther.stderr.contains("[tlp-amber-forward-within-organisation-only]"), "\(onlyOther.stderr)")
        #expect(try outboxIDs(net, at: "bravo").isEmpty)

        let result = try net.expect(["forward", id, "--home", net.home("bravo"), "--to", "charlie,delta"])
        #expect(result.stdout.contains("Forwarded \(id) as package ") && result.stdout.contains(" to charlie\n"), "\(result.stdout)")
        #expect(result.stdout.contains("withheld: delta") && result.stdout.contains("[tlp-amber-forward-within-organisation-only]"),
                "\(result.stdout)")
        let forwardedID = try #require(try outboxIDs(net, at: "bravo").first)
        #expect(try net.deliveryStates(forwardedID, at: "bravo").keys.sorted() == ["charlie"], "no delivery may exist for delta")
        #expect(try net.waitDelivered(forwardedID, from: "bravo", to: ["charlie"]))
        #expect(try net.fetch(forwardedID, at: "charlie") == Self.payload)
        #expect((try inboxItem(net, forwardedID, at: "charlie")?["markings"] as? String)?.hasPrefix("TLP:AMBER · UNCLASSIFIED · FWD/") == true)

        let denials = try net.auditEvents("bravo").filter { $0.kind == .policyDenied }
        #expect(denials.count == 2, "one per refused forward to delta")
        #expect(denials.allSatisfy {
            $0.peerName == "delta" && $0.package == id && $0.details["direction"] == "forward"
                && $0.reason?.hasPrefix("tlp-amber-forward-within-organisation-only: ") == true
        })
    }

    @Test("a forwarded TLP:AMBER package still queued is decided by the forwarding rules when offered: once the peer leaves bravo's organisation it is not delivered")
    func amberDecidedAgainWhenOffered() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], importOptions: ["bravo>charlie": ["--organisation", "Example Agency"]])
        let config = net.home("bravo") + "/liaison.toml"
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "[node]\n", with: "[node]\norganisation = \"Example Agency\"\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        for node in ["alpha", "bravo"] { try net.daemon(node).start() }   // charlie is offline for now
        let id = try net.send(Array("amber indicators".utf8), from: "alpha", to: ["bravo"], tlp: "AMBER")
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        _ = try forward(net, id, at: "bravo", to: ["charlie"])
        let forwardedID = try #require(try outboxIDs(net, at: "bravo").first)
        // A send would still be allowed (charlie is a partner cleared for AMBER); a forward is not.
        try net.expect(["peers", "set", "charlie", "--home", net.home("bravo"), "--organisation", "Other Agency"])
        try net.daemon("charlie").start()
        #expect(try eventually(timeoutSeconds: 30) { try net.deliveryStates(forwardedID, at: "bravo")["charlie"] == "failed" },
                "\(net.daemon("bravo").log.suffix(1500))")
        #expect(try net.inbox("charlie").isEmpty)
        let denial = try #require(try net.auditEvents("bravo").first { $0.kind == .policyDenied && $0.package == forwardedID })
        #expect(denial.peerName == "charlie" && denial.details["direction"] == "forward"
                && denial.reason?.hasPrefix("tlp-amber-forward-within-organisation-only: ") == true, "\(denial)")
    }

    @Test("a package whose signer's key was retired or revoked since is not forwarded, and forward says which, not that a card is missing")
    func removedAndRevokedOrigin() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.startAll()
        let first = try net.send(Array("green one".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        let second = try net.send(Array("green two".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(first, from: "alpha", to: ["bravo"]) && net.waitDelivered(second, from: "alpha", to: ["bravo"]))
        let home = net.home("bravo")
        try net.expect(["peers", "remove", "alpha", "--home", home])
        // Forward shares onward only what a partner's current keys sign (docs/keys.md); the
        // signer is named as at its arrival (found in an operator's trial: "import its card").
        let retired = try net.cli.run(["forward", first, "--home", home, "--to", "charlie"])
        #expect(retired.status != 0 && retired.stderr.contains("sealed by alpha (removed) under a key retired since")
                    && !retired.stderr.contains("import its card"), "\(retired.stderr)")
        // alpha revokes its key; bravo, which removed it, takes the statement by hand.
        try net.expect(["keys", "revoke", "--reason", "test", "--yes", "--home", net.home("alpha")])
        try net.expect(["peers", "import-revocation", net.home("alpha") + "/keys/revocation.txt", "--home", home])
        let refused = try net.cli.run(["forward", second, "--home", home, "--to", "charlie"])
        #expect(refused.status != 0 && refused.stderr.contains("package.sender-revoked") && !refused.stderr.contains("import its card"),
                "\(refused.stderr)")
    }

    @Test("an unknown package, no recipients, an unknown peer and the origin are clear errors; nothing is queued")
    func errors() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let id = try net.send(Array("green".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        let home = net.home("bravo")

        let unknown = try net.cli.run(["forward", String(repeating: "0", count: 32), "--home", home, "--to", "alpha"])
        #expect(unknown.status == 66 && unknown.stderr.contains("[package.unknown]") && unknown.stderr.contains("liaison inbox list"),
                "\(unknown.stderr)")
        let malformed = try net.cli.run(["forward", "not-an-id", "--home", home, "--to", "alpha"])
        #expect(malformed.status == 64 && malformed.stderr.contains("32 hexadecimal characters"), "\(malformed.stderr)")
        let empty = try net.cli.run(["forward", id, "--home", home, "--to", " , "])
        #expect(empty.status == 64 && empty.stderr.contains("empty recipient set is an error"), "\(empty.stderr)")
        let unknownPeer = try net.cli.run(["forward", id, "--home", home, "--to", "zulu"])
        #expect(unknownPeer.status == 66 && unknownPeer.stderr.contains("[peer.unknown]"), "\(unknownPeer.stderr)")
        let backToOrigin = try net.cli.run(["forward", id, "--home", home, "--to", "alpha"])
        #expect(backToOrigin.status == 65 && backToOrigin.stderr.contains("already has it")
                    && backToOrigin.stderr.contains("forward-to-origin"), "\(backToOrigin.stderr)")

        // inbox get --from with a mistyped name says so, rather than that there is no such package.
        let typo = try net.cli.run(["inbox", "get", id, "--from", "alpah", "--home", home, "--out", net.dir.file("typo.out")])
        #expect(typo.status == 66 && typo.stderr.contains("no peer named alpah") && typo.stderr.contains("[peer.unknown]"), "\(typo.stderr)")

        // send to this node alone says so, rather than that nobody is allowed.
        let payload = net.dir.write("self.txt", Array("to myself".utf8))
        let toSelf = try net.cli.run(["send", payload, "--home", home, "--to", "bravo", "--tlp", "GREEN"])
        #expect(toSelf.status == 64 && toSelf.stderr.contains("bravo is this node itself") && toSelf.stderr.contains("package seal --to bravo"),
                "\(toSelf.stderr)")

        // The daemon itself refuses an empty recipient set, whatever the client checks.
        var request = ControlRequest(.forward)
        request.id = id
        request.to = []
        let client = try ControlClient(path: home + "/liaisond.sock")
        let failure = #expect(throws: ControlFailure.self) { try client.call(request, SendReceipt.self) }
        #expect(failure?.code == "package.invalid-recipients")

        #expect(try outboxIDs(net, at: "bravo").isEmpty)
        #expect(!(try net.auditEvents("bravo")).contains { $0.kind == .packageForwarded })
    }
}
