import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import Testing

/// `liaison audit match` on two bundles written here, one of them contradicting the
/// other: the verdict, the exit status and what it names (real binary).
@Suite("liaison audit match: a receipt one log holds that the other does not name")
struct AuditMatchCommandTests {
    static let start: Int64 = 1_795_651_200_000   // Unix milliseconds

    /// A node's log with `events`, signed and exported to `dir/name`; its log key.
    static func bundle(_ dir: TemporaryDirectory, _ name: String, fingerprint: String, events: [AuditEvent]) throws -> (path: String, key: String) {
        let signer = try NoteSigner(name: "liaison/" + fingerprint, secretKey: try LogSecretKey())
        let log = try AuditLog(path: dir.file("\(name).db"))
        try log.appendBlocking(events)
        try log.signCheckpoint(with: signer, now: 1)
        let writer = try AuditBundleWriter(directory: dir.file(name), logKey: signer.verifierKey)
        for leaf in try log.leaves(0..<events.count) { try writer.appendLeaf(leaf) }
        try writer.writeCheckpoint(try #require(try log.newestCheckpoint()).note)
        _ = try writer.finish(node: name, fingerprint: fingerprint, exportedAt: 1)
        return (dir.file(name), signer.verifierKey.description)
    }

    static func event(_ seconds: Int64, _ kind: AuditEventKind, peer: String? = nil, package: String? = nil,
                      details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(time: start + seconds * 1000, kind: kind, actor: .daemon, peer: peer, package: package, details: details)
    }

    static func receipt(_ signature: String, by signer: String, at seconds: Int64) -> [String: String] {
        ["receipt-signature": signature, "receipt-signed-by": signer, "received-at": Timestamp.iso8601(start / 1000 + seconds)]
    }

    @Test("a receipt alpha holds that bravo's log does not name, dated well within it: FAILED, 65, named; the rest matched")
    func contradicted() throws {
        let dir = TemporaryDirectory(prefix: "liaison-audit-match")
        let alpha = NodeFingerprint(identity: try IdentitySecretKey().publicKey).description
        let bravo = NodeFingerprint(identity: try IdentitySecretKey().publicKey).description
        let p1 = String(repeating: "1", count: 32), p2 = String(repeating: "2", count: 32)
        let started = Self.event(0, .daemonStarted, details: ["names-receipts": "true"])
        let a = try Self.bundle(dir, "alpha", fingerprint: alpha, events: [
            started,
            Self.event(11, .packageDelivered, peer: bravo, package: p1, details: Self.receipt("S1", by: bravo, at: 10)),
            Self.event(21, .packageDelivered, peer: bravo, package: p2, details: Self.receipt("S2", by: bravo, at: 20)),
        ])
        let b = try Self.bundle(dir, "bravo", fingerprint: bravo, events: [
            started,
            Self.event(10, .packageReceived, peer: alpha, package: p1, details: Self.receipt("S1", by: bravo, at: 10)),
            Self.event(7200, .daemonStopped),
        ])
        let result = try CLIRunner().run(["audit", "match", a.path, b.path, "--log-key", a.key, "--log-key", b.key])
        #expect(result.status == 65 && result.stdout.hasPrefix("FAILED"), "\(result.status): \(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("MISSING: entry 2, package \(p2), receipt dated") && result.stdout.contains("1 receipt matched"),
                "\(result.stdout)")
        let json = try CLIRunner().run(["audit", "match", b.path, a.path, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let directions = try #require(report["directions"] as? [[String: Any]])
        #expect(json.status == 65 && report["consistent"] as? Bool == false && report["checked"] as? Int == 2)
        #expect((directions[1]["discrepancies"] as? [[String: Any]])?.first?["kind"] as? String == "missing", "\(directions)")

        // A directory that is no bundle is unreadable input; the same log twice a usage error.
        #expect(try CLIRunner().run(["audit", "match", a.path, dir.file("nowhere")]).status == 66)
        #expect(try CLIRunner().run(["audit", "match", a.path, a.path]).status == 64)
    }
}
