import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Inbox: a package takes effect once")
struct InboxTests {
    @Test("recording a package returns true once; it reads back intact")
    func record() async throws {
        let fixture = try StoreFixture()
        let entry = try StoreFixture.inboxEntry(1, sender: try StoreFixture.fingerprint("alice"))
        #expect(try fixture.store.inboxEntry(id: entry.id) == nil)
        #expect(try await fixture.store.recordReceived(entry))
        #expect(try fixture.store.inboxEntry(id: entry.id) == entry)
        #expect(try fixture.store.counts().inbox == 1)
    }

    @Test("the same sender's duplicate returns false and does not change the stored row; another sender's twin id is its own row")
    func duplicate() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice")
        let original = try StoreFixture.inboxEntry(1, sender: alice)
        #expect(try await fixture.store.recordReceived(original))
        var replay = try StoreFixture.inboxEntry(1, sender: alice, receivedAt: StoreFixture.now + 500, path: "/tmp/replayed")
        replay.receiptBody = [1, 2, 3]
        #expect(try await fixture.store.recordReceived(replay) == false)
        #expect(try await fixture.store.recordReceived(original) == false)
        #expect(try fixture.store.inboxEntry(id: original.id) == original)
        #expect(try fixture.store.counts().inbox == 1)

        var twin = try StoreFixture.inboxEntry(1, sender: try StoreFixture.fingerprint("mallory"), receivedAt: StoreFixture.now + 500,
                                               path: "/tmp/twin")
        twin.sender = "mallory"
        #expect(try await fixture.store.recordReceived(twin))
        #expect(try fixture.store.inboxEntry(id: original.id, from: "alice") == original)
        #expect(try fixture.store.inboxEntry(id: original.id, from: "mallory") == twin)
        #expect(try fixture.store.counts().inbox == 2)

        // Two senders of one name (one removed, another imported under it): told apart by fingerprint.
        var namesake = try StoreFixture.inboxEntry(1, sender: try StoreFixture.fingerprint("another alice"), receivedAt: StoreFixture.now + 900,
                                                   path: "/tmp/namesake")
        namesake.sender = "alice"
        #expect(try await fixture.store.recordReceived(namesake))
        let ambiguous = #expect(throws: StoreError.self) { try fixture.store.inboxEntry(id: original.id, from: "alice") }
        #expect(ambiguous?.message.contains("--from FINGERPRINT") == true && ambiguous?.message.contains(alice.description) == true)
        #expect(try fixture.store.inboxEntry(id: original.id, from: alice.description) == original)
        #expect(try fixture.store.inboxEntry(id: original.id, from: namesake.senderFingerprint.description) == namesake)
    }

    @Test("behind the store's back: INSERT OR REPLACE is ignored, UPDATE and DELETE abort")
    func rawDuplicate() async throws {
        let fixture = try StoreFixture()
        let original = try StoreFixture.inboxEntry(1, sender: try StoreFixture.fingerprint("alice"))
        #expect(try await fixture.store.recordReceived(original))
        let raw = try fixture.rawConnection()
        try await raw.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO inbox SELECT id, sender_key, 'mallory', sender_fingerprint, '/tmp/evil', size, received_at, tlp,
                    classification, markings, content_type, created, expires, receipt_body, receipt_signature, NULL FROM inbox
                """)
        }
        for sql in ["UPDATE inbox SET path = '/tmp/evil'", "DELETE FROM inbox"] {
            let error = #expect(throws: DatabaseError.self) { try raw.write { try $0.execute(sql: sql) } }
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER)
        }
        #expect(try fixture.store.inboxEntry(id: original.id) == original)
    }

    @Test("inbox pages most recently received first")
    func listing() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice")
        for n in 1...4 {
            #expect(try await fixture.store.recordReceived(try StoreFixture.inboxEntry(n, sender: alice, receivedAt: StoreFixture.now + Int64(n))))
        }
        #expect(try fixture.store.inbox(limit: 3).map(\.id) == [4, 3, 2].map { try StoreFixture.packageID($0) })
        #expect(try fixture.store.inbox(limit: 3, offset: 3).map(\.id) == [try StoreFixture.packageID(1)])
    }

    @Test("what a sender delivered since a time, per minute: only that sender's, only from then on, under every key it held")
    func receivedByMinute() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice"), bob = try StoreFixture.fingerprint("bob")
        let now = StoreFixture.now   // a whole minute
        for (n, sender, at) in [(1, alice, now - 100), (2, alice, now + 5), (3, alice, now + 59), (4, alice, now + 60), (5, bob, now + 1)] {
            #expect(try await fixture.store.recordReceived(try StoreFixture.inboxEntry(n, sender: sender, receivedAt: at)))
        }
        // Alice after rotating her keys: a new fingerprint, the same lifelong one.
        let rotatedAlice = try StoreFixture.fingerprint("alice rotated")
        var rotated = try StoreFixture.inboxEntry(6, sender: alice, receivedAt: now + 61)
        rotated.senderFingerprint = rotatedAlice
        #expect(try await fixture.store.recordReceived(rotated))
        #expect(try fixture.store.receivedBytesByMinute(fromSenderKey: alice, since: now) == [now / 60: 8192, now / 60 + 1: 8192])
        #expect(try fixture.store.receivedBytesByMinute(fromSenderKey: rotatedAlice, since: now).isEmpty, "counted by the lifelong key alone")
        #expect(try fixture.store.receivedBytesByMinute(fromSenderKey: bob, since: now + 2).isEmpty)
    }

    @Test("within one second the inbox lists the last stored first, whatever the ids; its index holds the time alone")
    func listingWithinASecond() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice")
        for n in [9, 7, 8] {
            #expect(try await fixture.store.recordReceived(try StoreFixture.inboxEntry(n, sender: alice, receivedAt: StoreFixture.now + 5)))
        }
        #expect(try fixture.store.inbox(limit: 10).map(\.id) == [8, 7, 9].map { try StoreFixture.packageID($0) })
        let columns = try await fixture.store.pool.read { try String.fetchAll($0, sql: "SELECT name FROM pragma_index_info('inbox_newest')") }
        #expect(columns == ["received_at"])
    }
}
