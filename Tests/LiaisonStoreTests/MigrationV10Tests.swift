import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Migration `v10-delivery-knows-its-expiry` on a database a v9 node wrote: every
/// delivery, final ones included, takes its package's expiry; the sweep then finds
/// the expired queued ones through its index, and the copy cannot drift from the
/// package.
@Suite("Migration v10: a delivery carries its package's expiry")
struct MigrationV10Tests {
    let now = StoreFixture.now

    private static func insert(_ package: OutboxPackage, _ deliveries: [(peer: String, state: String)], into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO outbox_package (id, path, size, created, expires, tlp, markings, sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [package.id.description, package.path, package.size, package.created, package.expires,
                             package.tlp.label, package.markings, package.sha256])
        for (peer, state) in deliveries {
            try db.execute(sql: "INSERT INTO delivery (package_id, peer, state, next_attempt, delivered_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [package.id.description, peer, state, package.created, state == "delivered" ? package.created + 1 : nil])
        }
    }

    @Test("rows a v9 node wrote take their package's expiry, final rows included; the sweep then expires exactly the expired queued ones")
    func backfillsAndSweeps() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v9")
        let path = directory.file(NodeStore.fileName)
        let expiring = try StoreFixture.package(1, expires: now + 60)
        let lasting = try StoreFixture.package(2, expires: now + 86_400)
        let forever = try StoreFixture.package(3)
        do {
            let v9 = try StoreFixture.database(at: path, migratedUpTo: "v9-volume-by-sender-key")
            try await v9.write { db in
                try Self.insert(expiring, [("bob", "delivered"), ("carol", "queued"), ("dave", "expired")], into: db)
                try Self.insert(lasting, [("bob", "queued")], into: db)
                try Self.insert(forever, [("bob", "queued"), ("carol", "failed")], into: db)
            }
            try v9.close()
        }

        let store = try NodeStore(path: path)
        let copied = try store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT d.package_expires AS copy, p.expires AS original FROM delivery d JOIN outbox_package p ON p.id = d.package_id")
        }
        #expect(copied.count == 6)
        for row in copied { #expect(row["copy"] as Int64? == row["original"] as Int64?) }

        #expect(try store.hasExpiredDue(now: now + 59) == false)
        #expect(try store.hasExpiredDue(now: now + 60))
        let expired = try await store.expireDue(now: now + 3_600)
        #expect(expired.map { "\($0.packageID)/\($0.peer)" } == ["\(expiring.id)/carol"])
        #expect(try store.dueDeliveries(now: now + 86_400, limit: 10).map(\.packageID) == [forever.id])
        #expect(try store.duePeers(now: now + 3_600) == ["bob"])
        #expect(try await store.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test("a delivery's copy of the expiry is its package's and never changes, whoever writes the row")
    func copyCannotDrift() async throws {
        let fixture = try StoreFixture()
        let package = try StoreFixture.package(4, expires: now + 60)
        try await fixture.store.enqueue(package, recipients: ["bob"])
        #expect(try await fixture.store.pool.read {
            try Int64.fetchOne($0, sql: "SELECT package_expires FROM delivery WHERE peer = 'bob'")
        } == now + 60)

        let raw = try fixture.rawConnection()
        for statement in [
            "INSERT INTO delivery (package_id, peer, next_attempt, package_expires) VALUES ('\(package.id)', 'carol', 0, \(now + 3_600))",
            "INSERT INTO delivery (package_id, peer, next_attempt) VALUES ('\(package.id)', 'carol', 0)",
            "UPDATE delivery SET package_expires = NULL WHERE peer = 'bob'",
            "UPDATE delivery SET package_expires = \(now + 3_600) WHERE peer = 'bob'",
        ] {
            let refused = #expect(throws: DatabaseError.self, "\(statement)") { try raw.write { try $0.execute(sql: statement) } }
            #expect(refused?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER)
        }
        #expect(try fixture.store.deliveries(packageID: package.id).map(\.peer) == ["bob"])
    }
}
