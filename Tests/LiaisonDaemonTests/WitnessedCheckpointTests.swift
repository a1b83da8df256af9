import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

/// `liaison audit witnessed`: a checkpoint of a node's log held by its witness,
/// which the node's own export must extend. A bundle carries the checkpoints its
/// exporter chose: cut back to an earlier one, it is consistent with itself and
/// verifies — against the witness's checkpoint it does not (found in review: the
/// docs promised that demanding witnesses caught a rewritten tail, which holds only
/// for the checkpoints the bundle carries).
@Suite("Verifying an export against what a witness saw", .serialized)
struct WitnessedCheckpointTests {
    @Test("the witness's checkpoint verifies the honest export and catches one cut back to an earlier checkpoint",
          .timeLimit(.minutes(3)))
    func exportAgainstWitness() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "checkpoint-interval-seconds = 1\n")
        try net.startAll()
        let logKey = try NodeLogNames.logKey(try NodeHome(path: net.home("alpha")).loadConfiguration().publicKeys).description
        let witnessed = net.dir.file("alpha-witnessed.txt")
        // Until bravo has cosigned a checkpoint later than alpha's first: entries to cut.
        let firstSize = try #require(try eventually(timeoutSeconds: 20) {
            try !AuditLog(readingOnly: net.home("alpha") + "/audit.db").checkpoints().isEmpty
        } ? AuditLog(readingOnly: net.home("alpha") + "/audit.db").checkpoints().first?.size : nil)
        var witnessedSize = 0
        for _ in 0..<80 where witnessedSize <= firstSize {
            _ = try net.send(Array("more entries".utf8), from: "alpha", to: ["bravo"])
            unlink(witnessed)   // --out never replaces a kept checkpoint
            let result = try net.cli.run(["audit", "witnessed", "alpha", "--home", net.home("bravo"), "--out", witnessed, "--json"])
            if result.status == 0, let item = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] {
                witnessedSize = item["size"] as? Int ?? 0
            }
            usleep(250_000)
        }
        #expect(witnessedSize > firstSize, "bravo never cosigned a checkpoint after alpha's first")
        let shown = try net.expect(["audit", "witnessed", "alpha", "--home", net.home("bravo")])
        #expect(shown.stdout.hasPrefix("liaison/") && shown.stderr.contains("--trusted-checkpoint"), "\(shown.stdout)\(shown.stderr)")

        let bundle = net.dir.file("bundle")
        try net.expect(["audit", "export", "--home", net.home("alpha"), "--out", bundle])
        let honest = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey, "--trusted-checkpoint", witnessed])
        #expect(honest.status == 0 && honest.stdout.contains("VERIFIED"), "\(honest.stdout)\(honest.stderr)")
        #expect(!honest.stdout.contains("not yet covered by a checkpoint"), "the export has an unsigned tail: \(honest.stdout)")

        // Cut back to a checkpoint below what bravo saw, the later checkpoints left out.
        let checkpoints = try FileManager.default.contentsOfDirectory(atPath: bundle + "/checkpoints").sorted()
        let sizes = checkpoints.compactMap { Int($0.prefix(20)) }
        let cut = try #require(sizes.filter { $0 < witnessedSize }.max())
        for (name, size) in zip(checkpoints, sizes) where size > cut { try FileManager.default.removeItem(atPath: bundle + "/checkpoints/" + name) }
        let lines = try String(contentsOfFile: bundle + "/leaves.jsonl", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        try (lines.prefix(cut).joined(separator: "\n") + "\n").write(toFile: bundle + "/leaves.jsonl", atomically: true, encoding: .utf8)
        let alone = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey])
        #expect(alone.status == 0, "a bundle cut at a checkpoint is consistent with itself: \(alone.stdout)")
        let against = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey, "--trusted-checkpoint", witnessed])
        #expect(against.status == 65 && against.stdout.contains("truncated"), "\(against.stdout)")

        // A name that is no peer is refused with what to do.
        let none = try net.cli.run(["audit", "witnessed", "charlie", "--home", net.home("bravo")])
        #expect(none.status == 66 && none.stderr.contains("peers list"), "\(none.status): \(none.stderr)")
    }
}
