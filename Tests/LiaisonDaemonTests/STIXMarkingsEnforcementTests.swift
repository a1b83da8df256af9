import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite("STIX markings enforced by real daemons", .serialized)
struct STIXMarkingsEnforcementTests {
    static let stix = ["--content-type", "application/stix+json;version=2.1"]

    @Test("a bundle marked TLP:AMBER sent as GREEN goes out as AMBER; the limited peer is withheld; --strict-markings refuses and queues nothing")
    func raisedOrRefused() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], limited: [("alpha", "charlie")])
        try net.startAll()
        let bundle = Array(STIXBundles.amberTLP1.utf8)
        let input = net.dir.write("amber-bundle.json", bundle)

        // Raised: the stricter marking (the bundle's) wins.
        let result = try net.expect(["send", input, "--home", net.home("alpha"), "--to", "bravo,charlie", "--tlp", "GREEN", "--json"] + Self.stix)
        let receipt = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let id = try #require(receipt["id"] as? String)
        #expect((receipt["markings"] as? String)?.hasPrefix("TLP:AMBER") == true, "\(receipt)")
        #expect(receipt["recipients"] as? [String] == ["bravo"])
        let withheld = receipt["withheld"] as? [[String: Any]]
        #expect(withheld?.first?["peer"] as? String == "charlie")
        #expect(withheld?.first?["rule"] as? String == "limited-trust-clear-green-unclassified-only")
        let note = try #require(receipt["markingsNote"] as? String)
        #expect(note.contains("TLP raised from TLP:GREEN to TLP:AMBER") && note.contains(STIXBundles.tlp1Amber))
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        #expect(try net.deliveryStates(id, at: "alpha")["charlie"] == nil, "no delivery may exist for a withheld peer")
        let inbox = try net.expect(["inbox", "list", "--home", net.home("bravo"), "--json"]).stdout
        let received = try #require((try JSONSerialization.jsonObject(with: Data(inbox.utf8)) as? [[String: Any]])?.first { $0["id"] as? String == id })
        #expect(received["tlp"] as? String == "AMBER" && received["contentType"] as? String == "application/stix+json;version=2.1", "\(received)")
        #expect(try net.fetch(id, at: "bravo") == bundle, "the bundle arrives byte for byte")
        // For people, the reply says so too.
        let text = try net.expect(["send", input, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"] + Self.stix).stdout
        #expect(text.contains("markings: TLP:AMBER") && text.contains("note:     TLP raised from TLP:GREEN to TLP:AMBER"), "\(text)")

        // Refused: nothing sealed, nothing queued, the reason given.
        let queuedBefore = try outboxCount(net)
        let refused = try net.cli.run(["send", input, "--home", net.home("alpha"), "--to", "bravo,charlie", "--tlp", "GREEN", "--strict-markings"] + Self.stix)
        #expect(refused.status == 65, "\(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("[policy.marking-conflict]") && refused.stderr.contains("--tlp AMBER"), "\(refused.stderr)")
        #expect(try outboxCount(net) == queuedBefore, "a refused send queues nothing")
        // Small packages are kept in the database: no file at all, partial or whole, is left behind.
        let outboxFiles = try FileManager.default.contentsOfDirectory(atPath: net.home("alpha") + "/outbox")
        #expect(outboxFiles.isEmpty, "no package file is left behind: \(outboxFiles)")
        // With --tlp AMBER, --strict-markings has nothing to refuse.
        _ = try net.send(bundle, from: "alpha", to: ["bravo"], tlp: "AMBER", extra: ["--strict-markings"] + Self.stix)

        // The audit trail: the raise in package.sealed, the refusal as policy.denied.
        let events = try net.auditEvents("alpha")
        let sealed = try #require(events.first { $0.kind == .packageSealed && $0.package == id })
        #expect(sealed.details["tlp-raised-from"] == "GREEN" && sealed.details["stix-tlp"] == "AMBER")
        #expect(sealed.markings?.hasPrefix("TLP:AMBER") == true)
        let conflict = try #require(events.first { $0.kind == .policyDenied && ($0.reason ?? "").hasPrefix("policy.marking-conflict: ") })
        #expect(conflict.outcome == .denied && conflict.markings?.hasPrefix("TLP:GREEN") == true)
        #expect(events.contains { $0.kind == .policyDenied && $0.peerName == "charlie" }, "the withheld peer is audited as before")
        // Nothing of the payload in the daemon's log or the audit trail.
        let trail = try net.expect(["audit", "query", "--home", net.home("alpha"), "--all", "--limit", "10000", "--json"]).stdout
        for text in [net.daemon("alpha").log, trail] {
            #expect(!text.contains(STIXBundles.secret) && !text.contains("indicator--8e2e2d2b"))
        }
        #expect(net.daemon("alpha").log.contains("TLP raised from TLP:GREEN to TLP:AMBER"))
    }

    @Test("a payload labelled STIX that is not a bundle is refused; an unlabelled bundle is still read; other payloads stream unchecked")
    func notABundle() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let before = try outboxCount(net)
        let input = net.dir.write("broken.json", Array("{\"type\": \"bundle\", \"objects\": [".utf8))
        let refused = try net.cli.run(["send", input, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"] + Self.stix)
        #expect(refused.status == 64 && refused.stderr.contains("[package.invalid-markings]"), "\(refused.status): \(refused.stderr)")
        #expect(try outboxCount(net) == before)
        // The same bundle labelled as ordinary JSON, or not labelled at all, is still a
        // bundle: read, and its stricter marking wins.
        for label in [["--content-type", "application/json"], []] {
            let result = try net.expect(["send", net.dir.write("amber.json", Array(STIXBundles.amberTLP1.utf8)), "--home", net.home("alpha"),
                                         "--to", "bravo", "--tlp", "GREEN", "--json"] + label).stdout
            #expect(result.contains("\"markings\":\"TLP:AMBER") && result.contains("TLP raised from TLP:GREEN to TLP:AMBER"), "\(label): \(result)")
            let strict = try net.cli.run(["send", net.dir.write("amber.json", Array(STIXBundles.amberTLP1.utf8)), "--home", net.home("alpha"),
                                          "--to", "bravo", "--tlp", "GREEN", "--strict-markings"] + label)
            #expect(strict.status == 65 && strict.stderr.contains("[policy.marking-conflict]"), "\(label): \(strict.stderr)")
        }
        // JSON that is not a bundle, broken JSON and binary data are not STIX: sealed as given,
        // byte for byte (the read-ahead of a JSON-looking payload is not lost).
        let payloads: [[UInt8]] = [Array(#"{"hello": "world", "type": "report"}"#.utf8),
                                   Array("{\"type\": \"bundle\", \"objects\": [".utf8),
                                   (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }]
        for payload in payloads {
            let sent = try net.expect(["send", net.dir.write("payload.bin", payload), "--home", net.home("alpha"), "--to", "bravo",
                                       "--tlp", "GREEN", "--json"]).stdout
            #expect(sent.contains("\"markings\":\"TLP:GREEN") && !sent.contains("markingsNote"), "\(sent)")
            let id = try #require((try JSONSerialization.jsonObject(with: Data(sent.utf8)) as? [String: Any])?["id"] as? String)
            #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
            #expect(try net.fetch(id, at: "bravo") == payload)
        }
    }

    @Test("a STIX payload over 64 MiB is refused with the reason, after the daemon reads it to the end")
    func oversized() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        var big = [UInt8](repeating: 0x20, count: STIXMarkings.maximumPayloadBytes + 4096)
        big.replaceSubrange(0..<18, with: Array(#"{"type": "bundle"}"#.utf8))
        let input = net.dir.write("big.json", big)
        let refused = try net.cli.run(["send", input, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"] + Self.stix)
        #expect(refused.status == 64 && refused.stderr.contains("64 MiB") && refused.stderr.contains("[argument.invalid]"), "\(refused.stderr)")
        #expect(try outboxCount(net) == 0)
    }

    private func outboxCount(_ net: DaemonNetwork) throws -> Int {
        let listing = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        return try (JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [Any])?.count ?? 0
    }
}
