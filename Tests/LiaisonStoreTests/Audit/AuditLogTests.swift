import Foundation
import GRDB
import LiaisonAudit
import LiaisonCrypto
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Audit log store")
struct AuditLogTests {
    @Test("appended events come back in order, byte for byte, with dense indices")
    func appendAndRead() throws {
        let fixture = try AuditFixture()
        #expect(try fixture.log.appendBlocking([AuditFixture.event(0), AuditFixture.event(1)]) == 0..<2)
        #expect(try fixture.log.appendBlocking([AuditFixture.event(2)]) == 2..<3)
        #expect(try fixture.log.size() == 3)
        let leaves = try fixture.log.leaves(0..<10)
        #expect(leaves == (0..<3).map { AuditFixture.event($0).canonicalBytes })
        #expect(try fixture.log.verifyStorage().isEmpty)
    }

    @Test("close commits what was queued, leaves audit.db whole without a WAL, and an append after it fails at once")
    func closeDrainsAndRemovesWAL() throws {
        let fixture = try AuditFixture()
        // Queued, not waited for: close must see them committed first.
        let pending = BlockingResult<Range<Int>>()
        fixture.log.committer.submit(try AuditLog.leaves((0..<50).map { AuditFixture.event($0) })) { pending.set($0) }
        try fixture.log.close()
        #expect(try pending.wait() == 0..<50)
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "-wal"), "audit.db-wal is still there")
        #expect(try AuditLog(readingOnly: fixture.path).size() == 50)
        let late = #expect(throws: StoreError.self) { try fixture.log.appendBlocking([AuditFixture.event(50)]) }
        #expect(late?.code == .cannotOpen)
    }

    @Test("concurrent appenders share commits and every one gets its own indices")
    func concurrentAppends() async throws {
        let fixture = try AuditFixture()
        let log = fixture.log
        let ranges = try await withThrowingTaskGroup(of: Range<Int>.self) { group in
            for task in 0..<40 {
                group.addTask { try await log.append((0..<25).map { AuditFixture.event(task * 25 + $0) }) }
            }
            return try await group.reduce(into: [Range<Int>]()) { $0.append($1) }
        }
        #expect(ranges.allSatisfy { $0.count == 25 })
        #expect(Set(ranges.flatMap { Array($0) }) == Set(0..<1000))
        #expect(try log.size() == 1000)
        #expect(try log.verifyStorage().isEmpty)
    }

    @Test("roots and proofs from the store equal the reference tree and verify", arguments: [1, 2, 7, 64, 100, 513])
    func proofs(size: Int) throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<size, batch: 37)
        let reference = MerkleTree(source: ArrayHashSource(leafData: (0..<size).map { AuditFixture.event($0).canonicalBytes }))
        #expect(try fixture.log.root(size: size) == reference.root(size: size))
        for index in Set([0, size / 2, size - 1]) {
            let proof = try fixture.log.inclusionProof(index: index, size: size)
            #expect(proof == (try reference.inclusionProof(index: index, size: size)))
            #expect(MerkleTree.verifyInclusion(leafHash: MerkleHasher.leafHash(AuditFixture.event(index).canonicalBytes),
                                               index: index, size: size, proof: proof, root: try fixture.log.root(size: size)))
        }
        for old in Set([1, size / 3, size - 1]) where old >= 1 {
            let proof = try fixture.log.consistencyProof(oldSize: old, newSize: size)
            #expect(MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: try fixture.log.root(size: old),
                                                 newRoot: try fixture.log.root(size: size), proof: proof))
        }
    }

    @Test("a second handle on the same file (another process) appends after the first")
    func twoWriters() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<5)
        let other = try AuditLog(path: fixture.path)
        #expect(try other.appendBlocking([AuditFixture.event(5), AuditFixture.event(6)]) == 5..<7)
        #expect(try fixture.log.appendBlocking([AuditFixture.event(7)]) == 7..<8)
        #expect(try fixture.log.verifyStorage().isEmpty)
        let reference = MerkleTree(source: ArrayHashSource(leafData: (0..<8).map { AuditFixture.event($0).canonicalBytes }))
        #expect(try fixture.log.root(size: 8) == reference.root(size: 8))
    }

    @Test("the schema refuses updates, deletes and gaps")
    func appendOnly() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<40)
        let queue = try DatabaseQueue(path: fixture.path)
        for sql in ["UPDATE leaf SET time = 0 WHERE idx = 1", "DELETE FROM leaf WHERE idx = 3",
                    "INSERT INTO leaf (idx, hash, data, time, kind, outcome) VALUES (9, zeroblob(32), x'00', 0, 'x', 'ok')",
                    "UPDATE subtree SET hash = zeroblob(32)", "DELETE FROM subtree"] {
            #expect(throws: DatabaseError.self, "\(sql)") { try queue.write { try $0.execute(sql: sql) } }
        }
        #expect(try fixture.log.verifyStorage().isEmpty)
    }

    @Test("queries filter by peer, package, kind and time, and page with a cursor")
    func queries() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<30)
        try fixture.log.appendBlocking([AuditFixture.event(30, kind: .handshakeRejected, peer: "peer-9")])
        var query = AuditQuery()
        query.peers = ["peer-1"]
        query.limit = 5
        let first = try fixture.log.query(query)
        #expect(first.map(\.index) == [1, 3, 5, 7, 9])
        query.cursor = first.last?.index
        #expect(try fixture.log.query(query).map(\.index) == [11, 13, 15, 17, 19])
        var byPackage = AuditQuery()
        byPackage.package = String(format: "%032x", 4)
        #expect(try fixture.log.query(byPackage).map(\.index) == [12, 13, 14])
        var byKind = AuditQuery()
        byKind.kinds = [.handshakeRejected]
        #expect(try fixture.log.query(byKind).map(\.event.peer) == ["peer-9"])
        var byTime = AuditQuery()
        byTime.since = AuditFixture.event(10).time
        byTime.until = AuditFixture.event(12).time
        #expect(try fixture.log.query(byTime).map(\.index) == [10, 11])
        var newest = AuditQuery()
        newest.newestFirst = true
        newest.limit = 2
        #expect(try fixture.log.query(newest).map(\.index) == [30, 29])
        #expect(try fixture.log.newestEntry(package: String(format: "%032x", 4)) == 14)
    }

    @Test("queries filter by outcome, alone and with the other filters, by peer index too")
    func queriesByOutcome() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<20)
        var denied = AuditFixture.event(20, kind: .policyDenied, peer: "peer-1")
        denied.outcome = .denied
        var failed = AuditFixture.event(21, kind: .packageSent, peer: "peer-0")
        failed.outcome = .failed
        try fixture.log.appendBlocking([denied, failed, AuditFixture.event(22)])
        var query = AuditQuery()
        query.outcomes = [.denied]
        #expect(try fixture.log.query(query).map(\.index) == [20])
        query.outcomes = [.failed, .denied]
        #expect(try fixture.log.query(query).map(\.index) == [20, 21])
        query.peers = ["peer-0"]
        #expect(try fixture.log.query(query).map(\.index) == [21])
        query.peers = []
        query.kinds = [.policyDenied]
        #expect(try fixture.log.query(query).map(\.index) == [20])
        var ok = AuditQuery()
        ok.outcomes = [.ok]
        ok.newestFirst = true
        ok.limit = 2
        #expect(try fixture.log.query(ok).map(\.index) == [22, 19])
    }

    @Test("checkpoints grow with the log, verify with the log key, and are not re-signed when nothing changed")
    func checkpoints() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<10)
        let first = try fixture.log.signCheckpoint(with: fixture.signer, now: 1)
        #expect(first.size == 10)
        #expect(try fixture.log.signCheckpoint(with: fixture.signer, now: 2) == first)
        try fixture.fill(10..<25)
        let second = try fixture.log.signCheckpoint(with: fixture.signer, now: 3)
        #expect(second.size == 25)
        let opened = try Checkpoint.open(second.note.bytes, logKey: fixture.signer.verifierKey)
        #expect(opened.checkpoint.rootHash == (try fixture.log.root(size: 25)))
        #expect(try fixture.log.checkpoint(covering: 9)?.size == 10)
        #expect(try fixture.log.checkpoint(covering: 10)?.size == 25)
        #expect(try fixture.log.checkpoints().map(\.size) == [10, 25])
    }

    @Test("a proof's checkpoint: the smallest covering the entry among those the most witnesses cosigned")
    func provingCheckpoint() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<8)
        _ = try fixture.log.signCheckpoint(with: fixture.signer, now: 1)
        try fixture.fill(8..<12)
        let witnessed = try fixture.log.signCheckpoint(with: fixture.signer, now: 2)
        try fixture.fill(12..<20)
        _ = try fixture.log.signCheckpoint(with: fixture.signer, now: 3)
        #expect(try fixture.log.checkpoint(covering: 3)?.size == 8, "with no cosignature anywhere, the smallest")
        let witness = try Cosigner(name: "witness.test/bravo", secretKey: try LogSecretKey())
        try fixture.log.addCosignature(size: 12, line: try witness.cosign(witnessed.checkpoint, timestamp: 1_795_651_200),
                                       timestamp: 1_795_651_200, now: 4)
        #expect(try fixture.log.checkpoint(covering: 3)?.size == 12, "the witnessed one, not the smaller unwitnessed one")
        #expect(try fixture.log.checkpoint(covering: 15)?.size == 20, "none witnessed covers it: the smallest that does")
    }

    @Test("cosignatures are stored with their checkpoint and come back merged into its note")
    func cosignatures() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<3)
        let stored = try fixture.log.signCheckpoint(with: fixture.signer, now: 1)
        let witness = try Cosigner(name: "witness.test/bravo", secretKey: try LogSecretKey())
        let line = try witness.cosign(stored.checkpoint, timestamp: 1_795_651_200)
        try fixture.log.addCosignature(size: 3, line: line, timestamp: 1_795_651_200, now: 2)
        try fixture.log.addCosignature(size: 3, line: line, timestamp: 1_795_651_200, now: 3)   // idempotent
        let merged = try #require(try fixture.log.newestCheckpoint())
        #expect(merged.witnesses == ["witness.test/bravo"])
        let opened = try Checkpoint.open(merged.note.bytes, logKey: fixture.signer.verifierKey, witnesses: [witness.verifierKey])
        #expect(opened.cosignatures.count == 1)
        #expect(throws: StoreError.self) { try fixture.log.addCosignature(size: 2, line: line, timestamp: 1, now: 4) }
    }

    @Test("a log cut below its newest checkpoint is refused a new checkpoint")
    func refusesSmallerTree() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<20)
        try fixture.log.signCheckpoint(with: fixture.signer, now: 1)
        try fixture.tamper("DELETE FROM leaf WHERE idx >= 15; DELETE FROM subtree WHERE ((idx + 1) << level) > 15")
        let fresh = try AuditLog(path: fixture.path)
        // The refusal names the file it found cut, wherever the configuration keeps it.
        #expect { try fresh.signCheckpoint(with: fixture.signer, now: 2) } throws: {
            ($0 as? StoreError)?.code == .conflict && ($0 as? StoreError)?.message.contains(fixture.path) == true
        }
        #expect(try fresh.checkpoints().map(\.size) == [20])
    }

    @Test("a rewritten history is refused a new checkpoint")
    func refusesForkedTree() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<16)
        try fixture.log.signCheckpoint(with: fixture.signer, now: 1)
        // Rewrite entry 5 consistently (data, hash and every interior node above it),
        // as someone holding the file would: only the checkpoint still remembers.
        var leaves = (0..<16).map { AuditFixture.event($0).canonicalBytes }
        leaves[5] = AuditFixture.event(99).canonicalBytes
        var edge = MerkleAccumulator()
        var statements = ["UPDATE leaf SET data = x'\(hex(leaves[5]))', hash = x'\(hex(MerkleHasher.leafHash(leaves[5])))' WHERE idx = 5"]
        for leaf in leaves {
            for subtree in try edge.appendReportingSubtrees(leafHash: MerkleHasher.leafHash(leaf)) {
                statements.append("UPDATE subtree SET hash = x'\(hex(subtree.hash))' WHERE level = \(subtree.level) AND idx = \(subtree.index)")
            }
        }
        try fixture.tamper(statements.joined(separator: ";\n"))
        try fixture.log.appendBlocking([AuditFixture.event(16)])
        #expect { try fixture.log.signCheckpoint(with: fixture.signer, now: 2) } throws: { ($0 as? StoreError)?.code == .conflict }
    }

    @Test("index columns that disagree with their leaf are named; escaped text still matches")
    func columnMismatch() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<6)
        try fixture.log.appendBlocking([AuditEvent(time: 7, kind: .peerAdded, actor: .daemon, peer: "odd \"peer\"\n\\",
                                                   package: nil)])
        #expect(try fixture.log.verifyStorage().isEmpty)
        try fixture.tamper("UPDATE leaf SET peer = 'peer-9' WHERE idx = 3; UPDATE leaf SET package = NULL WHERE idx = 4; UPDATE leaf SET time = 1 WHERE idx = 5")
        let issues = try fixture.log.verifyStorage().filter { $0.code == .columnMismatch }
        #expect(issues.map(\.entry) == [3, 4, 5])
    }

    @Test("a dropped journal-mark trigger is reported: a mark moved by hand would have journal entries skipped or taken twice")
    func journalMarkTriggers() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<3)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        try DatabaseQueue(path: fixture.path, configuration: configuration).write { db in
            try db.execute(sql: "DROP TRIGGER journal_mark_only_grows")
        }
        let issues = try fixture.log.verifyStorage()
        #expect(issues.map(\.code) == [.triggerMissing] && issues[0].message.contains("journal_mark_only_grows"), "\(issues)")
    }

    @Test("INSERT OR REPLACE cannot rewrite an interior node, a cosignature, a witnessed log or a journal mark; the daemon's own writes still go through")
    func replaceRefused() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<16)
        let stored = try fixture.log.signCheckpoint(with: fixture.signer, now: 1)
        let witness = try Cosigner(name: "witness.test/bravo", secretKey: try LogSecretKey())
        let line = try witness.cosign(stored.checkpoint, timestamp: 1_795_651_200)
        try fixture.log.addCosignature(size: 16, line: line, timestamp: 1_795_651_200, now: 2)
        let later = try witness.cosign(stored.checkpoint, timestamp: 1_795_651_300)
        try fixture.log.addCosignature(size: 16, line: later, timestamp: 1_795_651_300, now: 3)   // kept: the first
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let raw = try DatabaseQueue(path: fixture.path, configuration: configuration)
        let store = String(repeating: "a", count: 32)
        try raw.write { db in
            try db.execute(sql: "INSERT INTO journal_mark (store, seq) VALUES (?, 40)", arguments: [store])
            try db.execute(sql: "INSERT INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES ('liaison/x', 'x', 30, zeroblob(32), 'n', 1)")
        }
        let before = try raw.read { db in
            try Row.fetchAll(db, sql: "SELECT hash FROM subtree UNION ALL SELECT line FROM cosignature UNION ALL SELECT seq FROM journal_mark UNION ALL SELECT size FROM witnessed_log")
        }
        for (sql, message) in [
            ("INSERT OR REPLACE INTO subtree (level, idx, hash) VALUES (4, 0, zeroblob(32))", "subtree rows cannot be replaced"),
            ("INSERT OR REPLACE INTO journal_mark (store, seq) VALUES ('\(store)', 1)", "a journal mark only moves forward"),
            ("INSERT OR REPLACE INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES ('liaison/x', 'x', 2, zeroblob(32), 'n', 2)",
             "a witnessed log only moves forward"),
            // A fork at the size the witness cosigned: another root, by insert or by update.
            ("INSERT OR REPLACE INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES ('liaison/x', 'x', 30, randomblob(32), 'n', 2)",
             "never to another root at its size"),
            ("UPDATE witnessed_log SET root = randomblob(32) WHERE origin = 'liaison/x'", "never to another root at its size"),
        ] {
            #expect(Comment(rawValue: sql)) { try raw.write { try $0.execute(sql: sql) } } throws: { "\($0)".contains(message) }
        }
        // A replaced cosignature is skipped, as the daemon's own second one is.
        try raw.write { try $0.execute(sql: "INSERT OR REPLACE INTO cosignature (size, witness, key_id, line, timestamp, received_at) SELECT size, witness, key_id, 'forged', 1, 1 FROM cosignature") }
        let after = try raw.read { db in
            try Row.fetchAll(db, sql: "SELECT hash FROM subtree UNION ALL SELECT line FROM cosignature UNION ALL SELECT seq FROM journal_mark UNION ALL SELECT size FROM witnessed_log")
        }
        #expect(after == before)
        // Moving forward is still allowed (the same root again at its size too), and nothing is reported missing.
        try raw.write { try $0.execute(sql: "INSERT INTO journal_mark (store, seq) VALUES (?, 41) ON CONFLICT (store) DO UPDATE SET seq = excluded.seq", arguments: [store]) }
        try raw.write { try $0.execute(sql: "UPDATE witnessed_log SET note = 'n2', updated_at = 3 WHERE origin = 'liaison/x'") }
        try raw.write { try $0.execute(sql: "UPDATE witnessed_log SET size = 31, root = randomblob(32) WHERE origin = 'liaison/x'") }
        #expect(try fixture.log.verifyStorage().isEmpty)
        try raw.write { try $0.execute(sql: "DROP TRIGGER subtree_no_replace") }
        #expect(try fixture.log.verifyStorage().map(\.message).contains { $0.contains("subtree_no_replace") })
    }

    @Test("a read-only handle reads but cannot append")
    func readOnly() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<3)
        let reader = try AuditLog(readingOnly: fixture.path)
        #expect(try reader.size() == 3)
        #expect(throws: StoreError.self) { try reader.appendBlocking([AuditFixture.event(3)]) }
        #expect(throws: StoreError.self) { try AuditLog(readingOnly: fixture.directory.file("missing.db")) }
    }
}

