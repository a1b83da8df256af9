import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Migration `v5-inbox-keyed-by-sender`: a package is its sender's. Rows a v4 node
/// stored keep everything; another sender's package with a known id is stored
/// apart, and the same sender's copy is still ignored.
@Suite("Migration v5: the inbox is keyed by package id and sender")
struct MigrationV5Tests {
    let now = StoreFixture.now

    @Test("a v4 inbox migrates whole; a twin id from another sender is its own row; the same sender's copy is ignored")
    func twinIDs() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v4")
        let path = directory.file(NodeStore.fileName)
        let alice = try StoreFixture.fingerprint("alice")
        let mallory = try StoreFixture.fingerprint("mallory")
        let written = try StoreFixture.inboxEntry(5, sender: alice)
        do {
            let v4 = try StoreFixture.database(at: path, migratedUpTo: "v4-audit-journal")
            try await v4.write { db in
                try db.execute(sql: """
                    INSERT INTO inbox (id, sender, sender_fingerprint, path, size, received_at, tlp, classification, markings,
                                       content_type, created, expires, receipt_body, receipt_signature)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [written.id.description, written.sender, alice.description, written.path, written.size,
                                     written.receivedAt, written.tlp.label, written.classification, written.markings,
                                     written.contentType, written.created, written.expires,
                                     Data(written.receiptBody), Data(written.receiptSignature)])
            }
            try v4.close()
        }

        let store = try NodeStore(path: path)
        // As the store reads it: v8 names its file in this home's inbox.
        let original = StoreFixture.migrated(written, in: directory)
        #expect(try store.inboxEntries(id: original.id) == [original], "the v4 row lost or changed something")

        // Another sender's package with the same id: stored as its own.
        var twin = try StoreFixture.inboxEntry(5, sender: mallory, receivedAt: now + 1)
        twin.sender = "mallory"
        twin.path = "/var/lib/liaison/inbox/mallory-5.lpkg"
        #expect(try await store.recordReceived(twin))
        #expect(try store.inboxEntries(id: original.id) == [original, twin])
        #expect(try store.inboxEntry(id: original.id, from: "alice") == original)
        #expect(try store.inboxEntry(id: original.id, from: "mallory") == twin)
        let ambiguous = #expect(throws: StoreError.self) { try store.inboxEntry(id: original.id) }
        #expect(ambiguous?.code == .invalidArgument)
        #expect(ambiguous?.message.contains("--from") == true)

        // The same sender's copy, even with other contents, takes no effect.
        var copy = original
        copy.path = "/elsewhere"
        #expect(try await store.recordReceived(copy) == false)
        #expect(try store.inboxEntry(id: original.id, from: "alice") == original)
        #expect(try store.counts().inbox == 2)
        #expect(try await store.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test("a sender known by a new first key (removed and imported again after a rotation) is still the same sender")
    func sameSigningKey() async throws {
        let fixture = try StoreFixture()
        let first = try StoreFixture.fingerprint("alice-first")
        let rotated = try StoreFixture.fingerprint("alice-rotated")
        // Received after alice rotated: filed under her first key, sent under the new one.
        var received = try StoreFixture.inboxEntry(9, sender: rotated)
        received.senderKey = first
        #expect(try await fixture.store.recordReceived(received))
        // Imported again from her current card, she is known by the rotated key alone.
        var again = try StoreFixture.inboxEntry(9, sender: rotated, receivedAt: now + 100, path: "/tmp/again")
        again.senderKey = rotated
        #expect(try await fixture.store.recordReceived(again) == false)
        #expect(try fixture.store.inboxEntries(id: received.id) == [received])
    }
}
