import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Peer lifecycle on real daemons: trust changes and revocation", .serialized)
struct PeerLifecycleTests {
    @Test("the policy table says how far a level goes: a limited peer cleared higher gets CLEAR and GREEN up to UNCLASSIFIED; a maximum TLP its trust does not let through is said")
    func policyTableUpTo() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        let set = try net.expect(["peers", "set", "bravo", "--clearance", "RESTRICTED", "--home", net.home("alpha")]).stdout
        #expect(set.contains("bravo updated:") && set.contains("clearance: UNCLASSIFIED → RESTRICTED") && !set.contains("maximum TLP:"), "\(set)")
        let shown = try net.expect(["peers", "set-trust", "bravo", "limited", "--home", net.home("alpha"), "--json"]).stdout
        let rows = (try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])?["policy"] as? [[String: Any]] ?? []
        let green = try #require(rows.first { $0["tlp"] as? String == "GREEN" })
        #expect(green["send"] as? String == "allowed" && green["sendUpTo"] as? String == "UNCLASSIFIED", "\(green)")
        let amber = try #require(rows.first { $0["tlp"] as? String == "AMBER" })
        #expect(amber["send"] as? String == "denied" && amber["sendUpTo"] == nil && amber["sendRule"] as? String == "limited-trust-clear-green-unclassified-only")
        let text = try net.expect(["peers", "show", "bravo", "--home", net.home("alpha")]).stdout
        #expect(text.contains("classifications up to RESTRICTED") && text.contains("up to UNCLASSIFIED"), "\(text)")
        // What the table promises is what a send does: GREEN unclassified goes to bravo.
        let payload = net.dir.write("green.txt", Array("green".utf8))
        let greenSent = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"])
        #expect(greenSent.status == 0)
        // The hints printed name the home the command was given: run as shown, they act on this node.
        #expect(greenSent.stdout.contains("`liaison outbox list --home \(net.home("alpha"))`"), "\(greenSent.stdout)")

        let raised = try net.expect(["peers", "set", "charlie", "--max-tlp", "RED", "--home", net.home("alpha")])
        #expect(raised.stderr.contains("note: --max-tlp RED is above what a partner peer is sent (TLP:RED goes only to trusted peers): charlie gets at most TLP:AMBER+STRICT"),
                "\(raised.stderr)")
        #expect(raised.stderr.contains("`liaison peers set-trust charlie LEVEL --home \(net.home("alpha"))`"), "\(raised.stderr)")
        let charlie = try net.expect(["peers", "show", "charlie", "--home", net.home("alpha")]).stdout
        let cleared = charlie.split(separator: "\n").first { $0.contains("cleared for:") } ?? ""
        #expect(cleared.contains("TLP up to RED (its trust level lets AMBER+STRICT at most through)"), "\(charlie)")
        // The listing shows what can reach each peer, not a maximum its trust caps.
        let listed = try net.expect(["peers", "list", "--home", net.home("alpha")]).stdout.split(separator: "\n")
        #expect(listed.contains { $0.hasPrefix("charlie") && $0.contains("TLP:AMBER+STRICT · UNCLASSIFIED") }, "\(listed)")
        #expect(listed.contains { $0.hasPrefix("bravo") && $0.contains("TLP:GREEN · UNCLASSIFIED") }, "\(listed)")
        let listedJSON = try JSONSerialization.jsonObject(with: Data(try net.expect(["peers", "list", "--home", net.home("alpha"), "--json"]).stdout.utf8)) as? [[String: Any]] ?? []
        let charlieRow = try #require(listedJSON.first { $0["name"] as? String == "charlie" })
        #expect(charlieRow["maximumTLP"] as? String == "RED" && charlieRow["effectiveMaximumTLP"] as? String == "AMBER+STRICT", "\(charlieRow)")
        let bravoRow = try #require(listedJSON.first { $0["name"] as? String == "bravo" })
        #expect(bravoRow["clearance"] as? String == "RESTRICTED" && bravoRow["effectiveClearance"] as? String == "UNCLASSIFIED", "\(bravoRow)")
    }

    @Test("lowering a peer's trust says how many of the packages queued for it may no longer go")
    func downgradeNamesQueued() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()   // bravo stays down: what is sent to it waits
        let amber = try net.send(Array("amber".utf8), from: "alpha", to: ["bravo"], tlp: "AMBER")
        _ = try net.send(Array("green".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        let lowered = try net.expect(["peers", "set-trust", "bravo", "limited", "--home", net.home("alpha"), "--json"])
        #expect(lowered.stderr.contains("note: 1 package(s) queued for bravo may no longer go to it"), "\(lowered.stderr)")
        let detail = try JSONSerialization.jsonObject(with: Data(lowered.stdout.utf8)) as? [String: Any]
        #expect(detail?["queuedNowRefused"] as? Int == 1)
        #expect(try net.deliveryStates(amber, at: "alpha") == ["bravo": "queued"], "decided again when it would leave, as ever")
        let raised = try net.expect(["peers", "set-trust", "bravo", "partner", "--home", net.home("alpha")])
        #expect(!raised.stderr.contains("note:"), "\(raised.stderr)")
    }

    @Test("set-trust applies to the next send at once, shows in peers show, and is audited")
    func setTrust() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        let shown = try net.expect(["peers", "set-trust", "bravo", "limited", "--home", net.home("alpha"), "--json"])
        let detail = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any] ?? [:]
        let rows = detail["policy"] as? [[String: Any]] ?? []
        let amber = try #require(rows.first { $0["tlp"] as? String == "AMBER" })
        #expect(amber["send"] as? String == "denied" && amber["sendRule"] as? String == "limited-trust-clear-green-unclassified-only")
        #expect(rows.first { $0["tlp"] as? String == "GREEN" }?["send"] as? String == "allowed")
        let text = try net.expect(["peers", "show", "bravo", "--home", net.home("alpha")]).stdout
        #expect(text.contains("trust: limited") && text.contains("effective policy"))

        let payload = net.dir.write("amber.txt", Array("amber report".utf8))
        let sent = try net.expect(["send", payload, "--home", net.home("alpha"), "--to", "bravo,charlie", "--tlp", "AMBER", "--json"])
        #expect(sent.stdout.contains("limited-trust-clear-green-unclassified-only"), "bravo was not withheld: \(sent.stdout)")
        // --all-or-nothing: bravo withheld means charlie gets nothing either, and it is said why.
        let queuedBefore = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        let strict = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo,charlie", "--tlp", "AMBER", "--all-or-nothing"])
        #expect(strict.status == 65 && strict.stderr.contains("nothing was queued (--all-or-nothing): bravo may not receive"), "\(strict.stderr)")
        #expect(try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout == queuedBefore)
        let refusedCommand = try #require(try net.auditEvents("alpha").last { $0.kind == .controlCommand && $0.details["command"] == "send" })
        #expect(refusedCommand.outcome == .failed && refusedCommand.details["all-or-nothing"] == "true", "\(refusedCommand)")
        let events = try net.auditEvents("alpha")
        let change = try #require(events.first { $0.kind == .trustChanged })
        #expect(change.peerName == "bravo" && change.details["from"] == "partner" && change.details["to"] == "limited")
        // The denial names the package bravo was withheld from, so a query about it finds it.
        let sentID = try #require((try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [String: Any])?["id"] as? String)
        #expect(events.contains { $0.kind == .policyDenied && $0.peerName == "bravo" && $0.package == sentID }, "\(events.filter { $0.kind == .policyDenied })")
        #expect(try net.auditEvents("alpha", ["--package", sentID, "--event", "policy.denied"]).count == 1)
        // A send refused for every recipient still records each denial (no package was made).
        let refused = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "AMBER"])
        #expect(refused.status == 65 && refused.stderr.contains("policy.denied"))
        let denials = try net.auditEvents("alpha").filter { $0.kind == .policyDenied && $0.peerName == "bravo" }
        #expect(denials.count == 3 && denials.last?.package == nil, "the first send's, --all-or-nothing's, and this one's")
        #expect(try net.cli.run(["peers", "set-trust", "nobody", "trusted", "--home", net.home("alpha")]).status == 66)
        // The maximum TLP followed the trust down (AMBER+STRICT → GREEN) and is recorded.
        #expect(detail["maximumTLP"] as? String == "GREEN" && change.details["max-tlp"] == "AMBER+STRICT → GREEN", "\(change.details)")
    }

    @Test("set-trust moves a maximum TLP left at its level's default to the new level's, and keeps one set by hand")
    func setTrustMovesDefaultMaximum() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        func maximum(_ name: String) throws -> String? {
            let shown = try net.expect(["peers", "show", name, "--home", net.home("alpha"), "--json"]).stdout
            return (try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])?["maximumTLP"] as? String
        }
        try net.expect(["peers", "set-trust", "bravo", "trusted", "--home", net.home("alpha")])
        #expect(try maximum("bravo") == "RED")
        let payload = net.dir.write("red.txt", Array("red report".utf8))
        let sent = try net.expect(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "RED", "--json"])
        #expect(!sent.stdout.contains("denied"), "\(sent.stdout)")
        try net.expect(["peers", "set-trust", "bravo", "limited", "--home", net.home("alpha")])
        #expect(try maximum("bravo") == "GREEN", "a downgrade left the trusted level's RED behind")

        // Set by hand: it stays whatever the trust.
        try net.expect(["peers", "set", "charlie", "--max-tlp", "GREEN", "--home", net.home("alpha")])
        try net.expect(["peers", "set-trust", "charlie", "trusted", "--home", net.home("alpha")])
        #expect(try maximum("charlie") == "GREEN")
        let change = try #require(try net.auditEvents("alpha").last { $0.kind == .trustChanged && $0.peerName == "charlie" })
        #expect(change.details["max-tlp"] == nil)

        // Chosen equal to a level's default, it stays too: a round trip through that level
        // does not lift it (found in an operator's trial: GREEN chosen for a partner, then
        // limited and back to partner, came back AMBER+STRICT).
        try net.expect(["peers", "set-trust", "charlie", "partner", "--home", net.home("alpha")])
        try net.expect(["peers", "set-trust", "charlie", "limited", "--home", net.home("alpha")])
        let back = try net.expect(["peers", "set-trust", "charlie", "partner", "--home", net.home("alpha")])
        #expect(try maximum("charlie") == "GREEN", "a chosen maximum was lifted by a trust round trip")
        #expect(back.stdout.contains("maximum TLP GREEN, as chosen"), "\(back.stdout)")
        // Kept across a restart: the keyring records that it was chosen.
        #expect(try String(contentsOfFile: net.home("alpha") + "/keyring.toml", encoding: .utf8).contains("max-tlp-chosen = true"))
        _ = net.daemon("alpha").stop()
        try net.daemon("alpha").start()
        try net.expect(["peers", "set-trust", "charlie", "trusted", "--home", net.home("alpha")])
        #expect(try maximum("charlie") == "GREEN")
        // bravo's, never chosen, still follows; show says which is which.
        try net.expect(["peers", "set-trust", "bravo", "partner", "--home", net.home("alpha")])
        #expect(try maximum("bravo") == "AMBER+STRICT")
        let shown = try net.expect(["peers", "show", "bravo", "--home", net.home("alpha")]).stdout
        #expect(shown.contains("its trust level's default"), "\(shown)")
        // Choosing the value a maximum already has (a default) is a choice too (found in review:
        // nothing was saved, and the next set-trust raised it).
        try net.expect(["peers", "set-trust", "bravo", "limited", "--home", net.home("alpha")])
        let chose = try net.expect(["peers", "set", "bravo", "--max-tlp", "GREEN", "--home", net.home("alpha")])
        #expect(chose.stdout.contains("GREEN (trust default) → GREEN"), "\(chose.stdout)")
        try net.expect(["peers", "set-trust", "bravo", "partner", "--home", net.home("alpha")])
        #expect(try maximum("bravo") == "GREEN", "a maximum chosen equal to its default was lifted")
    }

    @Test("status shows each partner's card validity, and says so when a card has expired (it is still trusted: docs/keys.md)")
    func cardValidityShown() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        // charlie's card as alpha holds it ran out a year ago.
        let keyring = net.home("alpha") + "/keyring.toml"
        var lines = try String(contentsOfFile: keyring, encoding: .utf8).components(separatedBy: "\n")
        let charlie = try #require(lines.firstIndex(of: "name = \"charlie\""))
        let validity = try #require(lines[charlie...].firstIndex { $0.hasPrefix("valid-until = ") })
        lines[validity] = "valid-until = \"2025-11-27T00:00:00Z\""
        try lines.joined(separator: "\n").write(toFile: keyring, atomically: true, encoding: .utf8)
        try net.daemon("alpha").start()
        let status = try net.expect(["status", "--home", net.home("alpha")]).stdout
        let sections = status.components(separatedBy: "\npeer: ")
        let bravo = try #require(sections.first { $0.hasPrefix("bravo") })
        let expired = try #require(sections.first { $0.hasPrefix("charlie") })
        #expect(bravo.contains("card valid until: ") && !bravo.contains("EXPIRED"), "\(bravo)")
        #expect(expired.contains("card valid until: 2025-11-27T00:00:00Z (EXPIRED: still trusted; ask charlie to rotate its keys"), "\(expired)")
        let json = try net.expect(["status", "--home", net.home("alpha"), "--json"]).stdout
        #expect(json.contains(#""cardValidUntil":"2025-11-27T00:00:00Z""#), "\(json)")
        // The node's own health: not revoked, its audit log's size and newest checkpoint.
        #expect(!status.contains("REVOKED") && json.contains(#""revoked":false"#), "\(json)")
        #expect(status.contains("  up since: ") && status.contains(" ago)"), "\(status)")
        let audit = try #require(status.components(separatedBy: "\n").first { $0.hasPrefix("  audit log: ") })
        #expect(audit.contains(" entries; "), "\(audit)")
    }

    @Test("peers set edits only the attributes given, applies them to the next send, is audited as peer.changed, and refuses bad input")
    func setAttributes() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        let home = net.home("alpha")
        // bravo is a partner: AMBER+STRICT at most, so AMBER goes to it.
        let payload = net.dir.write("amber.txt", Array("amber note".utf8))
        #expect(try net.cli.run(["send", payload, "--home", home, "--to", "bravo", "--tlp", "AMBER"]).status == 0)

        let shown = try net.expect(["peers", "set", "bravo", "--max-tlp", "GREEN", "--communities", "NATO,EU", "--bytes-per-day", "5000",
                                    "--home", home, "--json"]).stdout
        let detail = try #require(try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any])
        #expect(detail["maximumTLP"] as? String == "GREEN" && detail["communities"] as? [String] == ["EU", "NATO"] && detail["bytesPerDay"] as? Int == 5000,
                "\(detail)")
        #expect(detail["changes"] as? [String] == ["maximum TLP: AMBER+STRICT (trust default) → GREEN", "communities: (none) → EU, NATO", "bytes per day: none → 4.9 KiB"],
                "\(String(describing: detail["changes"]))")
        let status = try #require(detail["status"] as? [String: Any])
        #expect(status["trust"] as? String == "partner", "the trust level is not touched")
        #expect(try net.cli.run(["send", payload, "--home", home, "--to", "bravo", "--tlp", "AMBER"]).status == 65, "AMBER is now withheld from bravo")

        // Only what is given changes; --clear-limits removes the limits.
        let cleared = try net.expect(["peers", "set", "bravo", "--clear-limits", "--home", home, "--json"]).stdout
        let after = try #require(try JSONSerialization.jsonObject(with: Data(cleared.utf8)) as? [String: Any])
        #expect(after["bytesPerDay"] == nil && after["maximumTLP"] as? String == "GREEN" && after["communities"] as? [String] == ["EU", "NATO"])

        let changes = try net.auditEvents("alpha").filter { $0.kind == .peerChanged }
        #expect(changes.count == 2)
        #expect(changes.first?.peerName == "bravo" && changes.first?.details["max-tlp"] == "AMBER+STRICT (trust default) → GREEN"
                && changes.first?.details["bytes-per-day"] == "none → 5000" && changes.first?.details["communities"] == " → EU,NATO")
        #expect(changes.last?.details == ["bytes-per-day": "5000 → none"])
        // Nothing to change records nothing; bad input changes nothing.
        _ = try net.expect(["peers", "set", "bravo", "--max-tlp", "GREEN", "--home", home])
        #expect(try net.auditEvents("alpha").filter { $0.kind == .peerChanged }.count == 2)
        #expect(try net.cli.run(["peers", "set", "bravo", "--clearance", "COSMIC", "--home", home]).status != 0)
        #expect(try net.cli.run(["peers", "set", "bravo", "--home", home]).status != 0)
        #expect(try net.cli.run(["peers", "set", "nobody", "--max-tlp", "RED", "--home", home]).status == 66)
    }

    @Test("a package queued before a trust downgrade is not delivered after it")
    func downgradeStopsQueued() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()   // bravo stays offline: the package waits in the queue
        let id = try net.send(Array("amber, queued".utf8), from: "alpha", to: ["bravo"], tlp: "AMBER")
        try net.expect(["peers", "set-trust", "bravo", "limited", "--home", net.home("alpha")])
        try net.daemon("bravo").start()
        #expect(try eventually(timeoutSeconds: 20) { try net.deliveryStates(id, at: "alpha")["bravo"] == "failed" },
                "the queued AMBER package was not stopped")
        #expect(try net.inbox("bravo").isEmpty)
        #expect(try net.auditEvents("alpha").contains {
            $0.kind == .policyDenied && $0.package == id && $0.reason?.hasPrefix("limited-trust") == true
        })
    }

    @Test("after peers remove, the inbox marks the removed sender's packages, and audit query --peer still finds its entries")
    func removedSenderStillNamed() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let id = try net.send(Array("from bravo".utf8), from: "bravo", to: ["alpha"])
        #expect(try net.waitDelivered(id, from: "bravo", to: ["alpha"]))
        let before = try net.auditEvents("alpha", ["--peer", "bravo"]).count
        #expect(before > 0)
        try net.expect(["peers", "remove", "bravo", "--home", net.home("alpha")])
        let listed = try net.expect(["inbox", "list", "--home", net.home("alpha")]).stdout
        #expect(listed.contains("bravo (removed)"), "\(listed)")
        let json = try net.expect(["inbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        #expect(json.contains("\"senderRemoved\":true"), "\(json)")
        // Found in an operator's trial: the query refused the name of a peer removed.
        let after = try net.auditEvents("alpha", ["--peer", "bravo"])
        #expect(after.count > before && after.contains { $0.kind == .peerRemoved }, "\(after.map(\.kind))")
        #expect(try net.cli.run(["audit", "query", "--peer", "nobody", "--home", net.home("alpha")]).status == 66)
    }

    @Test("send through --socket to another node's daemon than --home names says which node sent it")
    func socketOfAnotherNode() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let payload = net.dir.write("p.txt", Array("which node?".utf8))
        // Found in an operator's trial: this sent the package as bravo, and said nothing.
        let crossed = try net.expect(["send", payload, "--home", net.home("alpha"), "--socket", net.home("bravo") + "/liaisond.sock",
                                      "--to", "alpha", "--tlp", "GREEN", "--json"])
        #expect(crossed.stderr.contains("warning: the daemon at") && crossed.stderr.contains("is node bravo, not alpha"), "\(crossed.stderr)")
        #expect(crossed.stdout.contains("\"node\":\"bravo\""), "\(crossed.stdout)")
        let own = try net.expect(["send", payload, "--home", net.home("alpha"), "--socket", net.home("alpha") + "/liaisond.sock",
                                  "--to", "bravo", "--tlp", "GREEN"])
        #expect(!own.stderr.contains("warning"), "\(own.stderr)")
    }

    @Test("peers add through the daemon keeps the inbound limits and organisation it was given")
    func addWithLimits() throws {
        let net = try DaemonNetwork(["alpha", "charlie"])
        try net.daemon("alpha").start()
        try net.expect(["peers", "remove", "charlie", "--home", net.home("alpha")])
        try net.expect(["peers", "add", net.dir.file("charlie.card"), "--name", "charlie", "--address", "127.0.0.1:9",
                        "--trust", "partner", "--packages-per-minute", "5", "--max-package-bytes", "65536",
                        "--organisation", "Coalition CERT", "--home", net.home("alpha")])
        let shown = try net.expect(["peers", "show", "charlie", "--home", net.home("alpha"), "--json"]).stdout
        let detail = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any] ?? [:]
        #expect(detail["packagesPerMinute"] as? Int == 5 && detail["maximumPackageBytes"] as? Int == 65536, "\(shown)")
        let added = try #require(try net.auditEvents("alpha").last { $0.kind == .peerAdded })
        #expect(added.details["organisation"] == "Coalition CERT" && added.details["packages-per-minute"] == "5")
        #expect(added.details["max-package-bytes"] == "65536" && added.details["bytes-per-day"] == nil, "\(added.details)")
        let keyring = try String(contentsOfFile: net.home("alpha") + "/keyring.toml", encoding: .utf8)
        #expect(keyring.contains("packages-per-minute = 5"))
    }

    @Test("peers import on a running daemon hands the card to it: the partner is known at once; peers set --address moves it")
    func importWhileRunning() throws {
        let net = try DaemonNetwork(["alpha", "charlie"])
        try net.startAll()
        let home = net.home("alpha")
        try net.expect(["peers", "remove", "charlie", "--home", home])
        let imported = try net.expect(["peers", "import", net.dir.file("charlie.card"), "--name", "charlie", "--trust", "partner",
                                       "--home", home])
        #expect(imported.stdout.contains("to the running daemon"), "\(imported.stdout)")
        // Somewhere charlie does not listen: nothing arrives until the address is put right.
        try net.expect(["peers", "set", "charlie", "--address", "127.0.0.1:9", "--home", home])
        let shown = try net.expect(["peers", "show", "charlie", "--home", home, "--json"]).stdout
        #expect(shown.contains("127.0.0.1:9\""), "\(shown)")
        let changed = try #require(try net.auditEvents("alpha").last { $0.kind == .peerChanged })
        #expect(changed.details["addresses"]?.hasSuffix("→ 127.0.0.1:9") == true, "\(changed.details)")
        #expect(try net.cli.run(["peers", "set", "charlie", "--address", "nowhere", "--home", home]).status == 64)

        try net.expect(["peers", "set", "charlie", "--address", "127.0.0.1:\(try #require(net.ports["charlie"]))", "--home", home])
        let id = try net.send(Array("for charlie".utf8), from: "alpha", to: ["charlie"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["charlie"]), "the imported partner was not delivered to without a restart")
    }

    @Test("packages queued for a removed peer are failed at once: another node imported under its name never gets them",
          .timeLimit(.minutes(2)))
    func removedPeersQueueFails() throws {
        // A long backoff: the package waits, not due, while the name changes hands.
        let net = try DaemonNetwork(["alpha", "charlie", "mallory"], tunables: "retry-initial-seconds = 60\nretry-maximum-seconds = 120\n")
        try net.daemon("alpha").start()
        try net.daemon("mallory").start()
        let home = net.home("alpha")
        // charlie is offline: its first attempt fails and the package waits in backoff.
        let id = try net.send(Array("for charlie only".utf8), from: "alpha", to: ["charlie"])
        #expect(try eventually(timeoutSeconds: 10) {
            try net.cli.run(["outbox", "list", "--home", home, "--json"]).stdout.contains("\"attempts\":1")
        })
        try net.expect(["peers", "remove", "charlie", "--home", home])
        #expect(try net.deliveryStates(id, at: "alpha")["charlie"] == "failed", "the removed peer's delivery is still open")
        let denied = try net.auditEvents("alpha").filter { $0.kind == .policyDenied && $0.package == id }
        #expect(denied.count == 1 && denied.first?.reason?.hasPrefix("peer.removed") == true, "\(denied)")

        // mallory, a partner in its own right, is taken under charlie's old name.
        try net.expect(["peers", "remove", "mallory", "--home", home])
        try net.expect(["peers", "add", net.dir.file("mallory.card"), "--name", "charlie", "--trust", "partner", "--home", home])
        let probe = try net.send(Array("for the new charlie".utf8), from: "alpha", to: ["charlie"])
        #expect(try net.waitDelivered(probe, from: "alpha", to: ["charlie"]))
        #expect(try !net.inbox("mallory").contains(id), "the old charlie's package reached the node now named charlie")
        #expect(try net.deliveryStates(id, at: "alpha")["charlie"] == "failed")
    }

    @Test("a trust change recorded but not made (the keyring cannot be written) is recorded as failed too")
    func failedChangeRecorded() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        let keyring = net.home("alpha") + "/keyring.toml"
        try FileManager.default.moveItem(atPath: keyring, toPath: keyring + ".away")
        try FileManager.default.createDirectory(atPath: keyring, withIntermediateDirectories: false)
        let refused = try net.cli.run(["peers", "set-trust", "bravo", "blocked", "--home", net.home("alpha")])
        #expect(refused.status != 0, "\(refused.stdout)")
        let changes = try net.auditEvents("alpha").filter { $0.kind == .trustChanged && $0.peerName == "bravo" }
        #expect(changes.map(\.outcome) == [.ok, .failed], "\(changes)")
        #expect(changes.last?.reason?.isEmpty == false)
    }

    /// alpha, bravo, charlie and mallory, with a long retry backoff; alpha has queued a
    /// package for charlie (offline, its first attempt failed) and is stopped. bravo
    /// stays in alpha's keyring throughout: an empty one is taken for a lost file.
    static func queuedForOfflineCharlie() throws -> (DaemonNetwork, id: String) {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie", "mallory"], tunables: "retry-initial-seconds = 60\nretry-maximum-seconds = 120\n")
        try net.daemon("alpha").start()
        let id = try net.send(Array("for charlie only".utf8), from: "alpha", to: ["charlie"])
        #expect(try eventually(timeoutSeconds: 10) {
            try net.cli.run(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout.contains("\"attempts\":1")
        })
        _ = net.daemon("alpha").stop()
        return (net, id)
    }

    /// Rewrites alpha's keyring by hand, as an operator's editor would: charlie and
    /// mallory removed, then `change` applied.
    static func editKeyring(of net: DaemonNetwork, _ change: (inout Keyring) throws -> Void) throws {
        let nodeHome = NodeHome(path: net.home("alpha"))
        let configuration = try nodeHome.loadConfiguration()
        var keyring = try nodeHome.loadKeyring(configuration)
        try keyring.remove(named: "charlie")
        try keyring.remove(named: "mallory")
        try change(&keyring)
        try nodeHome.saveKeyring(keyring, configuration: configuration)
    }

    @Test("packages queued for a name no longer in the keyring (a crash mid-removal) are failed at start; an offline import under it is refused until then",
          .timeLimit(.minutes(2)))
    func staleQueueUnderAName() throws {
        let (net, id) = try Self.queuedForOfflineCharlie()
        let home = net.home("alpha")
        // charlie leaves the keyring, its queue not failed (a crash in between), and mallory leaves too.
        try Self.editKeyring(of: net) { _ in }
        let refused = try net.cli.run(["peers", "import", net.dir.file("mallory.card"), "--name", "charlie", "--trust", "partner", "--home", home])
        #expect(refused.status == 64 && refused.stderr.contains("1 package(s) are still queued for an earlier peer named charlie"), "\(refused.stderr)")

        try net.daemon("alpha").start()
        #expect(try net.deliveryStates(id, at: "alpha")["charlie"] == "failed")
        #expect(net.daemon("alpha").log.contains("failed 1 deliveries queued for charlie, which is no longer a peer"))
        _ = net.daemon("alpha").stop()
        try net.expect(["peers", "import", net.dir.file("mallory.card"), "--name", "charlie", "--trust", "partner", "--home", home])
        try net.daemon("alpha").start()
        try net.daemon("mallory").start()
        let probe = try net.send(Array("for the new charlie".utf8), from: "alpha", to: ["charlie"])
        #expect(try net.waitDelivered(probe, from: "alpha", to: ["charlie"]))
        #expect(try !net.inbox("mallory").contains(id))
    }

    @Test("a delivery is for the node its name stood for: another node put under the name by hand never gets it",
          .timeLimit(.minutes(2)))
    func deliveryBoundToNode() throws {
        let (net, id) = try Self.queuedForOfflineCharlie()
        // The keyring edited by hand: mallory's card now stands under the name charlie.
        let card = try NodeCard(parsing: try String(contentsOfFile: net.dir.file("mallory.card"), encoding: .utf8), now: Timestamp.now())
        try Self.editKeyring(of: net) { try $0.add(PeerRecord(name: "charlie", card: card, trust: .partner, added: Timestamp.now())) }
        // Due at once: the old package would go out now if it were taken for the new holder.
        try net.setTunable("alpha", "retry-initial-seconds", "1")
        try net.setTunable("alpha", "retry-maximum-seconds", "1")
        try net.daemon("mallory").start()
        try net.daemon("alpha").start()
        let probe = try net.send(Array("for the node now named charlie".utf8), from: "alpha", to: ["charlie"])
        #expect(try net.waitDelivered(probe, from: "alpha", to: ["charlie"]))
        #expect(try eventually(timeoutSeconds: 10) { try net.deliveryStates(id, at: "alpha")["charlie"] == "failed" })
        #expect(try !net.inbox("mallory").contains(id), "a package queued for charlie reached the node now under its name")
        let denied = try net.auditEvents("alpha").filter { $0.kind == .policyDenied && $0.package == id }
        #expect(denied.contains { $0.reason?.contains("not the node that holds the name now") == true }, "\(denied)")
    }

    @Test("peers remove refuses a peer pinned in liaison.toml with argument.invalid, records no removal, and the peer stays")
    func removePinnedRefused() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        // Pin bravo in alpha's liaison.toml instead of its keyring.toml.
        let home = NodeHome(path: net.home("alpha"))
        var configuration = try home.loadConfiguration()
        let keyring = try home.loadKeyring(configuration)
        configuration.pinnedPeers = [try #require(keyring.peer(named: "bravo"))]
        try configuration.rendered.write(toFile: home.configurationPath, atomically: true, encoding: .utf8)
        try home.saveKeyring(keyring, configuration: configuration)
        try net.daemon("alpha").start()

        let removed = try net.cli.run(["peers", "remove", "bravo", "--home", home.path])
        #expect(removed.status == 64 && removed.stderr.contains("bravo is pinned in liaison.toml"), "\(removed.status): \(removed.stderr)")
        #expect(try !net.auditEvents("alpha").contains { $0.kind == .peerRemoved })
        // Still there, also after the keyring is rewritten by another change.
        try net.expect(["peers", "set-trust", "charlie", "limited", "--home", home.path])
        let listed = try net.expect(["peers", "list", "--home", home.path, "--json"]).stdout
        #expect(listed.contains(#""name":"bravo""#), "\(listed)")
    }

    @Test("peers add records an ok peer.added only for a peer it adds: a name or key already present, or a bad name, records none")
    func addRefusedBeforeAudit() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        let home = net.home("alpha")
        try net.expect(["peers", "remove", "charlie", "--home", home])
        let addedOK = { try net.auditEvents("alpha").filter { $0.kind == .peerAdded && $0.outcome == .ok }.count }
        let before = try addedOK()

        let taken = try net.cli.run(["peers", "add", net.dir.file("charlie.card"), "--name", "bravo", "--trust", "partner", "--home", home])
        #expect(taken.status == 64 && taken.stderr.contains("a peer named \"bravo\" already exists"), "\(taken.stderr)")
        let sameKey = try net.cli.run(["peers", "add", net.dir.file("bravo.card"), "--name", "bravo2", "--trust", "partner", "--home", home])
        #expect(sameKey.status == 64 && sameKey.stderr.contains("already in the keyring as \"bravo\""), "\(sameKey.stderr)")
        // The CLI checks names itself; the daemon refuses a bad one from any client.
        var request = ControlRequest(.peersAdd)
        request.name = "Charlie"
        request.card = try String(contentsOfFile: net.dir.file("charlie.card"), encoding: .utf8)
        request.trust = "partner"
        let badName = #expect(throws: ControlFailure.self) {
            try ControlClient(path: ControlFraming.socketPath(home: home)).call(request, PeerStatus.self)
        }
        #expect(badName?.code == "argument.invalid" && badName?.message.contains("is not a valid name") == true)
        #expect(try addedOK() == before, "a refused add was recorded as done")

        try net.expect(["peers", "add", net.dir.file("charlie.card"), "--name", "charlie", "--trust", "partner", "--home", home])
        #expect(try addedOK() == before + 1)
        #expect(try !net.auditEvents("alpha").contains { $0.kind == .peerAdded && $0.outcome != .ok })
    }

    @Test("peers revoke fails what is queued for the peer at once, with the reason, not at its next attempt", .timeLimit(.minutes(2)))
    func revokeFailsQueue() throws {
        // A long backoff: without the revocation the package would wait a minute.
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "retry-initial-seconds = 60\nretry-maximum-seconds = 120\n")
        try net.daemon("alpha").start()
        let id = try net.send(Array("for bravo, offline".utf8), from: "alpha", to: ["bravo"])
        #expect(try eventually(timeoutSeconds: 10) {
            try net.cli.run(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout.contains("\"attempts\":1")
        })
        // Irreversible: without a terminal to confirm on, it needs --yes, and nothing changes.
        let unconfirmed = try net.cli.run(["peers", "revoke", "bravo", "--home", net.home("alpha")])
        #expect(unconfirmed.status == 64 && unconfirmed.stderr.contains("--yes"), "\(unconfirmed.stderr)")
        #expect(try net.deliveryStates(id, at: "alpha")["bravo"] == "queued")
        #expect(try !net.auditEvents("alpha").contains { $0.kind == .keyRevoked })
        try net.expect(["peers", "revoke", "bravo", "--yes", "--home", net.home("alpha")])
        #expect(try net.deliveryStates(id, at: "alpha")["bravo"] == "failed")
        let denied = try net.auditEvents("alpha").filter { $0.kind == .policyDenied && $0.package == id }
        #expect(denied.count == 1 && denied.first?.reason?.hasPrefix("peer.revoked") == true, "\(denied)")

        // The revoked key is never taken again: not through the daemon, not offline.
        try net.expect(["peers", "remove", "bravo", "--home", net.home("alpha")])
        let again = ["peers", "import", net.dir.file("bravo.card"), "--name", "bravo", "--trust", "partner", "--home", net.home("alpha")]
        let refused = try net.cli.run(again)
        #expect(refused.status == 65 && refused.stderr.contains("revoked") && refused.stderr.contains("new keys"), "\(refused.stderr)")
        _ = net.daemon("alpha").stop()
        let refusedOffline = try net.cli.run(again)
        #expect(refusedOffline.status == 65 && refusedOffline.stderr.contains("revoked"), "\(refusedOffline.stderr)")
        #expect(try !String(contentsOfFile: net.home("alpha") + "/keyring.toml", encoding: .utf8).contains("bravo"))
    }

    @Test("peers show works with the daemon stopped: the same report, read from the keyring and store", .timeLimit(.minutes(2)))
    func showOffline() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        // A node whose daemon never ran has no store; showing a peer makes none.
        let never = try net.expect(["peers", "show", "alpha", "--home", net.home("bravo"), "--json"]).stdout
        #expect(try JSONDecoder().decode(PeerDetail.self, from: Data(never.utf8)).status.lastHandshake == nil)
        #expect(!FileManager.default.fileExists(atPath: net.home("bravo") + "/" + NodeStore.fileName), "peers show created a store")
        try net.startAll()
        let id = try net.send(Array("shown".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        try net.expect(["peers", "set-trust", "bravo", "limited", "--home", net.home("alpha")])
        #expect(net.daemon("bravo").stop() == 0)
        #expect(net.daemon("alpha").stop() == 0)

        let show = ["peers", "show", "bravo", "--home", net.home("alpha")]
        let offline = try net.expect(show + ["--json"]).stdout
        let text = try net.expect(show).stdout
        #expect(text.contains("liaisond is not running") && text.contains("trust: limited") && text.contains("1 delivered"), "\(text)")
        let unknown = try net.cli.run(["peers", "show", "zulu", "--home", net.home("alpha")])
        #expect(unknown.status == 66 && unknown.stderr.contains("no peer named zulu"), "\(unknown.stderr)")

        // alpha alone, with nothing queued, dials nobody: its store stays as it was.
        try net.daemon("alpha").start()
        let online = try net.expect(show + ["--json"]).stdout
        let decode = { (json: String) in try JSONDecoder().decode(PeerDetail.self, from: Data(json.utf8)) }
        #expect(try decode(offline) == decode(online))
        #expect(try decode(offline).status.lastHandshake != nil)
    }

    @Test("peers revoke on a terminal asks for the peer's name: another answer revokes nothing, the name revokes; an unknown or revoked peer is not asked about",
          .timeLimit(.minutes(2)))
    func revokeAsksOnATerminal() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        // util-linux's `script` runs the CLI on a pseudo-terminal and feeds it our stdin.
        func revokeOnTerminal(_ peer: String = "bravo", typing answer: String) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
            process.arguments = ["-qec", "\(CLIRunner.liaisonPath) peers revoke \(peer) --home \(net.home("alpha"))", "/dev/null"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = output
            try process.run()
            input.fileHandleForWriting.write(Data((answer + "\n").utf8))
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, text)
        }
        let wrong = try revokeOnTerminal(typing: "charlie")
        #expect(wrong.status == 64 && wrong.output.contains("Type \"bravo\" to confirm") && wrong.output.contains("bravo was not revoked"), "\(wrong)")
        #expect(try !net.auditEvents("alpha").contains { $0.kind == .keyRevoked })
        let unknown = try revokeOnTerminal("zulu", typing: "zulu")
        #expect(unknown.status != 0 && unknown.output.contains("zulu") && !unknown.output.contains("to confirm"), "\(unknown)")
        let right = try revokeOnTerminal(typing: "bravo")
        #expect(right.status == 0 && right.output.contains("Revoked bravo"), "\(right)")
        #expect(try net.auditEvents("alpha").filter { $0.kind == .keyRevoked }.count == 1)
        let again = try revokeOnTerminal(typing: "bravo")
        #expect(again.status == 0 && again.output.contains("bravo") && again.output.contains("already revoked")
                && !again.output.contains("to confirm"), "\(again)")
        #expect(try net.auditEvents("alpha").filter { $0.kind == .keyRevoked }.count == 1)
    }

    @Test("a revoked peer's live session ends at once and its later packages are refused", .timeLimit(.minutes(2)))
    func revokeCutsSessions() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        // A large transfer alpha → bravo, revoked on bravo's side while it is in flight.
        let big = net.dir.file("big.bin")
        _ = FileManager.default.createFile(atPath: big, contents: Data(repeating: 0x5A, count: 48 << 20))
        let id = try net.send(Array("warm-up".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        let large = try net.expect(["send", big, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN", "--json"])
        let largeID = try #require((try JSONSerialization.jsonObject(with: Data(large.stdout.utf8)) as? [String: Any])?["id"] as? String)
        let spool = net.home("bravo") + "/spool"
        #expect(eventually(timeoutSeconds: 20) { ((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).contains { $0.hasSuffix(".partial") } },
                "the large transfer never started")
        try net.expect(["peers", "revoke", "alpha", "--yes", "--home", net.home("bravo")])
        // The session is gone: the partial stops growing and the package is never delivered.
        usleep(500_000)
        let partial = try #require(try FileManager.default.contentsOfDirectory(atPath: spool).first { $0.hasSuffix(".partial") })
        let size1 = (try FileManager.default.attributesOfItem(atPath: spool + "/" + partial)[.size] as? Int) ?? 0
        usleep(700_000)
        let size2 = (try FileManager.default.attributesOfItem(atPath: spool + "/" + partial)[.size] as? Int) ?? 0
        #expect(size1 == size2 && size2 < 48 << 20, "the transfer went on after the revocation (\(size1) → \(size2))")
        #expect(try net.deliveryStates(largeID, at: "alpha")["bravo"] != "delivered")
        // Later packages are refused: alpha's handshakes get nothing back.
        let later = try net.send(Array("after revocation".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try !net.waitDelivered(later, from: "alpha", to: ["bravo"], timeoutSeconds: 4))
        let events = try net.auditEvents("bravo")
        #expect(events.contains { $0.kind == .keyRevoked && $0.peerName == "alpha" })
        #expect(events.contains { $0.kind == .handshakeRejected && $0.peerName == "alpha" && $0.reason?.hasPrefix("handshake.revoked") == true })
        #expect(try net.inbox("bravo").count == 1)
        let shown = try net.expect(["peers", "show", "alpha", "--home", net.home("bravo")]).stdout
        #expect(shown.contains("REVOKED") && shown.contains("peer-revoked"))
    }
}

/// Removing a partner ends the partnership, not the record of what it sent.
@Suite("peers remove keeps what the partner sent readable", .serialized)
struct PeerRemovalTests {
    @Test("after peers remove, its packages in the inbox still open; what it queued fails and is counted; it can no longer deliver")
    func removedPeersPackagesStayReadable() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        let payload = Array("intelligence bravo sent before it was removed".utf8)
        let received = try net.send(payload, from: "bravo", to: ["alpha"])
        #expect(try net.waitDelivered(received, from: "bravo", to: ["alpha"]))
        // charlie is offline: a package for it waits, then fails with the removal.
        _ = try net.send(Array("for charlie".utf8), from: "alpha", to: ["charlie"])

        let removed = try net.expect(["peers", "remove", "bravo", "--home", net.home("alpha")])
        #expect(removed.stdout.contains("Nothing was queued for it") && removed.stdout.contains("stays readable"), "\(removed.stdout)")
        #expect(try net.fetch(received, at: "alpha") == payload)
        let charlie = try net.expect(["peers", "remove", "charlie", "--home", net.home("alpha"), "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(charlie.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["failedDeliveries"] as? Int == 1 && report["sentPackagesReadable"] as? Bool == true, "\(charlie.stdout)")

        // Nothing bravo signs now is accepted: its next package finds no partner in alpha.
        let later = try net.send(Array("after the removal".utf8), from: "bravo", to: ["alpha"])
        #expect(!(try net.waitDelivered(later, from: "bravo", to: ["alpha"], timeoutSeconds: 3)))
        #expect(try net.inbox("alpha") == [received])

        // bravo's key is revoked by its owner later (stolen, say): the statement, handed over,
        // is honoured although bravo was removed, and what it sent is refused from then on.
        try net.expect(["keys", "revoke", "--yes", "--reason", "test", "--home", net.home("bravo")])
        let statement = net.home("bravo") + "/keys/revocation.txt"
        let imported = try net.expect(["peers", "import-revocation", statement, "--home", net.home("alpha")]).stdout
        #expect(imported.contains("bravo (removed)"), "\(imported)")
        let refused = try net.cli.run(["inbox", "get", received, "--home", net.home("alpha"), "--out", net.dir.file("after-revocation.out")])
        #expect(refused.status == 65 && refused.stderr.contains("package.sender-revoked"), "\(refused.stderr)")
        // The inbox says so before anyone tries.
        let listed = try net.expect(["inbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        let items = try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]] ?? []
        #expect(items.first { $0["id"] as? String == received }?["senderRevoked"] as? Bool == true, "\(listed)")
        #expect(try net.expect(["inbox", "list", "--home", net.home("alpha")]).stdout.contains("bravo (REVOKED)"))
        #expect(try net.auditEvents("alpha").contains { $0.kind == .keyRevoked && $0.details["peer-name"] == "bravo" })

        // The refusal says how to read it all the same; asked explicitly, it opens
        // (still verified), warned and recorded.
        #expect(refused.stderr.contains("--despite-revocation"), "\(refused.stderr)")
        let out = net.dir.file("despite.out")
        let opened = try net.expect(["inbox", "get", received, "--home", net.home("alpha"), "--out", out, "--despite-revocation", "--json"])
        #expect(opened.stderr.contains("learned of it after the package arrived"), "\(opened.stderr)")
        let shown = try JSONSerialization.jsonObject(with: Data(opened.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(shown["senderRevoked"] as? Bool == true, "\(opened.stdout)")
        #expect(FileManager.default.contents(atPath: out).map(Array.init) == payload)
        let record = try #require(try net.auditEvents("alpha", ["--event", "package.opened", "--package", received]).last)
        let bravoFingerprint = try ProtocolClient.publicKeys(home: net.home("bravo")).fingerprint.description
        #expect(record.details["despite-revocation"]?.contains(bravoFingerprint) == true, "\(record)")
        let asked = try net.auditEvents("alpha", ["--event", "control.command"]).last { $0.details["command"] == "inbox.get" }
        #expect(asked?.details["despite-revocation"] == "asked", "\(String(describing: asked))")
    }
}
