import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Pruning in the store: only packages kept in files, queued before the cut,
/// with every delivery closed; once; and the schema refuses anything else.
@Suite("Outbox prune in the store")
struct OutboxPruneStoreTests {
    let now = StoreFixture.now

    @Test("only files of packages with every delivery closed and queued before the cut are pruned, a batch at a time, once")
    func selection() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let old = now - 86_400
        let delivered = try StoreFixture.package(1, created: old)
        let half = try StoreFixture.package(2, created: old)
        let inline = try StoreFixture.package(3, created: old)
        let recent = try StoreFixture.package(4, created: now)
        let failed = try StoreFixture.package(5, created: old)
        try await store.enqueue(delivered, recipients: ["bob"])
        try await store.enqueue(half, recipients: ["bob", "carol"])
        var small = inline
        small.path = nil
        try await store.enqueue(small, body: [UInt8](repeating: 1, count: Int(small.size)), recipients: ["bob"])
        try await store.enqueue(recent, recipients: ["bob"])
        try await store.enqueue(failed, recipients: ["bob"])
        let signer = try StoreFixture.fingerprint()
        for n in [1, 2, 3, 4] {
            #expect(try await store.markDelivered(try StoreFixture.receipt(n, peer: "bob", signedBy: signer, at: now)))
        }
        try await store.markFailed(packageID: failed.id, peer: "bob", error: "refused")

        // A batch at a time: the first call takes one, the next the rest.
        let first = try await store.pruneOutboxFiles(queuedBefore: now - 3_600, now: now, limit: 1)
        #expect(first.count == 1)
        let pruned = first + (try await store.pruneOutboxFiles(queuedBefore: now - 3_600, now: now))
        #expect(pruned.count == 2)
        #expect(Set(pruned.map(\.id)) == [delivered.id, failed.id])
        #expect(try store.outboxPackage(id: delivered.id)?.prunedAt == now)
        #expect(try store.outboxPackage(id: half.id)?.prunedAt == nil)
        #expect(try store.outbox(limit: 10).count == 5, "the rows stay")
        #expect(try store.receipts(limit: 10).count == 4, "the receipts stay")
        #expect(try await store.pruneOutboxFiles(queuedBefore: now - 3_600, now: now + 1).isEmpty)
        #expect(try await store.pruneOutboxFiles(queuedBefore: now + 1, now: now + 1).map(\.id) == [recent.id])
    }

    @Test("the schema refuses to prune a package with an open delivery, one kept in its row, twice, or to change anything else")
    func schemaGuards() async throws {
        let fixture = try StoreFixture()
        let open = try StoreFixture.package(1)
        var small = try StoreFixture.package(2)
        small.path = nil
        let done = try StoreFixture.package(3)
        try await fixture.store.enqueue(open, recipients: ["bob"])
        try await fixture.store.enqueue(small, body: [UInt8](repeating: 1, count: Int(small.size)), recipients: ["bob"])
        try await fixture.store.enqueue(done, recipients: ["bob"])
        try await fixture.store.markFailed(packageID: done.id, peer: "bob", error: "refused")
        try await fixture.store.markFailed(packageID: small.id, peer: "bob", error: "refused")
        #expect(try await fixture.store.pruneOutboxFiles(queuedBefore: now + 1, now: now).map(\.id) == [done.id])

        let raw = try fixture.rawConnection()
        for statement in [
            "UPDATE outbox_package SET pruned_at = 1 WHERE id = '\(open.id)'",
            "UPDATE outbox_package SET pruned_at = 1 WHERE id = '\(small.id)'",
            "UPDATE outbox_package SET pruned_at = 2 WHERE id = '\(done.id)'",
            "UPDATE outbox_package SET pruned_at = NULL WHERE id = '\(done.id)'",
            "UPDATE outbox_package SET markings = 'TLP:CLEAR' WHERE id = '\(done.id)'",
        ] {
            let refused = #expect(throws: DatabaseError.self, "\(statement)") { try raw.write { try $0.execute(sql: statement) } }
            #expect(refused?.resultCode == .SQLITE_CONSTRAINT, "\(statement)")
        }
        #expect(try fixture.store.outboxPackage(id: done.id)?.prunedAt == now)
    }
}
