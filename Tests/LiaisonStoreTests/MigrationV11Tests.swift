import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Migration `v11-outbox-files-pruned` on a database a v10 node wrote: its rows
/// take the new column unpruned, a home file sent in full can then be pruned,
/// and a whole path an older release wrote is left alone.
@Suite("Migration v11: outbox files can be pruned")
struct MigrationV11Tests {
    let now = StoreFixture.now

    @Test("a v10 database migrates; its home file sent in full is pruned, a path elsewhere is not")
    func migratesAndPrunes() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v10")
        let path = directory.file(NodeStore.fileName)
        let home = try StoreFixture.package(1, created: now - 86_400)
        let elsewhere = try StoreFixture.package(2, created: now - 86_400)
        do {
            let v10 = try StoreFixture.database(at: path, migratedUpTo: "v10-delivery-knows-its-expiry")
            try await v10.write { db in
                for (package, stored) in [(home, "outbox/\(home.id).lpkg"), (elsewhere, "/srv/old/\(elsewhere.id).lpkg")] {
                    try db.execute(sql: """
                        INSERT INTO outbox_package (id, path, size, created, tlp, markings) VALUES (?, ?, ?, ?, 'GREEN', 'TLP:GREEN')
                        """, arguments: [package.id.description, stored, package.size, package.created])
                    try db.execute(sql: """
                        INSERT INTO delivery (package_id, peer, state, next_attempt, delivered_at) VALUES (?, 'bob', 'delivered', ?, ?)
                        """, arguments: [package.id.description, package.created, package.created + 1])
                }
            }
            try v10.close()
        }
        let store = try NodeStore(path: path)
        #expect(try store.outbox(limit: 10).allSatisfy { $0.package.prunedAt == nil })
        #expect(try await store.pruneOutboxFiles(queuedBefore: now, now: now).map(\.id) == [home.id])
        #expect(try store.outboxPackage(id: elsewhere.id)?.prunedAt == nil)
        #expect(try await store.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }
}
