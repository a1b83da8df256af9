import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Migration `v3-receipt-outranks-expiry` on a database a v2 node wrote: a
/// delivery the sweep expired while its package was in flight takes the
/// receipt that arrives afterwards; everything else about final states holds.
@Suite("Migration v3: a receipt outranks the expiry sweep")
struct MigrationV3Tests {
    let now = StoreFixture.now

    @Test("a v2 database with an expired delivery migrates; the late receipt is then stored, and delivered stays final")
    func expiredThenReceipt() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v2")
        let path = directory.file(NodeStore.fileName)
        let package = try StoreFixture.package(7, expires: now + 60)
        do {
            let v2 = try StoreFixture.database(at: path, migratedUpTo: "v2-inline-packages")
            try await v2.write { db in
                try db.execute(sql: """
                    INSERT INTO outbox_package (id, path, size, created, expires, tlp, markings, sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [package.id.description, package.path, package.size, package.created, package.expires,
                                     package.tlp.label, package.markings, package.sha256])
                try db.execute(sql: "INSERT INTO delivery (package_id, peer, state, next_attempt) VALUES (?, 'bob', 'expired', ?)",
                               arguments: [package.id.description, now])
            }
            // What v2's trigger did: the receipt could not close the delivery.
            let refused = #expect(throws: DatabaseError.self) {
                try v2.write { try $0.execute(sql: "UPDATE delivery SET state = 'delivered', delivered_at = 1") }
            }
            #expect(refused?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER)
            try v2.close()
        }

        let store = try NodeStore(path: path)
        #expect(try store.counts() == StoreCounts(outboxPackages: 1, expired: 1))
        let receipt = try StoreFixture.receipt(7, peer: "bob", signedBy: try StoreFixture.fingerprint(), at: now + 59)
        #expect(try await store.markDelivered(receipt, at: now + 61))
        #expect(try store.counts() == StoreCounts(outboxPackages: 1, delivered: 1))
        #expect(try store.receipts(limit: 10) == [receipt])

        let backwards = await #expect(throws: StoreError.self) {
            try await store.commit("test") { db in
                try db.execute(sql: "UPDATE delivery SET state = 'expired', delivered_at = NULL")
            }
        }
        #expect(backwards?.code == .constraint)
        #expect(try await store.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }
}
