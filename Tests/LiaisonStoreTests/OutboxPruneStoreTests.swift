import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Pruning in the store: only packages kept in the home's own outbox files,
/// queued before the cut, with every delivery closed; once; and the schema
/// refuses anything else.
@Suite("Outbox prune in the store")
struct OutboxPruneStoreTests {
    let now = StoreFixture.now

    /// Package `n`, kept in `<home>/outbox/<id>.lpkg` of `fixture`'s home (as the daemon writes it).
    private static func filed(_ n: Int, created: Int64, in fixture: StoreFixture) throws -> OutboxPackage {
        var package = try StoreFixture.package(n, created: created)
        package.path = fixture.directory.file("outbox/\(package.id).lpkg")
        return package
    }

    @Test("only home files of packages with every delivery closed and queued before the cut are pruned, a batch at a time, once")
    func selection() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let old = now - 86_400
        let delivered = try Self.filed(1, created: old, in: fixture)
        let half = try Self.filed(2, created: old, in: fixture)
        var inline = try StoreFixture.package(3, created: old)
        inline.path = nil
        let recent = try Self.filed(4, created: now, in: fixture)
        let failed = try Self.filed(5, created: old, in: fixture)
        let expired = try Self.filed(6, created: old, in: fixture)
        let elsewhere = try StoreFixture.package(7, created: old)   // a path outside the home, as an old release wrote
        let sending = try Self.filed(8, created: old, in: fixture)
        try await store.enqueue(delivered, recipients: ["bob"])
        try await store.enqueue(half, recipients: ["bob", "carol"])
        try await store.enqueue(inline, body: [UInt8](repeating: 1, count: Int(inline.size)), recipients: ["bob"])
        try await store.enqueue(recent, recipients: ["bob"])
        try await store.enqueue(failed, recipients: ["bob"])
        try await store.enqueue(expired, recipients: ["bob", "carol"])
        try await store.enqueue(elsewhere, recipients: ["bob"])
        try await store.enqueue(sending, recipients: ["bob"])
        let signer = try StoreFixture.fingerprint()
        for n in [1, 2, 3, 4, 6, 7] {
            #expect(try await store.markDelivered(try StoreFixture.receipt(n, peer: "bob", signedBy: signer, at: now)))
        }
        try await store.markFailed(packageID: failed.id, peer: "bob", error: "refused")
        try await store.commit("expire by hand") { db in
            try db.execute(sql: "UPDATE delivery SET state = 'expired' WHERE package_id = ? AND peer = 'carol'", arguments: [expired.id.description])
        }
        #expect(try await store.markSending(packageID: sending.id, peer: "bob"))

        // A batch at a time: the first call takes one, the next the rest.
        let first = try await store.pruneOutboxFiles(queuedBefore: now - 3_600, now: now, limit: 1)
        #expect(first.count == 1)
        let pruned = first + (try await store.pruneOutboxFiles(queuedBefore: now - 3_600, now: now))
        #expect(pruned.count == 3)
        #expect(Set(pruned.map(\.id)) == [delivered.id, failed.id, expired.id])
        #expect(try store.outboxPackage(id: delivered.id)?.prunedAt == now)
        #expect(try store.outboxPackage(id: half.id)?.prunedAt == nil)
        #expect(try store.outboxPackage(id: elsewhere.id)?.prunedAt == nil, "a path outside the home's outbox is left alone")
        #expect(try store.outbox(limit: 10).count == 8, "the rows stay")
        #expect(try store.receipts(limit: 10).count == 6, "the receipts stay")
        #expect(try await store.pruneOutboxFiles(queuedBefore: now - 3_600, now: now + 1).isEmpty)
        #expect(try await store.pruneOutboxFiles(queuedBefore: now + 1, now: now + 1).map(\.id) == [recent.id])
    }

    @Test("the schema refuses to prune a package with an open delivery, one kept in its row, twice, to change anything else, or to reopen or add a delivery")
    func schemaGuards() async throws {
        let fixture = try StoreFixture()
        let open = try Self.filed(1, created: now, in: fixture)
        var small = try StoreFixture.package(2)
        small.path = nil
        let done = try Self.filed(3, created: now, in: fixture)
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
            "UPDATE delivery SET state = 'queued' WHERE package_id = '\(done.id)'",
            "INSERT INTO delivery (package_id, peer, next_attempt) VALUES ('\(done.id)', 'carol', 0)",
            """
            INSERT INTO outbox_package (id, path, size, created, tlp, markings, pruned_at)
            VALUES ('\(String(repeating: "e", count: 32))', 'outbox/x.lpkg', 1, 1, 'GREEN', 'TLP:GREEN', 2)
            """,
        ] {
            let refused = #expect(throws: DatabaseError.self, "\(statement)") { try raw.write { try $0.execute(sql: statement) } }
            #expect(refused?.resultCode == .SQLITE_CONSTRAINT, "\(statement)")
        }
        #expect(try fixture.store.outboxPackage(id: done.id)?.prunedAt == now)
        #expect(try fixture.store.deliveries(packageID: done.id).map(\.state) == [.failed])
    }
}
