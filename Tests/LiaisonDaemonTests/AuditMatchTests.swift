import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonTestSupport
import Testing

/// `liaison audit match` on two real nodes' exports: the receipts each holds from
/// the other are found in the other's log.
@Suite("liaison audit match on real exports")
struct AuditMatchTests {
    @Test("each node's receipts are in the other's log; one dated after the other's export is not checked", .timeLimit(.minutes(2)))
    func exportsMatch() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        var toBravo: [String] = []
        for n in 0..<3 { toBravo.append(try net.send(Array("to bravo \(n)".utf8), from: "alpha", to: ["bravo"])) }
        let toAlpha = try net.send(Array("to alpha".utf8), from: "bravo", to: ["alpha"])
        for id in toBravo { #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"])) }
        #expect(try net.waitDelivered(toAlpha, from: "bravo", to: ["alpha"]))
        let bravoBundle = net.dir.file("bravo-export")
        try net.expect(["audit", "export", "--home", net.home("bravo"), "--out", bravoBundle])
        // Sent after bravo's export: its receipt is beyond what that export holds.
        Thread.sleep(forTimeInterval: 1.1)
        let late = try net.send(Array("after the export".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(late, from: "alpha", to: ["bravo"]))
        let alphaBundle = net.dir.file("alpha-export")
        try net.expect(["audit", "export", "--home", net.home("alpha"), "--out", alphaBundle])

        let keys = try ["alpha", "bravo"].map { try NodeLogNames.logKey(try NodeHome(path: net.home($0)).loadConfiguration().publicKeys).description }
        let json = try net.expect(["audit", "match", alphaBundle, bravoBundle, "--log-key", keys[0], "--log-key", keys[1], "--json"]).stdout
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let directions = try #require(report["directions"] as? [[String: Any]])
        #expect(report["consistent"] as? Bool == true && directions.count == 2, "\(json)")
        #expect(directions[0]["matched"] as? Int == 3 && directions[0]["afterRecipientLogEnds"] as? Int == 1, "\(directions[0])")
        #expect(directions[1]["matched"] as? Int == 1 && (directions[1]["discrepancies"] as? [Any])?.isEmpty == true, "\(directions[1])")
        #expect(report["checked"] as? Int == 4)
        let described = try #require(report["bundles"] as? [[String: Any]])
        #expect(described.allSatisfy { $0["logKeySource"] as? String == "provided" && $0["namesReceiptsSince"] as? String != nil }, "\(described)")

        let text = try net.expect(["audit", "match", bravoBundle, alphaBundle]).stdout
        #expect(text.hasPrefix("CONSISTENT") && text.contains("checked against the log key it carries"), "\(text)")
        #expect(text.contains("3 receipts matched") && text.contains("not checked: 1 dated within ten minutes of the end of"), "\(text)")

        // The same log twice, or a key of neither log: usage errors.
        let twice = try net.cli.run(["audit", "match", alphaBundle, alphaBundle])
        #expect(twice.status == 64 && twice.stderr.contains("give one from each partner"), "\(twice.stderr)")
        let wrongKey = try net.cli.run(["audit", "match", alphaBundle, bravoBundle, "--log-key", keys[0]])
        #expect(wrongKey.status == 64 && wrongKey.stderr.contains("no --log-key given is named"), "\(wrongKey.stderr)")
        // A bundle that does not verify is refused before anything is matched.
        let leaves = bravoBundle + "/leaves.jsonl"
        let original = try String(contentsOfFile: leaves, encoding: .utf8)
        try original.replacingOccurrences(of: "\"outcome\":\"ok\"", with: "\"outcome\":\"denied\"").write(toFile: leaves, atomically: true, encoding: .utf8)
        let tampered = try net.cli.run(["audit", "match", alphaBundle, bravoBundle])
        #expect(tampered.status == 65 && tampered.stderr.contains("does not verify"), "\(tampered.stderr)")
    }
}
