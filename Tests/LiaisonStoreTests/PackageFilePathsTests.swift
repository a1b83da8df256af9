import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// liaison.db names package files relative to the home (the database's
/// directory), so a copied, moved or restored home finds them in its new place.
@Suite("Package file paths")
struct PackageFilePathsTests {
    @Test("a file under the home is stored relative to it and read back whole; one elsewhere is kept as given")
    func relativeInHome() async throws {
        let fixture = try StoreFixture()
        let home = fixture.directory.path
        var inHome = try StoreFixture.package(1)
        inHome.path = home + "/outbox/1.lpkg"
        let elsewhere = try StoreFixture.package(2)
        try await fixture.store.enqueue(inHome, recipients: ["bravo"])
        try await fixture.store.enqueue(elsewhere, recipients: ["bravo"])
        let received = try StoreFixture.inboxEntry(3, sender: try StoreFixture.fingerprint("alice"), path: home + "/inbox/alice-3.lpkg")
        #expect(try await fixture.store.recordReceived(received))

        let raw = try fixture.rawConnection()
        #expect(try await raw.read { try String.fetchAll($0, sql: "SELECT path FROM outbox_package ORDER BY id") }
                == ["outbox/1.lpkg", "/var/lib/liaison/outbox/2.lpkg"])
        #expect(try await raw.read { try String.fetchAll($0, sql: "SELECT path FROM inbox") } == ["inbox/alice-3.lpkg"])
        #expect(try fixture.store.outboxPackage(id: inHome.id) == inHome)
        #expect(try fixture.store.outboxPackage(id: elsewhere.id) == elsewhere)
        #expect(try fixture.store.inboxEntries(id: received.id) == [received])
        #expect(try fixture.store.inboxFileNames() == ["alice-3.lpkg"])

        // The same database in another directory names files there.
        let copy = TemporaryDirectory(prefix: "liaison-store-copy")
        try raw.close()
        try fixture.store.checkpointIntoFile()
        try FileManager.default.copyItem(atPath: fixture.path, toPath: copy.file(NodeStore.fileName))
        let moved = try NodeStore(path: copy.file(NodeStore.fileName))
        #expect(try moved.outboxPackage(id: inHome.id)?.path == copy.path + "/outbox/1.lpkg")
        #expect(try moved.outboxPackage(id: elsewhere.id)?.path == elsewhere.path)
        #expect(try moved.inboxEntries(id: received.id).map(\.path) == [copy.path + "/inbox/alice-3.lpkg"])
        #expect(try moved.duePackages(peer: "bravo", now: StoreFixture.now + 1, excluding: [], limit: 10).map(\.package.path)
                == [copy.path + "/outbox/1.lpkg", elsewhere.path])
    }

    @Test("v8 rewrites the whole paths of files in an outbox or inbox directory relative to the home; rows stay immutable")
    func migration() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-v7")
        let path = directory.file(NodeStore.fileName)
        let sender = try StoreFixture.fingerprint("alice")
        var queued = try StoreFixture.package(1)
        queued.path = "/srv/old-home/outbox/1.lpkg"
        var odd = try StoreFixture.package(2)
        odd.path = "/srv/old-home/spool/2.lpkg"
        var relative = try StoreFixture.package(4)
        relative.path = "node/outbox/4.lpkg"   // a daemon started with --home node
        let received = try StoreFixture.inboxEntry(3, sender: sender, path: "/srv/old-home/inbox/alice-3.lpkg")
        let packages = [queued, odd, relative]
        do {
            let v7 = try StoreFixture.database(at: path, migratedUpTo: "v7-listings-in-arrival-order")
            try await v7.write { db in
                for package in packages {
                    try db.execute(sql: """
                        INSERT INTO outbox_package (id, path, size, created, expires, tlp, markings, sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [package.id.description, package.path, package.size, package.created, package.expires,
                                         package.tlp.label, package.markings, package.sha256])
                }
                try db.execute(sql: """
                    INSERT INTO inbox (id, sender, sender_fingerprint, sender_key, path, size, received_at, tlp, classification, markings,
                                       content_type, created, expires, receipt_body, receipt_signature)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [received.id.description, received.sender, sender.description, sender.description, received.path,
                                     received.size, received.receivedAt, received.tlp.label, received.classification,
                                     received.markings, received.contentType, received.created, received.expires,
                                     Data(received.receiptBody), Data(received.receiptSignature)])
            }
            try v7.close()
        }

        let store = try NodeStore(path: path)
        #expect(try store.outboxPackage(id: queued.id)?.path == directory.path + "/outbox/1.lpkg")
        #expect(try store.outboxPackage(id: odd.id)?.path == odd.path, "a path outside an outbox or inbox directory was changed")
        #expect(try store.outboxPackage(id: relative.id)?.path == directory.path + "/outbox/4.lpkg")
        var expected = received
        expected.path = directory.path + "/inbox/alice-3.lpkg"
        #expect(try store.inboxEntries(id: received.id) == [expected])

        let raw = try DatabaseQueue(path: path)
        for sql in ["UPDATE outbox_package SET path = 'x'", "UPDATE inbox SET path = 'x'"] {
            #expect(throws: DatabaseError.self, "\(sql) was allowed after the migration") { try raw.write { try $0.execute(sql: sql) } }
        }
        #expect(try await raw.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test("a relative path in a row other than outbox/NAME or inbox/NAME (../, say) is refused as corrupt, not followed")
    func strayRelativePathRefused() async throws {
        let fixture = try StoreFixture()
        var package = try StoreFixture.package(1)
        package.path = fixture.directory.path + "/outbox/1.lpkg"
        try await fixture.store.enqueue(package, recipients: ["bravo"])
        let raw = try fixture.rawConnection()
        for tampered in ["../../etc/shadow", "outbox/../../x", "outbox/", "spool/1.lpkg", "outbox/a/b"] {
            try await raw.write { db in
                try db.execute(sql: "DROP TRIGGER IF EXISTS outbox_package_is_immutable")
                try db.execute(sql: "UPDATE outbox_package SET path = ?", arguments: [tampered])
            }
            let error = #expect(throws: StoreError.self, "\(tampered) was followed") { try fixture.store.outboxPackage(id: package.id) }
            #expect(error?.code == .corrupt)
        }
    }

    @Test("a home named with a trailing slash or a doubled one stores and finds its files all the same")
    func oddlyWrittenHome() async throws {
        let directory = TemporaryDirectory(prefix: "liaison-store-slash")
        for home in [directory.path + "/", directory.path + "//"] {
            let store = try NodeStore(path: home + NodeStore.fileName)
            var package = try StoreFixture.package(home.count)
            package.path = home + "outbox/\(home.count).lpkg"
            try await store.enqueue(package, recipients: ["bravo"])
            #expect(try store.outboxPackage(id: package.id) == package)
            let id = package.id.description
            let stored = try await store.pool.read { try String.fetchOne($0, sql: "SELECT path FROM outbox_package WHERE id = ?", arguments: [id]) }
            #expect(stored == "outbox/\(home.count).lpkg")
        }
    }
}
