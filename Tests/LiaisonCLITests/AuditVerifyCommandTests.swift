import Foundation
import GRDB
import LiaisonAudit
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import Testing

/// `liaison audit verify --database` on a real audit.db that someone with write
/// access edited by hand (triggers dropped): every tamper is detected and named.
@Suite("liaison audit verify on a tampered database (real binary)")
struct AuditVerifyCommandTests {
    static let origin = "liaison/test-node"

    final class Fixture {
        let dir = TemporaryDirectory(prefix: "liaison-audit-cli")
        let key: LogSecretKey
        let signer: NoteSigner
        var path: String { dir.file("audit.db") }

        init(entries: Int, checkpointAt sizes: [Int]) throws {
            key = try LogSecretKey()
            signer = try NoteSigner(name: AuditVerifyCommandTests.origin, secretKey: key)
            let log = try AuditLog(path: dir.file("audit.db"))
            var next = 0
            for size in sizes + [entries] {
                try log.appendBlocking((next..<size).map(Self.event))
                next = size
                if size != entries || sizes.contains(entries) { try log.signCheckpoint(with: signer, now: 1) }
            }
        }

        static func event(_ n: Int) -> AuditEvent {
            AuditEvent(time: 1_795_651_200_000 + Int64(n), kind: .packageReceived, actor: .peer("p\(n % 3)"), peer: "p\(n % 3)",
                       package: String(format: "%032x", n), markings: "TLP:GREEN")
        }

        /// Runs SQL with the append-only triggers dropped.
        func tamper(_ sql: String) throws {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { db in
                for name in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") {
                    try db.execute(sql: "DROP TRIGGER \(name)")
                }
                try db.execute(sql: sql)
            }
        }

