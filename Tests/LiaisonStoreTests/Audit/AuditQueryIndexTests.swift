import Foundation
import GRDB
import LiaisonAudit
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Audit query index (merged B-tree and runs)")
struct AuditQueryIndexTests {
    /// Event `n` about one of 7 peers and one of 40 packages, every fifth of another kind.
    private static func event(_ n: Int) -> AuditEvent {
        AuditEvent(time: 1_795_651_200_000 + Int64(n), kind: n % 5 == 0 ? .handshakeRejected : .packageReceived, actor: .daemon,
                   peer: n % 11 == 0 ? nil : "peer-\(n % 7)", package: n % 13 == 0 ? nil : String(format: "%032x", n % 40),
                   details: ["n": String(n)])
    }

    /// Every entry of the log, decoded: what a query must agree with.
    private static func everything(_ log: AuditLog) throws -> [AuditEntry] {
        var all = AuditQuery()
        all.limit = Int.max
        return try log.query(all)
    }

    /// A query answered by filtering every entry: the reference.
    private static func expected(_ query: AuditQuery, in entries: [AuditEntry]) -> [Int] {
        let matching = entries.filter { entry in
            (query.peers.isEmpty || entry.event.peer.map(query.peers.contains) == true)
                && (query.package.map { entry.event.package == $0 } ?? true)
                && (query.kinds.isEmpty || query.kinds.contains(entry.event.kind))
                && (query.cursor.map { query.newestFirst ? entry.index < $0 : entry.index > $0 } ?? true)
        }.map(\.index)
        return Array((query.newestFirst ? matching.reversed() : matching).prefix(query.limit))
    }

    private static func queries() -> [AuditQuery] {
        var queries: [AuditQuery] = []
        for newestFirst in [false, true] {
            for limit in [1, 7, 500] {
                for cursor in [nil, 300, 1_030, 1_200] as [Int?] {
                    var byPeer = AuditQuery()
                    byPeer.peers = ["peer-3"]
                    var byPackage = AuditQuery()
                    byPackage.package = String(format: "%032x", 17)
                    var byBoth = AuditQuery()
                    byBoth.peers = ["peer-4"]
                    byBoth.package = String(format: "%032x", 25)
                    var byPeerAndKind = AuditQuery()
                    byPeerAndKind.peers = ["peer-5"]
                    byPeerAndKind.kinds = [.handshakeRejected]
                    var unknown = AuditQuery()
                    unknown.peers = ["nobody"]
                    // A peer's successive keys: several fingerprints, one known nowhere.
                    var byPeers = AuditQuery()
                    byPeers.peers = ["peer-6", "peer-2", "nobody", "peer-2"]
                    var byPeersAndPackage = AuditQuery()
                    byPeersAndPackage.peers = ["peer-1", "peer-3"]
                    byPeersAndPackage.package = String(format: "%032x", 31)
                    var byPeersAndKind = AuditQuery()
                    byPeersAndKind.peers = ["peer-0", "peer-5"]
                    byPeersAndKind.kinds = [.handshakeRejected]
                    for var query in [byPeer, byPackage, byBoth, byPeerAndKind, unknown, byPeers, byPeersAndPackage, byPeersAndKind] {
                        query.newestFirst = newestFirst
                        query.limit = limit
                        query.cursor = cursor
                        queries.append(query)
                    }
                }
            }
        }
        return queries
    }

    @Test("queries by peer and package agree with a full scan before, across and after a merge of the runs")
    func queriesAcrossMerge() throws {
        let fixture = try AuditFixture()
        let log = fixture.log
        // One run per append: the 1,024th merges them, later appends start new runs.
        let appends = LeafKeyIndex.mergeRuns + 200
        for n in 0..<appends { try log.appendBlocking([Self.event(2 * n), Self.event(2 * n + 1)]) }
        let backlog = try log.read("") { try LeafKeyIndex.backlog($0) }
        #expect(backlog.runs == 200)
        let merged = try log.read("") { try Int.fetchOne($0, sql: "SELECT count(*) FROM leaf_key") ?? 0 }
        #expect(merged > 0)
        let entries = try Self.everything(log)
        #expect(entries.count == 2 * appends)
        for query in Self.queries() {
            #expect(try log.query(query).map(\.index) == Self.expected(query, in: entries), "\(query)")
        }
        #expect(try log.verifyStorage().isEmpty)
    }

