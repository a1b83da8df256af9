import Foundation
import GRDB
import LiaisonAudit
import LiaisonCrypto
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// A log begun after another (`liaison audit new-log`) is named once, before its
/// first entry, and carries over the old log's state that is not history.
@Suite("Audit log succession (store)")
struct LogSuccessionStoreTests {
    static let succession = LogSuccession(
        statement: LogSuccessionStatement(origin: "liaison/abc/20261129T210000Z", succeeds: "liaison/abc", succeededSize: 5,
                                          succeededRoot: [UInt8](repeating: 2, count: 32), begunAt: 1_795_986_000),
        signature: [UInt8](repeating: 3, count: 64))

    @Test("a new log carries over the journal marks and witness state, is named once and before any entry, and its name cannot change")
    func namedOnce() throws {
        let old = try AuditFixture()
        try old.fill(0..<5)
        try old.log.write("test") { db in
            try db.execute(sql: "INSERT INTO journal_mark (store, seq) VALUES (?, 42)", arguments: [String(repeating: "a", count: 32)])
            try db.execute(sql: "INSERT INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES ('liaison/peer', 'p', 7, ?, 'note', 9)",
                           arguments: [Data(repeating: 1, count: 32)])
        }
        let new = try AuditFixture()
        #expect(try new.log.succession() == nil)
        try new.log.beginAsSuccessor(Self.succession, after: old.log)
        #expect(try new.log.succession() == Self.succession && (try new.log.succession())?.label == "20261129T210000Z")
        #expect(try new.log.journalMarks() == [String(repeating: "a", count: 32): 42])
        #expect(try new.log.witnessedLogs().map(\.size) == [7])
        // Once only, and never over a log with entries.
        #expect(throws: StoreError.self) { try new.log.beginAsSuccessor(Self.succession, after: nil) }
        #expect(throws: StoreError.self) { try old.log.beginAsSuccessor(Self.succession, after: nil) }
        #expect(throws: StoreError.self) {
            let unlabelled = LogSuccessionStatement(origin: "liaison/abc/yesterday", succeeds: "liaison/abc", succeededSize: nil,
                                                    succeededRoot: nil, begunAt: 0)
            try new.log.beginAsSuccessor(LogSuccession(statement: unlabelled, signature: Self.succession.signature), after: nil)
        }
        try new.fill(0..<2)
        #expect(try new.log.verifyStorage().isEmpty)
        // The schema holds it too, against a hand with sqlite3 that leaves the triggers.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let raw = try DatabaseQueue(path: new.path, configuration: configuration)
        #expect(throws: (any Error).self) { try raw.write { try $0.execute(sql: "UPDATE log_name SET origin = 'liaison/abc/20991231T000000Z'") } }
        #expect(throws: (any Error).self) { try raw.write { try $0.execute(sql: "DELETE FROM log_name") } }
        // A log with entries cannot be named after the fact.
        let unnamed = try AuditFixture()
        try unnamed.fill(0..<1)
        let rawUnnamed = try DatabaseQueue(path: unnamed.path, configuration: configuration)
        #expect(throws: (any Error).self) {
            try rawUnnamed.write { try $0.execute(sql: "INSERT INTO log_name VALUES (1, 'liaison/abc/20261129T210000Z', 'liaison/abc', NULL, NULL, 0, zeroblob(64))") }
        }
        // Dropping a trigger is reported.
        try raw.write { try $0.execute(sql: "DROP TRIGGER log_name_no_update") }
        let issues = try new.log.verifyStorage()
        #expect(issues.map(\.code) == [.triggerMissing] && issues[0].message.contains("log_name_no_update"), "\(issues)")
    }

    @Test("the witness state of a node's logs comes back the first first and the one begun last at the end, without other nodes' logs")
    func witnessedFamily() throws {
        let fixture = try AuditFixture()
        try fixture.log.write("test") { db in
            for origin in ["liaison/abc/20261201T000000Z", "liaison/abc", "liaison/abcd", "liaison/abc/20261129T000000Z", "liaison/abc/x"] {
                try db.execute(sql: "INSERT INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES (?, 'p', 1, ?, 'n', 0)",
                               arguments: [origin, Data(repeating: 1, count: 32)])
            }
        }
        #expect(try fixture.log.witnessedLogs(family: "liaison/abc").map(\.origin)
                    == ["liaison/abc", "liaison/abc/20261129T000000Z", "liaison/abc/20261201T000000Z"])
        #expect(try fixture.log.witnessedLogs(family: "liaison/zzz").isEmpty)
        // All of them in one read, by node: the same order, other nodes' logs apart.
        let byFamily = try fixture.log.witnessedLogsByFamily()
        #expect(byFamily["liaison/abc"]?.map(\.origin) == ["liaison/abc", "liaison/abc/20261129T000000Z", "liaison/abc/20261201T000000Z"])
        #expect(byFamily["liaison/abcd"]?.map(\.origin) == ["liaison/abcd"] && byFamily["liaison/abc/x"]?.map(\.origin) == ["liaison/abc/x"])
    }
}
