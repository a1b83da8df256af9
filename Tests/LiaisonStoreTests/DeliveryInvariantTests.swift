import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// What the schema refuses even when the store is bypassed: raw SQL through a
/// second connection, as an operator with `sqlite3` could run it.
@Suite("Delivery invariants in the schema")
struct DeliveryInvariantTests {
    let now = StoreFixture.now

    /// A store with package 1 delivered to bob and queued for carol.
    private func deliveredFixture() async throws -> StoreFixture {
        let fixture = try StoreFixture()
        try await fixture.store.enqueue(try StoreFixture.package(1), recipients: ["bob", "carol"])
        #expect(try await fixture.store.markDelivered(try StoreFixture.receipt(1, peer: "bob", signedBy: try StoreFixture.fingerprint(), at: now)))
        return fixture
    }

    /// Runs each statement on `raw` and expects SQLite to refuse it as a constraint
    /// violation: with the extended code `extended` (a trigger, say), or any
    /// constraint's when it is nil.
    private static func expectRefused(_ statements: [String], by extended: ResultCode?, on raw: DatabaseQueue,
                                      sourceLocation: SourceLocation = #_sourceLocation) {
        for sql in statements {
            let error = #expect(throws: DatabaseError.self, "\(sql)", sourceLocation: sourceLocation) {
                try raw.write { try $0.execute(sql: sql) }
            }
            if let extended {
                #expect(error?.extendedResultCode == extended, "\(sql)", sourceLocation: sourceLocation)
            } else {
                #expect(error?.resultCode == .SQLITE_CONSTRAINT, "\(sql)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("a delivery keeps the node it was queued for: only that node's sender gets it as due, and the recipient never changes")
    func recipientNode() async throws {
        let fixture = try StoreFixture()
        let carol = try StoreFixture.fingerprint()
        let someoneElse = try StoreFixture.fingerprint()
        let package = try StoreFixture.package(1)
        try await fixture.store.enqueue([QueuedPackage(package: package, body: nil, recipients: ["bob", "carol"], recipientNodes: ["carol": carol])])
        let later = now + 3600
        #expect(try fixture.store.duePackages(peer: "carol", now: later, excluding: [], limit: 10, node: carol).count == 1)
        #expect(try fixture.store.duePackages(peer: "carol", now: later, excluding: [], limit: 10, node: someoneElse).isEmpty)
        #expect(try fixture.store.openDeliveries(peer: "carol", notFor: someoneElse, limit: 10) == [package.id])
        #expect(try fixture.store.openDeliveries(peer: "carol", notFor: carol, limit: 10).isEmpty)
        // Queued with no node (as before this column): whoever holds the name.
        #expect(try fixture.store.duePackages(peer: "bob", now: later, excluding: [], limit: 10, node: someoneElse).count == 1)
        Self.expectRefused(["UPDATE delivery SET recipient = '\(someoneElse)' WHERE peer = 'carol'",
                            "UPDATE delivery SET recipient = NULL WHERE peer = 'carol'"],
                           by: .SQLITE_CONSTRAINT_TRIGGER, on: try fixture.rawConnection())
    }

    @Test("moving a delivered delivery back aborts (SQLITE_CONSTRAINT_TRIGGER)")
    func deliveredIsFinal() async throws {
        let fixture = try await deliveredFixture()
        let raw = try fixture.rawConnection()
        Self.expectRefused(["UPDATE delivery SET state = 'queued', delivered_at = NULL WHERE peer = 'bob'",
                            "UPDATE delivery SET state = 'sending', delivered_at = NULL WHERE peer = 'bob'",
                            "UPDATE delivery SET delivered_at = delivered_at + 1 WHERE peer = 'bob'",
                            "UPDATE delivery SET attempts = 5 WHERE peer = 'bob'"], by: .SQLITE_CONSTRAINT_TRIGGER, on: raw)
        let bob = try fixture.store.outbox(limit: 1)[0].deliveries[0]
        #expect(bob.state == .delivered && bob.deliveredAt == now)
    }

    @Test("an expired delivery only ever becomes delivered (a receipt outranks the sweep), and is then final")
    func expiredIsFinal() async throws {
        let fixture = try StoreFixture()
        try await fixture.store.enqueue(try StoreFixture.package(2, expires: now + 1), recipients: ["bob"])
        #expect(try await fixture.store.expireDue(now: now + 1).count == 1)
        let raw = try fixture.rawConnection()
        Self.expectRefused(["UPDATE delivery SET state = 'queued'",
                            "UPDATE delivery SET state = 'sending'",
                            "UPDATE delivery SET state = 'failed', last_error = 'x'",
                            "UPDATE delivery SET attempts = 5",
                            "UPDATE delivery SET last_error = 'rewritten'"], by: .SQLITE_CONSTRAINT_TRIGGER, on: raw)
        try await raw.write { try $0.execute(sql: "UPDATE delivery SET state = 'delivered', delivered_at = \(now)") }
        Self.expectRefused(["UPDATE delivery SET state = 'expired', delivered_at = NULL"], by: .SQLITE_CONSTRAINT_TRIGGER, on: raw)
        #expect(try fixture.store.counts().delivered == 1)
    }

    @Test("delivered exactly when delivered_at is set; states are a closed set; attempts never decrease")
    func deliveryChecks() async throws {
        let fixture = try await deliveredFixture()
        let raw = try fixture.rawConnection()
        Self.expectRefused(["UPDATE delivery SET state = 'delivered' WHERE peer = 'carol'",
                            "UPDATE delivery SET delivered_at = 1 WHERE peer = 'carol'",
                            "UPDATE delivery SET state = 'lost' WHERE peer = 'carol'",
                            "UPDATE delivery SET attempts = -1 WHERE peer = 'carol'",
                            "UPDATE delivery SET peer = 'mallory' WHERE peer = 'carol'"], by: nil, on: raw)
        try await raw.write { try $0.execute(sql: "UPDATE delivery SET attempts = 3 WHERE peer = 'carol'") }
        Self.expectRefused(["UPDATE delivery SET attempts = 2 WHERE peer = 'carol'"], by: .SQLITE_CONSTRAINT_TRIGGER, on: raw)
    }

    @Test("a receipt only for a delivered delivery; receipts never change")
    func receiptRules() async throws {
        let fixture = try await deliveredFixture()
        let raw = try fixture.rawConnection()
        let forged = try StoreFixture.receipt(1, peer: "carol", signedBy: try StoreFixture.fingerprint(), at: now)
        let insert = #expect(throws: DatabaseError.self) {
            try raw.write { db in
                try db.execute(sql: "INSERT INTO receipt VALUES (?, 'carol', ?, 1, x'01', x'02')",
                               arguments: [forged.packageID.description, forged.signedBy.description])
            }
        }
        #expect(insert?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER)
        let update = #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: "UPDATE receipt SET body = x'00'") }
        }
        #expect(update?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER)
        #expect(try fixture.store.receipts(limit: 10).count == 1)
    }

    @Test("the store maps a trigger abort to store.constraint and rolls the transaction back")
    func storeMapsConstraint() async throws {
        let fixture = try await deliveredFixture()
        // The first statement succeeds; the second hits the final-state trigger,
        // and the whole transaction, first statement included, is rolled back.
        let error = await #expect(throws: StoreError.self) {
            try await fixture.store.commit("test") { db in
                try db.execute(sql: "UPDATE delivery SET state = 'sending' WHERE peer = 'carol'")
                try db.execute(sql: "UPDATE delivery SET state = 'queued', delivered_at = NULL WHERE peer = 'bob'")
            }
        }
        #expect(error?.code == .constraint)
        #expect(try fixture.store.counts() == StoreCounts(outboxPackages: 1, queued: 1, delivered: 1))
    }
}