    @Test("a log written by schema v1 is migrated: its leaves are filed in the index and it keeps growing the same tree")
    func migratesVersion1() throws {
        let directory = TemporaryDirectory(prefix: "liaison-audit-v1")
        let path = directory.file(AuditLog.fileName)
        var reference = MerkleAccumulator()
        do {
            let queue = try DatabaseQueue(path: path)
            try AuditSchema.migrator.migrate(queue, upTo: "audit-v1")
            try queue.write { db in
                for n in 0..<100 {
                    let leaf = PendingLeaf(Self.event(n))
                    try db.execute(sql: "INSERT INTO leaf (idx, hash, data, time, kind, outcome, peer, package) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   arguments: [n, Data(leaf.hash), Data(leaf.data), leaf.time, leaf.kind.rawValue,
                                               leaf.outcome.rawValue, leaf.peer, leaf.package])
                    for subtree in try reference.appendReportingSubtrees(leafHash: leaf.hash) where subtree.level >= AuditLog.minimumStoredLevel {
                        try db.execute(sql: "INSERT INTO subtree (level, idx, hash) VALUES (?, ?, ?)",
                                       arguments: [subtree.level, subtree.index, Data(subtree.hash)])
                    }
                }
            }
        }
        let log = try AuditLog(path: path)
        #expect(try log.read("") { try Int.fetchOne($0, sql: "SELECT count(*) FROM leaf_key") } == (0..<100).reduce(0) {
            $0 + LeafKey.keys(peer: Self.event($1).peer, package: Self.event($1).package).count
        })
        #expect(try log.read("") { try $0.indexes(on: "leaf").map(\.name) } == ["leaf_time"])
        try log.appendBlocking((100..<150).map(Self.event))
        for n in 100..<150 { reference.append(leafData: Self.event(n).canonicalBytes) }
        #expect(try log.root(size: 150) == reference.root)
        let entries = try Self.everything(log)
        for query in Self.queries() {
            #expect(try log.query(query).map(\.index) == Self.expected(query, in: entries), "\(query)")
        }
        #expect(try log.verifyStorage().isEmpty)
        #expect(throws: (any Error).self) { try log.write("") { try $0.execute(sql: "DELETE FROM leaf_key") } }
    }

    @Test("an index entry removed from the B-tree or from a run, or one added, a run out of order, or a dropped table, is reported", arguments: [
        "DELETE FROM leaf_key WHERE key = (SELECT min(key) FROM leaf_key)",
        "DELETE FROM leaf_key_run WHERE first = (SELECT max(first) FROM leaf_key_run)",
        "INSERT INTO leaf_key (key, idx) VALUES (42, 3)",
        "UPDATE leaf_key SET idx = idx + 100000 WHERE key = (SELECT min(key) FROM leaf_key)",
        // The same entries, so the same digest, but not where queries look for them.
        "UPDATE leaf_key_run SET first = first + 1 WHERE first = (SELECT max(first) FROM leaf_key_run)",
        "UPDATE leaf_key_run SET entries = CAST(substr(entries, 17) || substr(entries, 1, 16) AS BLOB) WHERE first = (SELECT max(first) FROM leaf_key_run WHERE length(entries) >= 32)",
        "DROP TABLE leaf_key",
        "DROP TABLE leaf_key_run",
    ])
    func tamperedIndex(sql: String) throws {
        let fixture = try AuditFixture()
        // Some events have neither peer nor package, and file no run.
        for n in 0..<(LeafKeyIndex.mergeRuns + 30) { try fixture.log.appendBlocking([Self.event(n)]) }
        #expect(try fixture.log.read("") { try LeafKeyIndex.backlog($0).runs } > 0)
        #expect(try fixture.log.read("") { try Int.fetchOne($0, sql: "SELECT count(*) FROM leaf_key") ?? 0 } > 0)
        #expect(try fixture.log.verifyStorage().isEmpty)
        try fixture.tamper(sql)
        let issues = try fixture.log.verifyStorage()
        #expect(issues.contains { $0.code == .queryIndexMismatch }, "\(issues)")
        #expect(!issues.contains { [.leafHashMismatch, .indexGap, .columnMismatch, .interiorMismatch].contains($0.code) })
    }

    @Test("a run holding an entry outside the log stops the next merge with a clear error, not a constraint failure every commit")
    func strayRunEntry() throws {
        let fixture = try AuditFixture()
        try fixture.log.appendBlocking([Self.event(0)])
        // Entry 1,000,000 under key 1, in a log of one entry.
        try fixture.tamper("INSERT INTO leaf_key_run (first, entries) VALUES (1000000, x'000000000000000100000000000F4240')")
        var failure: StoreError?
        // Some events file no run: enough appends that the runs reach a merge.
        for n in 1...(3 * LeafKeyIndex.mergeRuns) where failure == nil {
            do { try fixture.log.appendBlocking([Self.event(n)]) } catch let error as StoreError { failure = error }
        }
        let error = try #require(failure, "the merge took an entry outside the log")
        #expect(error.code == .corrupt && error.message.contains("outside the log"), "\(error)")
    }

    @Test("runs read in place: binary search finds every index filed under a key and nothing else")
    func runSearch() throws {
        let entries = (0..<300).map { LeafKeyEntry(key: LeafKey(value: Int64($0 % 9) - 4), index: $0) }.sorted()
        let blob = LeafKeyRun.encode(entries)
        try blob.withUnsafeBytes { blob in
            #expect(try LeafKeyRun.decode(blob) == entries)
            for value in -6...6 {
                var found: [Int] = []
                try LeafKeyRun.indices(of: LeafKey(value: Int64(value)), in: blob, into: &found)
                #expect(found == entries.filter { $0.key.value == Int64(value) }.map(\.index))
            }
            #expect(throws: StoreError.self) { try LeafKeyRun.decode(UnsafeRawBufferPointer(rebasing: blob.dropLast())) }
        }
    }
}
