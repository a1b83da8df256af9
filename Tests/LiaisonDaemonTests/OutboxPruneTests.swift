import Foundation
import LiaisonAudit
import LiaisonTestSupport
import Testing

/// `liaison outbox prune` on real daemons: the sealed file of a package sent in
/// full goes, one still queued for a partner that is away stays, and the outbox,
/// the receipts and the audit log keep the record.
@Suite("Pruning the outbox's sent files, on real daemons")
struct OutboxPruneTests {
    @Test("a package delivered in full loses its file; one still queued keeps it; the audit log records the removal")
    func prunesOnlyWhatWasSent() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()   // charlie stays down
        let large = [UInt8](repeating: 0x5A, count: 200 << 10)   // kept in a file, not in its row
        let sent = try net.send(large, from: "alpha", to: ["bravo"])
        let waiting = try net.send(large, from: "alpha", to: ["charlie"])
        #expect(try net.waitDelivered(sent, from: "alpha", to: ["bravo"]))
        let outbox = net.home("alpha") + "/outbox"
        #expect(FileManager.default.fileExists(atPath: "\(outbox)/\(sent).lpkg"))

        // Queued more than a second ago (times are whole seconds).
        Thread.sleep(forTimeInterval: 2.1)
        let result = try net.expect(["outbox", "prune", "--home", net.home("alpha"), "--older-than", "1s", "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["count"] as? Int == 1)
        #expect(report?["packages"] as? [String] == [sent])
        #expect((report?["bytes"] as? Int ?? 0) > large.count)
        #expect(!FileManager.default.fileExists(atPath: "\(outbox)/\(sent).lpkg"))
        #expect(FileManager.default.fileExists(atPath: "\(outbox)/\(waiting).lpkg"), "a package still queued was pruned")

        // The record stays: the outbox says pruned, the receipt is there, the log has the entry.
        let listed = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"])
        let items = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(items.first { $0["id"] as? String == sent }?["pruned"] is String)
        #expect(items.first { $0["id"] as? String == waiting }?["pruned"] == nil)
        #expect(try net.deliveryStates(sent, at: "alpha") == ["bravo": "delivered"])
        #expect(try net.expect(["receipts", "--home", net.home("alpha"), "--json"]).stdout.contains(sent))
        let pruned = try net.auditEvents("alpha").filter { $0.kind == .packagePruned }
        #expect(pruned.map(\.package) == [sent])

        // The policy is still explained from the markings the store kept.
        let explained = try net.expect(["policy", "explain", "--package", sent, "--peer", "bravo", "--home", net.home("alpha")])
        #expect(explained.stdout.contains("bravo: ALLOWED (send TLP:AMBER · UNCLASSIFIED)") && explained.stderr.contains("file was pruned"),
                "\(explained.stdout) \(explained.stderr)")

        // Nothing is pruned twice; the text output says so.
        let again = try net.expect(["outbox", "prune", "--home", net.home("alpha"), "--older-than", "1s"])
        #expect(again.stdout.contains("Nothing to prune"))
        #expect(try net.auditEvents("alpha").filter { $0.kind == .packagePruned }.count == 1)

        // A file a crash left between the prune's commit and its removal goes at the next start.
        _ = net.daemon("alpha").stop()
        #expect(FileManager.default.createFile(atPath: "\(outbox)/\(sent).lpkg", contents: Data(large)))
        try net.daemon("alpha").start()
        #expect(!FileManager.default.fileExists(atPath: "\(outbox)/\(sent).lpkg"))
        #expect(FileManager.default.fileExists(atPath: "\(outbox)/\(waiting).lpkg"))
    }

    @Test("a duration that is not one is refused before the daemon is asked")
    func badDuration() throws {
        let net = try DaemonNetwork(["alpha"])
        let result = try net.cli.run(["outbox", "prune", "--home", net.home("alpha"), "--older-than", "soon"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--older-than"))
    }
}