        func verify(_ extra: [String] = [], database: String? = nil) throws -> (status: Int32, codes: Set<String>, output: String) {
            let result = try CLIRunner().run(["audit", "verify", "--database", database ?? path, "--log-key", signer.verifierKey.description, "--json"] + extra)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
            let report = object["report"] as? [String: Any] ?? [:]
            let failures = (report["failures"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            let storage = (object["storageIssues"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            return (result.status, Set(failures + storage), result.stdout + result.stderr)
        }
    }

    @Test("an untouched log verifies")
    func honest() throws {
        let fixture = try Fixture(entries: 40, checkpointAt: [16, 40])
        let result = try fixture.verify()
        #expect(result.status == 0 && result.codes.isEmpty, "\(result.output)")
    }

    @Test("a file that is no database is named as given, not by its private copy, nor as liaison.db")
    func damagedFile() throws {
        let fixture = try Fixture(entries: 4, checkpointAt: [4])
        var bytes = SeededBytes(seed: 3)
        let garbage = fixture.dir.write("garbage.db", bytes.next(8192))
        let result = try CLIRunner().run(["audit", "verify", "--database", garbage, "--log-key", fixture.signer.verifierKey.description])
        #expect(result.status == 65 && result.stderr.contains("store.corrupt"), "\(result.stderr)")
        #expect(result.stderr.contains("restore \(garbage) from a backup"), "\(result.stderr)")
        #expect(!result.stderr.contains("liaison-evidence") && !result.stderr.contains("liaison.db"), "\(result.stderr)")
    }

    @Test("a changed leaf is named by its entry")
    func changedLeaf() throws {
        let fixture = try Fixture(entries: 40, checkpointAt: [40])
        let forged = String(decoding: Fixture.event(7).canonicalBytes, as: UTF8.self).replacingOccurrences(of: "TLP:GREEN", with: "TLP:CLEAR")
        try fixture.tamper("UPDATE leaf SET data = CAST('\(forged)' AS BLOB) WHERE idx = 7")
        let result = try fixture.verify()
        #expect(result.status == 65)
        #expect(result.codes.isSuperset(of: ["storage.leaf-hash-mismatch", "verify.root-mismatch"]), "\(result.output)")
        #expect(result.output.contains("entry 7"))
    }

    @Test("a deleted middle row is named")
    func deletedRow() throws {
        let fixture = try Fixture(entries: 40, checkpointAt: [40])
        try fixture.tamper("DELETE FROM leaf WHERE idx = 20")
        let result = try fixture.verify()
        #expect(result.status == 65)
        // The row is gone, so the checkpoint of 40 now covers more than the 39 left.
        #expect(result.codes.isSuperset(of: ["storage.index-gap", "verify.truncated"]), "\(result.output)")
        #expect(result.output.contains("entries 20..<21 are missing"))
        #expect(result.output.components(separatedBy: "storage.index-gap").count - 1 == 1, "one deleted row is one gap")
    }

    @Test("two swapped rows are caught by the interior nodes and the checkpoint")
    func swappedRows() throws {
        let fixture = try Fixture(entries: 40, checkpointAt: [40])
        try fixture.tamper("""
            UPDATE leaf SET idx = 1000 WHERE idx = 3; UPDATE leaf SET idx = 3 WHERE idx = 4; UPDATE leaf SET idx = 4 WHERE idx = 1000
            """)
        let result = try fixture.verify()
        #expect(result.status == 65)
        #expect(result.codes.isSuperset(of: ["storage.interior-mismatch", "verify.root-mismatch"]), "\(result.output)")
    }

    @Test("a truncated tail is caught against a checkpoint the auditor kept")
    func truncatedTail() throws {
        let fixture = try Fixture(entries: 40, checkpointAt: [20, 40])
        let held = fixture.dir.write("held.checkpoint", try #require(try AuditLog(readingOnly: fixture.path).newestCheckpoint()).note.bytes)
        try fixture.tamper("DELETE FROM leaf WHERE idx >= 30; DELETE FROM subtree WHERE ((idx + 1) << level) > 30; DELETE FROM checkpoint WHERE size > 30")
        // Without the held checkpoint the cut tree is self-consistent: that is the documented
        // limit. (This cut left the query index's entries for 30..<40 behind, which the storage
        // check names; a cutter who also rewrote the index would leave only the dropped triggers.)
        let alone = try fixture.verify()
        #expect(alone.codes == ["storage.trigger-missing", "storage.query-index-mismatch"], "\(alone.output)")
        let result = try fixture.verify(["--trusted-checkpoint", held])
        #expect(result.status == 65 && result.codes.contains("verify.truncated"), "\(result.output)")
    }

    @Test("a forged checkpoint (another key) is named")
    func forgedCheckpoint() throws {
        let fixture = try Fixture(entries: 40, checkpointAt: [20])
        let impostor = try NoteSigner(name: Self.origin, secretKey: try LogSecretKey())
        let root = try AuditLog(readingOnly: fixture.path).root(size: 40)
        let note = try impostor.sign(try Checkpoint(origin: Self.origin, size: 40, rootHash: root))
        try fixture.tamper("INSERT INTO checkpoint (size, root, note, signed_at) VALUES (40, x'\(root.map { String(format: "%02x", $0) }.joined())', '\(note.formatted)', 2)")
        let result = try fixture.verify()
        #expect(result.status == 65 && result.codes.contains("verify.checkpoint-invalid"), "\(result.output)")
    }

    @Test("a forked log re-signed with the node's own key is caught by a held checkpoint")
    func forkedLog() throws {
        let fixture = try Fixture(entries: 40, checkpointAt: [40])
        let held = fixture.dir.write("held.checkpoint", try #require(try AuditLog(readingOnly: fixture.path).newestCheckpoint()).note.bytes)
        // Someone holding the keys rebuilds a different history and signs it.
        let forkPath = fixture.dir.file("forked.db")
        let rewritten = try AuditLog(path: forkPath)
        try rewritten.appendBlocking((0..<40).map { $0 == 5 ? Fixture.event(500) : Fixture.event($0) })
        try rewritten.signCheckpoint(with: fixture.signer, now: 3)
        let alone = try fixture.verify(database: forkPath)
        #expect(alone.status == 0, "the rewritten log is self-consistent: \(alone.output)")
        let result = try fixture.verify(["--trusted-checkpoint", held], database: forkPath)
        #expect(result.status == 65 && result.codes.contains("verify.fork"), "\(result.output)")
    }
}