func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

@Suite("Audit checkpoint signer")
struct AuditCheckpointSignerTests {
    @Test("an altered interior node above the newest checkpoint is caught by the consistency proof")
    func alteredInteriorNode() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<16)
        try fixture.log.signCheckpoint(with: fixture.signer, now: 1)
        try fixture.fill(16..<32)
        // The node over entries 0..<32 no longer matches them, while 0..<16 still does.
        try fixture.tamper("UPDATE subtree SET hash = zeroblob(32) WHERE level = 5 AND idx = 0")
        #expect { try fixture.log.signCheckpoint(with: fixture.signer, now: 2) } throws: { ($0 as? StoreError)?.code == .conflict }
        #expect(try fixture.log.checkpoints().map(\.size) == [16])
    }
}

@Suite("Audit proofs checked before they are given")
struct AuditProvenEntryTests {
    @Test("an entry edited in the file with its hash recomputed gets no proof; the others still do, and verify")
    func editedEntryGetsNoProof() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<40)
        let checkpoint = try fixture.log.signCheckpoint(with: fixture.signer, now: 1).checkpoint
        let honest = try fixture.log.provenEntry(index: 20, in: checkpoint)
        #expect(honest.leaf == AuditFixture.event(20).canonicalBytes)
        #expect(MerkleTree.verifyInclusion(leafHash: MerkleHasher.leafHash(honest.leaf), index: 20, size: 40, proof: honest.hashes,
                                           root: checkpoint.rootHash))

        // What someone with sqlite3 can do: another outcome, and the leaf hash to match.
        let forged = AuditFixture.event(20, kind: .policyDenied).canonicalBytes
        try fixture.tamper("UPDATE leaf SET data = X'\(hex(forged))', hash = X'\(hex(MerkleHasher.leafHash(forged)))', kind = 'policy.denied' WHERE idx = 20")
        #expect { try fixture.log.provenEntry(index: 20, in: checkpoint) } throws: { ($0 as? StoreError)?.code == .corrupt }
        #expect(try fixture.log.provenEntry(index: 5, in: checkpoint).leaf == AuditFixture.event(5).canonicalBytes)
    }
}

