import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Small sealed packages kept in the database (migration v2): each outbox and
/// inbox row holds its package in exactly one place, a file or a body.
@Suite("Inline packages: a file or a body, never neither or both")
struct InlinePackageTests {
    let now = StoreFixture.now

    /// Outbox package `n` kept in the database: no path, `size` = the body's length.
    static func inlinePackage(_ n: Int, body: [UInt8]) throws -> OutboxPackage {
        var package = try StoreFixture.package(n)
        package.path = nil
        package.size = Int64(body.count)
        return package
    }

    /// Inbox entry `n` kept in the database.
    static func inlineEntry(_ n: Int, body: [UInt8], sender: NodeFingerprint) throws -> InboxEntry {
        var entry = try StoreFixture.inboxEntry(n, sender: sender)
        entry.path = nil
        entry.size = Int64(body.count)
        return entry
    }

    /// Reads all of `source`.
    static func drain(_ source: inout StoredPackageSource) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 777)
        for _ in 0..<10_000 {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
        Issue.record("the source never ended")
        return out
    }

    @Test("an inline enqueue keeps the bytes in the database: outboxBody returns them, the package has no path")
    func inlineOutbox() async throws {
        let fixture = try StoreFixture()
        var rng = SeededBytes(seed: 11)
        let body = rng.next(5000)
        let package = try Self.inlinePackage(1, body: body)
        try await fixture.store.enqueue(package, body: body, recipients: ["bob"])
        let stored = try #require(try fixture.store.outboxPackage(id: package.id))
        #expect(stored.path == nil)
        #expect(stored == package)
        #expect(try fixture.store.outboxBody(id: package.id) == body)
        #expect(try fixture.store.counts() == StoreCounts(outboxPackages: 1, queued: 1))
        // Unknown package: no body.
        #expect(try fixture.store.outboxBody(id: try StoreFixture.packageID(99)) == nil)
    }

    @Test("a file-backed enqueue has no body in the database")
    func fileBackedOutbox() async throws {
        let fixture = try StoreFixture()
        let package = try StoreFixture.package(2)
        try await fixture.store.enqueue(package, recipients: ["bob"])
        #expect(try fixture.store.outboxPackage(id: package.id)?.path == "/var/lib/liaison/outbox/2.lpkg")
        #expect(try fixture.store.outboxBody(id: package.id) == nil)
    }

    @Test("enqueue refuses a package in neither or both places, or a body of the wrong length: store.invalid-argument; nothing is written")
    func enqueueRefusesBadPlacement() async throws {
        let fixture = try StoreFixture()
        let body: [UInt8] = Array("sealed bytes".utf8)
        var neither = try Self.inlinePackage(3, body: body)
        neither.path = nil
        var both = try Self.inlinePackage(3, body: body)
        both.path = "/var/lib/liaison/outbox/3.lpkg"
        var wrongLength = try Self.inlinePackage(3, body: body)
        wrongLength.size = Int64(body.count + 1)
        let cases: [(OutboxPackage, [UInt8]?)] = [(neither, nil), (both, body), (wrongLength, body)]
        for (package, body) in cases {
            let error = await #expect(throws: StoreError.self) { try await fixture.store.enqueue(package, body: body, recipients: ["bob"]) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(try fixture.store.outboxPackage(id: try StoreFixture.packageID(3)) == nil)
        #expect(try fixture.store.counts() == StoreCounts())
        // An empty body passes the argument check but not the schema: nothing is written.
        let empty = try Self.inlinePackage(4, body: [])
        let emptyError = await #expect(throws: StoreError.self) { try await fixture.store.enqueue(empty, body: [], recipients: ["bob"]) }
        #expect(emptyError?.code == .constraint)
        #expect(try fixture.store.counts() == StoreCounts())
    }

    @Test("recordReceived refuses an entry in neither or both places, or a body of the wrong length: store.invalid-argument; nothing is written")
    func recordReceivedRefusesBadPlacement() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice")
        let body: [UInt8] = Array("received sealed bytes".utf8)
        let neither = try Self.inlineEntry(5, body: body, sender: alice)
        var both = try Self.inlineEntry(5, body: body, sender: alice)
        both.path = "/var/lib/liaison/inbox/5.lpkg"
        var wrongLength = try Self.inlineEntry(5, body: body, sender: alice)
        wrongLength.size = Int64(body.count - 1)
        let cases: [(InboxEntry, [UInt8]?)] = [(neither, nil), (both, body), (wrongLength, body)]
        for (entry, body) in cases {
            let error = await #expect(throws: StoreError.self) { _ = try await fixture.store.recordReceived(entry, body: body) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(try fixture.store.inboxEntry(id: try StoreFixture.packageID(5)) == nil)
        #expect(try fixture.store.counts().inbox == 0)
        // The id is still free: the right entry is then taken.
        #expect(try await fixture.store.recordReceived(neither, body: body))
    }

    @Test("inboxBody round trip; a duplicate with other bytes leaves the first body")
    func inboxBodyRoundTrip() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice")
        var rng = SeededBytes(seed: 12)
        let body = rng.next(3000)
        let entry = try Self.inlineEntry(6, body: body, sender: alice)
        #expect(try await fixture.store.recordReceived(entry, body: body))
        #expect(try fixture.store.inboxEntry(id: entry.id) == entry)
        #expect(try fixture.store.inboxEntry(id: entry.id)?.path == nil)
        #expect(try fixture.store.inboxEntry(id: entry.id).flatMap(fixture.store.inboxBody) == body)
        let other = rng.next(3000)
        #expect(try await fixture.store.recordReceived(entry, body: other) == false)
        #expect(try fixture.store.inboxEntry(id: entry.id).flatMap(fixture.store.inboxBody) == body)
        // A file-backed entry has no body.
        let file = try StoreFixture.inboxEntry(7, sender: alice)
        #expect(try await fixture.store.recordReceived(file))
        #expect(try fixture.store.inboxEntry(id: file.id).flatMap(fixture.store.inboxBody) == nil)
        #expect(try fixture.store.inboxEntry(id: try StoreFixture.packageID(99)).flatMap(fixture.store.inboxBody) == nil)
    }

    @Test("listings mix inline and file-backed packages and read no bodies")
    func listings() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice")
        var rng = SeededBytes(seed: 13)
        let big = rng.next(60_000)
        let inline = try Self.inlinePackage(1, body: big)
        let file = try StoreFixture.package(2, created: now + 1)
        try await fixture.store.enqueue(inline, body: big, recipients: ["bob", "carol"])
        try await fixture.store.enqueue(file, recipients: ["bob"])
        let outbox = try fixture.store.outbox(limit: 10)
        #expect(outbox.map(\.package) == [file, inline])
        #expect(outbox.map { $0.deliveries.count } == [1, 2])

        let inlineEntry = try Self.inlineEntry(3, body: big, sender: alice)
        var fileEntry = try StoreFixture.inboxEntry(4, sender: alice)
        fileEntry.receivedAt = now + 1
        #expect(try await fixture.store.recordReceived(inlineEntry, body: big))
        #expect(try await fixture.store.recordReceived(fileEntry))
        #expect(try fixture.store.inbox(limit: 10) == [fileEntry, inlineEntry])
        #expect(try fixture.store.counts() == StoreCounts(outboxPackages: 2, queued: 3, inbox: 2))
        // Due deliveries carry both kinds.
        #expect(Set(try fixture.store.dueDeliveries(now: now + 10, limit: 10).map(\.packageID)) == [inline.id, file.id])
    }

    @Test("StoredPackageSource reads a package from the database or from its file, and resumes at an offset")
    func storedPackageSource() async throws {
        let fixture = try StoreFixture()
        let alice = try StoreFixture.fingerprint("alice")
        var rng = SeededBytes(seed: 14)
        let body = rng.next(10_000)
        let inline = try Self.inlinePackage(1, body: body)
        try await fixture.store.enqueue(inline, body: body, recipients: ["bob"])
        var source = try StoredPackageSource.outbox(inline, store: fixture.store)
        #expect(try Self.drain(&source) == body)
        source.close()
        var resumed = try StoredPackageSource.outbox(inline, store: fixture.store)
        try resumed.skip(to: 4097)
        #expect(try Self.drain(&resumed) == Array(body[4097...]))

        let fileBytes = rng.next(9_000)
        let path = fixture.directory.write("in.lpkg", fileBytes)
        var entry = try StoreFixture.inboxEntry(2, sender: alice, path: path)
        entry.size = Int64(fileBytes.count)
        #expect(try await fixture.store.recordReceived(entry))
        var fromFile = try StoredPackageSource.inbox(entry, store: fixture.store)
        try fromFile.skip(to: 100)
        #expect(try Self.drain(&fromFile) == Array(fileBytes[100...]))
        fromFile.close()

        // An inline entry whose row is missing, and a file that is gone: core.io, not a crash.
        let missing = try Self.inlineEntry(3, body: body, sender: alice)
        let noRow = #expect(throws: CoreError.self) { _ = try StoredPackageSource.inbox(missing, store: fixture.store) }
        #expect(noRow?.code == .io)
        let gone = try StoreFixture.inboxEntry(4, sender: alice, path: fixture.directory.file("gone.lpkg"))
        let noFile = #expect(throws: CoreError.self) { _ = try StoredPackageSource.inbox(gone, store: fixture.store) }
        #expect(noFile?.code == .io)
        // Skipping past the end of an inline package is refused.
        var short = try StoredPackageSource.outbox(inline, store: fixture.store)
        #expect(throws: CoreError.self) { try short.skip(to: UInt64(body.count + 1)) }
    }

    // MARK: - Behind the store's back

    private static let outboxInsert = """
        INSERT INTO outbox_package (id, path, body, size, created, expires, tlp, markings) VALUES (?, ?, ?, ?, 100, NULL, 'RED', 'x')
        """
    private static let inboxInsert = """
        INSERT INTO inbox (id, sender, sender_fingerprint, sender_key, path, body, size, received_at, tlp, classification, markings,
                           content_type, created, expires, receipt_body, receipt_signature)
        VALUES (?1, 'alice', ?2, ?2, ?3, ?4, ?5, 100, 'RED', 'SECRET', 'x', 'text/plain', 90, NULL, x'01', x'02')
        """

    @Test("raw SQL: an outbox or inbox row in neither or both places, or with a body of the wrong length, breaks a CHECK")
    func rawChecks() async throws {
        let fixture = try StoreFixture()
        let raw = try fixture.rawConnection()
        let alice = try StoreFixture.fingerprint("alice").description
        let body = Data("abc".utf8)
        // (path, body, size)
        let bad: [(String?, Data?, Int)] = [
            (nil, nil, 3),             // neither
            ("/p", body, 3),           // both
            (nil, body, 4),            // length differs from size
            (nil, body, 2),
        ]
        for (n, (path, body, size)) in bad.enumerated() {
            let id = try StoreFixture.packageID(100 + n).description
            let outbox = #expect(throws: DatabaseError.self) {
                try raw.write { try $0.execute(sql: Self.outboxInsert, arguments: [id, path, body, size]) }
            }
            #expect(outbox?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK, "outbox row \(n)")
            let inbox = #expect(throws: DatabaseError.self) {
                try raw.write { try $0.execute(sql: Self.inboxInsert, arguments: [id, alice, path, body, size]) }
            }
            #expect(inbox?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK, "inbox row \(n)")
        }
        // An empty body (a zero-length blob, not NULL) is no package either.
        let emptyID = try StoreFixture.packageID(200).description
        let empty = #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: Self.outboxInsert.replacingOccurrences(of: "?, ?, ?, ?, 100", with: "?, NULL, x'', 0, 100"),
                                          arguments: [emptyID]) }
        }
        #expect(empty?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK)
        #expect(try fixture.store.counts() == StoreCounts())
        // The same statements with one place each are fine (the CHECKs are not simply refusing everything).
        try await raw.write { db in
            try db.execute(sql: Self.outboxInsert, arguments: [try StoreFixture.packageID(1).description, nil, body, 3])
            try db.execute(sql: Self.outboxInsert, arguments: [try StoreFixture.packageID(2).description, "/p", nil, 3])
            try db.execute(sql: Self.inboxInsert, arguments: [try StoreFixture.packageID(1).description, alice, nil, body, 3])
            try db.execute(sql: Self.inboxInsert, arguments: [try StoreFixture.packageID(2).description, alice, "/p", nil, 3])
        }
        #expect(try fixture.store.counts() == StoreCounts(outboxPackages: 2, inbox: 2))
        #expect(try fixture.store.outboxBody(id: try StoreFixture.packageID(1)) == Array("abc".utf8))
        #expect(try fixture.store.inboxEntry(id: try StoreFixture.packageID(1)).flatMap(fixture.store.inboxBody) == Array("abc".utf8))
    }

    @Test("raw SQL: an UPDATE of a queued package aborts (trigger), whichever column; the row stays as it was")
    func rawUpdateAborts() async throws {
        let fixture = try StoreFixture()
        let body: [UInt8] = Array("inline".utf8)
        let inline = try Self.inlinePackage(1, body: body)
        let file = try StoreFixture.package(2)
        try await fixture.store.enqueue(inline, body: body, recipients: ["bob"])
        try await fixture.store.enqueue(file, recipients: ["bob"])
        let raw = try fixture.rawConnection()
        for sql in ["UPDATE outbox_package SET body = x'ee', size = 1 WHERE path IS NULL",
                    "UPDATE outbox_package SET path = '/tmp/evil' WHERE path IS NOT NULL",
                    "UPDATE outbox_package SET markings = 'TLP:CLEAR'",
                    "UPDATE outbox_package SET id = id"] {
            let error = #expect(throws: DatabaseError.self) { try raw.write { try $0.execute(sql: sql) } }
            #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_TRIGGER, "\(sql)")
        }
        #expect(try fixture.store.outboxPackage(id: inline.id) == inline)
        #expect(try fixture.store.outboxPackage(id: file.id) == file)
        #expect(try fixture.store.outboxBody(id: inline.id) == body)
    }
}
