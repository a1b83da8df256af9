import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite("Access policy enforced by real daemons", .serialized)
struct PolicyEnforcementTests {
    @Test("a limited peer never receives AMBER while a partner on the same send does")
    func limitedPeerWithheld() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], limited: [("alpha", "charlie")])
        try net.startAll()
        let input = net.dir.write("amber", Array("amber report".utf8))
        let result = try net.expect(["send", input, "--home", net.home("alpha"), "--to", "bravo,charlie", "--tlp", "AMBER", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let id = try #require(json?["id"] as? String)
        #expect(json?["recipients"] as? [String] == ["bravo"])
        #expect((json?["withheld"] as? [[String: Any]])?.first?["rule"] as? String == "limited-trust-clear-green-unclassified-only")
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        #expect(try net.deliveryStates(id, at: "alpha")["charlie"] == nil, "no delivery may exist for a withheld peer")
        sleep(1)
        #expect(try net.inbox("charlie").isEmpty)
        #expect(net.daemon("alpha").log.contains("charlie gets no key wrap"))
    }

    @Test("a peer may not push us what we do not accept from it")
    func receiveSide() throws {
        // bravo trusts alpha as a partner, but alpha only accepts limited material from bravo.
        let net = try DaemonNetwork(["alpha", "bravo"], limited: [("alpha", "bravo")])
        try net.startAll()
        let id = try net.send(Array("amber from bravo".utf8), from: "bravo", to: ["alpha"], tlp: "AMBER")
        #expect(try eventually(timeoutSeconds: 20) { try net.deliveryStates(id, at: "bravo")["alpha"] == "failed" })
        #expect(try net.inbox("alpha").isEmpty)
        #expect(net.daemon("alpha").log.contains("limited-trust-clear-green-unclassified-only"))
        // bravo's own policy allowed it; explain says so, and what happened (found in an
        // operator's trial: it said ALLOWED and nothing of the recipient's refusal).
        let explained = try net.expect(["policy", "explain", "--home", net.home("bravo"), "--package", id, "--peer", "alpha"]).stdout
        #expect(explained.contains("alpha: ALLOWED") && explained.contains("the delivery: failed — refused"), "\(explained)")
        let json = try net.expect(["policy", "explain", "--home", net.home("bravo"), "--package", id, "--peer", "alpha", "--json"]).stdout
        let report = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])?.first)
        #expect(report["delivery"] as? String == "failed" && (report["deliveryError"] as? String)?.hasPrefix("refused") == true, "\(json)")
        let green = try net.send(Array("green from bravo".utf8), from: "bravo", to: ["alpha"], tlp: "GREEN")
        #expect(try net.waitDelivered(green, from: "bravo", to: ["alpha"]))
    }
}

@Suite("Per-peer inbound limits", .serialized)
struct InboundLimitTests {
    @Test("a flooding peer is slowed and an oversized package refused, while another peer is not delayed")
    func limits() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], tunables: "retry-initial-seconds = 30\n",
                                    importOptions: ["alpha>bravo": ["--packages-per-minute", "2", "--max-package-bytes", "4096"]])
        try net.startAll()
        let flood = try (0..<3).map { i in try net.send(Array("flood \(i)".utf8), from: "bravo", to: ["alpha"], tlp: "GREEN") }
        let big = try net.send([UInt8](repeating: 1, count: 10_000), from: "bravo", to: ["alpha"], tlp: "GREEN")
        let start = Date()
        let other = try net.send(Array("unaffected".utf8), from: "charlie", to: ["alpha"], tlp: "GREEN")
        #expect(try net.waitDelivered(other, from: "charlie", to: ["alpha"], timeoutSeconds: 10))
        #expect(Date().timeIntervalSince(start) < 8, "another peer's delivery was delayed by the flood")
        #expect(try eventually(timeoutSeconds: 15) { try net.deliveryStates(big, at: "bravo")["alpha"] == "failed" },
                "an oversized package must be refused for good")
        #expect(eventually(timeoutSeconds: 15) {
            flood.filter { (try? net.deliveryStates($0, at: "bravo")["alpha"]) == "delivered" }.count == 2
        }, "the first two packages of the minute are accepted")
        let outbox = try net.expect(["outbox", "list", "--home", net.home("bravo"), "--json"]).stdout
        #expect(outbox.contains("packages per minute"), "the third is refused for now and retried later: \(outbox)")
        #expect(try net.inbox("alpha").count == 3)   // two from bravo, one from charlie
    }
}

@Suite("policy explain on delivered and withheld packages", .serialized)
struct PolicyExplainTests {
    @Test("explain answers for a delivered and a withheld peer of the same package")
    func explain() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], limited: [("alpha", "charlie")])
        try net.startAll()
        let id = try net.send(Array("amber".utf8), from: "alpha", to: ["bravo", "charlie"], tlp: "AMBER")
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        let bravo = try net.expect(["policy", "explain", "--home", net.home("alpha"), "--package", id, "--peer", "bravo", "--json"]).stdout
        #expect(bravo.contains("\"allowed\":true") && bravo.contains("\"rule\":\"allowed\"") && bravo.contains("\"delivery\":\"delivered\""), "\(bravo)")
        // By a shortened id, as the audit table prints it.
        let charlie = try net.expect(["policy", "explain", "--home", net.home("alpha"), "--package", String(id.prefix(12)), "--peer", "charlie"]).stdout
        #expect(charlie.contains("charlie: DENIED") && charlie.contains("limited-trust-clear-green-unclassified-only"))
        let received = try net.expect(["policy", "explain", "--home", net.home("bravo"), "--package", id, "--peer", "alpha"]).stdout
        #expect(received.contains("alpha: ALLOWED (receive"))
        // Asked about a peer that did not send it, explain answers what `forward` would decide.
        let onward = try net.expect(["policy", "explain", "--home", net.home("bravo"), "--package", id, "--peer", "charlie", "--json"]).stdout
        let decision = try JSONSerialization.jsonObject(with: Data(onward.utf8)) as? [[String: Any]] ?? []
        #expect(decision.first?["direction"] as? String == "forward", "\(onward)")
        let forwarded = try net.cli.run(["forward", id, "--to", "charlie", "--home", net.home("bravo")])
        #expect((forwarded.status == 0) == (decision.first?["allowed"] as? Bool == true), "\(onward) against \(forwarded.stderr)")
        if let rule = decision.first?["rule"] as? String, forwarded.status != 0 {
            #expect(forwarded.stderr.contains(rule) || forwarded.stderr.contains("may be forwarded to none"), "\(forwarded.stderr)")
        }
        let unknown = try net.cli.run(["policy", "explain", "--home", net.home("bravo"), "--package", "ffffffffff", "--peer", "alpha"])
        #expect(unknown.status == 66 && unknown.stderr.contains("no package this node sent or received has an id starting with ffffffffff; check it against `liaison outbox list --home \(net.home("bravo"))` or `liaison inbox list --home \(net.home("bravo"))`"), "\(unknown.stderr)")
    }
}
