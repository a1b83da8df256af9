import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Migration `v2-inline-packages` on a database a v1 node wrote: the rebuilt
/// tables keep every row, their relations and their guards.
@Suite("Migration v2: a v1 database keeps everything")
struct MigrationV2Tests {
    let now = StoreFixture.now

    /// A database at `path` with only migration v1 applied, as an older Liaison left it.
    static func makeV1Database(at path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: Schema.v1) }
        try migrator.migrate(queue)
        return queue
    }

    /// Writes `package` and its deliveries with v1's columns (no `body`).
    static func insertV1(_ package: OutboxPackage, deliveries: [(peer: String, state: String, attempts: Int, deliveredAt: Int64?)],
                         into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO outbox_package (id, path, size, created, expires, tlp, markings, sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [package.id.description, package.path, package.size, package.created, package.expires,
                             package.tlp.label, package.markings, package.sha256])
        for d in deliveries {
            try db.execute(sql: """
                INSERT INTO delivery (package_id, peer, state, attempts, next_attempt, last_error, delivered_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [package.id.description, d.peer, d.state, d.attempts, package.created,
                                 d.state == "failed" ? "refused" : nil, d.deliveredAt])
        }
    }

    static func insertV1(_ entry: InboxEntry, into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO inbox (id, sender, sender_fingerprint, path, size, received_at, tlp, classification, markings, content_type,
                               created, expires, receipt_body, receipt_signature)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [entry.id.description, entry.sender, entry.senderFingerprint.description, entry.path, entry.size,
                             entry.receivedAt, entry.tlp.label, entry.classification, entry.markings, entry.contentType,
                             entry.created, entry.expires, Data(entry.receiptBody), Data(entry.receiptSignature)])
    }

    /// A v1 database with three packages (queued, delivered with a receipt, failed),
    /// three inbox rows and a peer's state; returns what it holds, as read once migrated.
    static func populatedV1(_ fixture: TemporaryDirectory) throws -> (path: String, packages: [OutboxPackage], receipt: StoredReceipt,
                                                                    inbox: [InboxEntry], bob: NodeFingerprint) {
        let path = fixture.file(NodeStore.fileName)
        let bob = try StoreFixture.fingerprint("bob")
        let alice = try StoreFixture.fingerprint("alice")
        let packages = [try StoreFixture.package(1, expires: StoreFixture.now + 3600), try StoreFixture.package(2, created: StoreFixture.now + 1),
                        try StoreFixture.package(3, created: StoreFixture.now + 2)]
        let receipt = try StoreFixture.receipt(2, peer: "bob", signedBy: bob, at: StoreFixture.now + 30)
        let inbox = try (1...3).map { try StoreFixture.inboxEntry(10 + $0, sender: alice, receivedAt: StoreFixture.now + Int64($0)) }
        let queue = try makeV1Database(at: path)
        try queue.write { db in
            try insertV1(packages[0], deliveries: [("bob", "queued", 0, nil), ("carol", "sending", 2, nil)], into: db)
            try insertV1(packages[1], deliveries: [("bob", "delivered", 1, StoreFixture.now + 31)], into: db)
            try insertV1(packages[2], deliveries: [("dave", "failed", 3, nil)], into: db)
            try db.execute(sql: """
                INSERT INTO receipt (package_id, peer, signed_by, received_at, signature, body) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [receipt.packageID.description, receipt.peer, receipt.signedBy.description, receipt.receivedAt,
                                 Data(receipt.signature), Data(receipt.body)])
            for entry in inbox { try insertV1(entry, into: db) }
            try db.execute(sql: "INSERT INTO peer_state (fingerprint, last_handshake_timestamp, last_handshake_at, bytes_sent) VALUES (?, 42, ?, 7)",
                           arguments: [bob.description, StoreFixture.now])
        }
        try queue.close()
        // As the store reads them once migrated: v8 names their files in this home.
        return (path, packages.map { StoreFixture.migrated($0, in: fixture) }, receipt,
                inbox.map { StoreFixture.migrated($0, in: fixture) }, bob)
    }

    @Test("opening a v1 database migrates it: every row survives with its path and no body")
    func rowsSurvive() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v1")
        let v1 = try Self.populatedV1(directory)
        let store = try NodeStore(path: v1.path)
        let migrations = try await store.pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
        #expect(migrations == StoreFixture.migrations)

        for package in v1.packages {
            #expect(try store.outboxPackage(id: package.id) == package)
            #expect(try store.outboxBody(id: package.id) == nil)
        }
        let outbox = try store.outbox(limit: 10)
        #expect(outbox.map(\.package.id) == v1.packages.reversed().map(\.id))   // newest first
        #expect(outbox.allSatisfy { $0.package.path != nil })
        #expect(try store.counts() == StoreCounts(outboxPackages: 3, queued: 1, sending: 1, delivered: 1, failed: 1, inbox: 3))
        #expect(try store.deliveryCountsByPeer() == ["bob": [.queued: 1, .delivered: 1], "carol": [.sending: 1], "dave": [.failed: 1]])
        #expect(try store.receipts(limit: 10) == [v1.receipt])

        #expect(try store.inbox(limit: 10) == v1.inbox.reversed())
        for entry in v1.inbox {
            #expect(try store.inboxEntry(id: entry.id) == entry)
            #expect(try store.inboxEntry(id: entry.id).flatMap(store.inboxBody) == nil)
        }
        #expect(try store.peerStates().first?.fingerprint == v1.bob)
        #expect(try store.peerStates().count == 1)

        let (violations, integrity, leftovers) = try store.pool.read { db in
            (try Row.fetchAll(db, sql: "PRAGMA foreign_key_check"), try String.fetchAll(db, sql: "PRAGMA integrity_check"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE name LIKE '%_v2'"))
        }
        #expect(violations.isEmpty)
        #expect(integrity == ["ok"])
        #expect(leftovers.isEmpty, "the rebuild left \(leftovers) behind")
    }

    @Test("after the rebuild the relations and indexes are what a fresh database has")
    func schemaMatchesFresh() throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v1")
        let v1 = try Self.populatedV1(directory)
        let migrated = try NodeStore(path: v1.path)
        let fresh = try StoreFixture()
        func schema(_ store: NodeStore) throws -> (objects: [String], deliveryFK: [String], receiptFK: [String]) {
            try store.pool.read { db in
                (try String.fetchAll(db, sql: """
                    SELECT type || ' ' || name || ' on ' || tbl_name FROM sqlite_master
                    WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name
                    """),
                 try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(delivery)").map { "\($0["table"] as String).\($0["to"] as String)" },
                 try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(receipt)").map { "\($0["table"] as String).\($0["to"] as String)" })
            }
        }
        let a = try schema(migrated), b = try schema(fresh.store)
        #expect(a.objects == b.objects)
        #expect(a.deliveryFK == ["outbox_package.id"])
        #expect(a.deliveryFK == b.deliveryFK && a.receiptFK == b.receiptFK)
        #expect(a.objects.contains("trigger outbox_package_is_immutable on outbox_package"))
        #expect(a.objects.contains("index inbox_sender_volume on inbox"))
        let strict = try migrated.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name IN ('outbox_package', 'inbox')")
                .map { $0["strict"] as Int }
        }
        #expect(strict == [1, 1])
    }

    @Test("on the migrated file the inbox guards hold: duplicate ignored, UPDATE and DELETE abort; the outbox is immutable")
    func guardsHold() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v1")
        let v1 = try Self.populatedV1(directory)
        let store = try NodeStore(path: v1.path)
        let original = v1.inbox[0]
        // Through the store: a replay of a migrated package takes no effect.
        var replay = original
        replay.path = "/tmp/replayed"
        #expect(try await store.recordReceived(replay) == false)
        #expect(try store.inboxEntry(id: original.id) == original)

        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let raw = try DatabaseQueue(path: v1.path, configuration: configuration)
        try await raw.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO inbox SELECT id, sender_key, 'mallory', sender_fingerprint, '/tmp/evil', size, received_at, tlp,
                    classification, markings, content_type, created, expires, receipt_body, receipt_signature, NULL FROM inbox
                """)
        }
        for sql in ["UPDATE inbox SET path = '/tmp/evil'", "DELETE FROM inbox",
                    "UPDATE outbox_package SET path = '/tmp/evil'"] {
            let error = #expect(throws: DatabaseError.self) { try raw.write { try $0.execute(sql: sql) } }
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER, "\(sql)")
        }
        // The delivery and receipt guards of v1 still stand on the rebuilt parent table.
        let orphan = #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: "INSERT INTO delivery (package_id, peer, next_attempt) VALUES (?, 'bob', 0)",
                                           arguments: [try StoreFixture.packageID(77).description]) }
        }
        #expect(orphan?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY)
        let parent = #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: "DELETE FROM outbox_package WHERE id = ?", arguments: [v1.packages[1].id.description]) }
        }
        #expect(parent?.resultCode == .SQLITE_CONSTRAINT)
        #expect(try store.inbox(limit: 10) == v1.inbox.reversed())
        #expect(try store.outboxPackage(id: v1.packages[0].id) == v1.packages[0])
        #expect(try store.receipts(limit: 10) == [v1.receipt])
    }

    @Test("the migrated store keeps working: migrated deliveries complete, new packages go inline, reopening migrates nothing")
    func keepsWorking() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v1")
        let v1 = try Self.populatedV1(directory)
        do {
            let store = try NodeStore(path: v1.path)
            let bob = v1.bob
            #expect(try await store.resetInterrupted() == 1)   // carol's interrupted send
            #expect(try await store.markDelivered(try StoreFixture.receipt(1, peer: "bob", signedBy: bob, at: now + 50)))
            let body: [UInt8] = Array("a small sealed package".utf8)
            var inline = try StoreFixture.package(4, created: now + 3)
            inline.path = nil
            inline.size = Int64(body.count)
            try await store.enqueue(inline, body: body, recipients: ["bob"])
            let entry = try InlinePackageTests.inlineEntry(20, body: body, sender: try StoreFixture.fingerprint("carol"))
            #expect(try await store.recordReceived(entry, body: body))
        }
        let reopened = try NodeStore(path: v1.path)
        #expect(try await reopened.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM grdb_migrations") } == StoreFixture.migrations.count)
        #expect(try reopened.counts() == StoreCounts(outboxPackages: 4, queued: 2, delivered: 2, failed: 1, inbox: 4))
        #expect(try reopened.outboxBody(id: try StoreFixture.packageID(4)) == Array("a small sealed package".utf8))
        #expect(try reopened.inboxEntry(id: try StoreFixture.packageID(20)).flatMap(reopened.inboxBody) == Array("a small sealed package".utf8))
        #expect(try reopened.receipts(limit: 10).count == 2)
        #expect(try await reopened.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test("an empty v1 database migrates too")
    func emptyV1() throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v1")
        let path = directory.file(NodeStore.fileName)
        try Self.makeV1Database(at: path).close()
        let store = try NodeStore(path: path)
        #expect(try store.counts() == StoreCounts())
        #expect(try store.pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
                == StoreFixture.migrations)
    }
}
