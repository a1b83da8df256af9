import Foundation
import GRDB
import LiaisonAudit
import LiaisonCrypto
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// A witness keeps what it cosigned per log name and log key, so that a second key
/// under a name (someone holding a node's retired first identity key) can neither
/// move nor block the record of the real log, whichever asked first.
@Suite("Witnessed logs, kept per log key")
struct WitnessedLogTests {
    static let origin = "liaison/0123456789abcdef"

    struct Log {
        let signer: NoteSigner
        var key: NoteVerifierKey { signer.verifierKey }
        init() throws { signer = try NoteSigner(name: WitnessedLogTests.origin, secretKey: try LogSecretKey()) }

        func checkpoint(_ size: Int, _ fill: UInt8) throws -> (Checkpoint, String) {
            let checkpoint = try Checkpoint(origin: WitnessedLogTests.origin, size: size, rootHash: [UInt8](repeating: fill, count: 32))
            return (checkpoint, String(decoding: try signer.sign(checkpoint).bytes, as: UTF8.self))
        }

        func record(_ size: Int, _ fill: UInt8, in log: AuditLog, expected: WitnessedLog?) throws {
            let (checkpoint, note) = try checkpoint(size, fill)
            try log.recordWitnessed(checkpoint, note: note, peer: "peer", logKey: key, expected: expected, now: 1)
        }
    }

    @Test("two log keys under one name keep two records; neither moves the other")
    func recordPerKey() throws {
        let fixture = try AuditFixture()
        let real = try Log(), other = try Log()
        try real.record(5, 1, in: fixture.log, expected: nil)
        try other.record(1, 9, in: fixture.log, expected: nil)
        let realState = try #require(try fixture.log.witnessedLog(origin: Self.origin, logKey: real.key))
        #expect(realState.size == 5 && realState.root == [UInt8](repeating: 1, count: 32) && realState.logKey == real.key.publicKey.rawRepresentation)
        let otherState = try #require(try fixture.log.witnessedLog(origin: Self.origin, logKey: other.key))
        #expect(otherState.size == 1)
        try real.record(7, 2, in: fixture.log, expected: realState)
        #expect(try fixture.log.witnessedLog(origin: Self.origin, logKey: other.key) == otherState)
        #expect(try fixture.log.witnessedLog(origin: Self.origin, logKey: real.key)?.size == 7)
        // A stale expectation is a conflict, not an overwrite.
        #expect { try real.record(8, 3, in: fixture.log, expected: realState) } throws: { ($0 as? StoreError)?.code == .conflict }
        #expect(try fixture.log.witnessedLogs(origin: Self.origin).count == 2)
        #expect(try fixture.log.verifyStorage().isEmpty)
    }

    @Test("a record made before keys were kept is the key's its note verifies with, and is given that key")
    func legacyRecordAdopted() throws {
        let directory = TemporaryDirectory(prefix: "liaison-witnessed")
        let path = directory.file(AuditLog.fileName)
        let real = try Log(), other = try Log()
        let (checkpoint, note) = try real.checkpoint(4, 1)
        // A log as the release before wrote it: witnessed_log keyed by the name alone.
        do {
            let queue = try DatabaseQueue(path: path)
            try AuditSchema.migrator.migrate(queue, upTo: "audit-v5-witnessed-root")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES (?, 'peer', ?, ?, ?, 1)",
                               arguments: [Self.origin, checkpoint.size, Data(checkpoint.rootHash), note])
            }
        }
        let log = try AuditLog(path: path)
        let legacy = try #require(try log.witnessedLog(origin: Self.origin, logKey: real.key))
        #expect(legacy.logKey == nil && legacy.size == 4 && legacy.note == note)
        // Another key finds no record of its own, and starts one beside it.
        #expect(try log.witnessedLog(origin: Self.origin, logKey: other.key) == nil)
        try other.record(1, 9, in: log, expected: nil)
        #expect(try log.witnessedLog(origin: Self.origin, logKey: real.key) == legacy)
        // The real key moves its record on, which now names it.
        try real.record(6, 2, in: log, expected: legacy)
        let adopted = try #require(try log.witnessedLog(origin: Self.origin, logKey: real.key))
        #expect(adopted.logKey == real.key.publicKey.rawRepresentation && adopted.size == 6)
        #expect(try log.witnessedLogs(origin: Self.origin).map(\.size).sorted() == [1, 6])
        #expect(try log.verifyStorage().isEmpty)
    }
}
