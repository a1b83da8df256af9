import Foundation
import GRDB
import LiaisonAudit
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// The audit journal: a store write's audit events are durable exactly when
/// the write is, reach the log in order and once, survive a crash between the
/// two, and stop further journaled writes while the log cannot take them.
@Suite("Audit journal")
struct AuditJournalTests {
    let fixture: StoreFixture
    var auditPath: String { fixture.directory.file(AuditLog.fileName) }

    init() throws { fixture = try StoreFixture() }

    /// A store attached to the log at `auditPath` (writable unless said otherwise), carried over.
    private func attached(_ store: NodeStore, readOnly: Bool = false) async throws -> AuditLog {
        let log = readOnly ? try AuditLog(readingOnly: auditPath) : try AuditLog(path: auditPath)
        try store.attachAuditJournal(to: log)
        try await store.carryOverAuditJournal()
        return log
    }

    /// Package `n` queued for bob.
    private static func queued(_ n: Int) throws -> QueuedPackage {
        QueuedPackage(package: try StoreFixture.package(n), body: nil, recipients: ["bob"])
    }

    private static func events(_ range: Range<Int>) -> [AuditEvent] { range.map { AuditFixture.event($0, kind: .packageQueued) } }

    @Test("a journaled write's events reach the log in order, before anything recorded after it, and leave the journal")
    func transferredInOrder() async throws {
        let store = fixture.store
        let log = try await attached(store)
        try await store.enqueue([try Self.queued(1)], auditing: Self.events(0..<3))
        // Recorded after the write returned: queued behind the journal's transfer.
        try await log.append(AuditFixture.event(3, kind: .packageOffered))
        #expect(try log.leaves(0..<10) == (Self.events(0..<3) + [AuditFixture.event(3, kind: .packageOffered)]).map(\.canonicalBytes))
        let identity = try #require(try store.read("identity") { try String.fetchOne($0, sql: "SELECT id FROM store_identity") })
        #expect(try log.journalMark(store: identity) == 3)
        // The next journaled write deletes what the log already holds.
        try await store.enqueue([try Self.queued(2)], auditing: Self.events(4..<5))
        await log.barrier()
        #expect(try store.auditJournalCount() == 1)
        #expect(try log.size() == 5)
        #expect(try store.counts().queued == 2)
    }

    @Test("a received package's events are journaled once: a copy of it records nothing and changes nothing")
    func copiesRecordNothing() async throws {
        let store = fixture.store
        let log = try await attached(store)
        let entry = try StoreFixture.inboxEntry(1, sender: try StoreFixture.fingerprint("alice"))
        #expect(try await store.recordReceived(entry, auditing: Self.events(0..<2)))
        // The copy and another write, together (one group commit, as they come): the other keeps its record.
        async let copy = store.recordReceived(entry, auditing: Self.events(2..<4))
        async let other: Void = store.enqueue([try Self.queued(1)], auditing: Self.events(4..<5))
        #expect(try await copy == false)
        try await other
        await log.barrier()
        #expect(try log.leaves(0..<10) == (Self.events(0..<2) + Self.events(4..<5)).map(\.canonicalBytes))
        #expect(try store.inboxEntry(id: entry.id) == entry)
        #expect(try store.counts().queued == 1)
    }

    @Test("entries a crash left in the journal are carried over at the next start, once")
    func carriedOverAfterACrash() async throws {
        let log = try await attached(fixture.store)
        try await fixture.store.enqueue([try Self.queued(1)], auditing: Self.events(0..<2))
        await log.barrier()
        // As if the daemon died between a commit and its transfer: rows the log never saw.
        let left = Self.events(2..<5)
        try await fixture.store.commit("leave entries") { db in
            for event in left { try db.execute(sql: "INSERT INTO audit_journal (leaf) VALUES (?)", arguments: [Data(event.canonicalBytes)]) }
        }
        #expect(try log.size() == 2)

        let restarted = try fixture.reopen()
        let log2 = try AuditLog(path: auditPath)
        try restarted.attachAuditJournal(to: log2)
        #expect(restarted.auditJournalIsWaiting)
        #expect(try await restarted.carryOverAuditJournal() == 3)
        #expect(!restarted.auditJournalIsWaiting)
        #expect(try log2.leaves(0..<10) == Self.events(0..<5).map(\.canonicalBytes))
        #expect(try restarted.auditJournalCount() == 0)
        #expect(try log2.verifyStorage().isEmpty)

        // Carrying over again (another restart) adds nothing.
        let again = try fixture.reopen()
        try again.attachAuditJournal(to: log2)
        #expect(try await again.carryOverAuditJournal() == 0)
        #expect(try log2.size() == 5)
    }

    @Test("a transfer the log already holds is skipped, not appended twice")
    func repeatedTransferSkipped() async throws {
        let store = fixture.store
        let log = try await attached(store)
        try await store.enqueue([try Self.queued(1)], auditing: Self.events(0..<2))
        await log.barrier()
        let identity = try #require(try store.read("identity") { try String.fetchOne($0, sql: "SELECT id FROM store_identity") })
        let leaves = Self.events(0..<2).map { PendingLeaf($0) }
        let range = try await log.transfer(leaves, JournalTransfer(store: identity, seqs: [1, 2], follows: 0))
        #expect(range.isEmpty)
        #expect(try log.size() == 2)
        // A transfer naming one that never arrived waits for the carry-over instead of leaving a hole.
        let skipped = await #expect(throws: StoreError.self) {
            try await log.transfer([PendingLeaf(AuditFixture.event(9))], JournalTransfer(store: identity, seqs: [9], follows: 8))
        }
        #expect(skipped?.code == .conflict)
        #expect(try log.size() == 2)
    }

    @Test("while the log cannot be written, the next journaled write is refused whole; once it can, the waiting events arrive in order")
    func failsClosedAndRecovers() async throws {
        _ = try AuditLog(path: auditPath)   // the file exists, then is opened read-only
        let store = fixture.store
        _ = try await attached(store, readOnly: true)
        // Durable in the journal; its transfer fails.
        try await store.enqueue([try Self.queued(1)], auditing: Self.events(0..<2))
        try await waitUntil { store.auditJournalIsWaiting }

        let refused = await #expect(throws: StoreError.self) {
            try await store.enqueue([try Self.queued(2)], auditing: Self.events(2..<3))
        }
        #expect(refused?.code == .auditUnavailable)
        #expect(try store.counts().queued == 1)
        #expect(try store.auditJournalCount() == 2)
        // A write that records nothing is not held up.
        try await store.enqueue([try Self.queued(3)])

        // The log is writable again (here: the daemon restarted with it).
        let restarted = try fixture.reopen()
        let log = try await attached(restarted)
        try await restarted.enqueue([try Self.queued(2)], auditing: Self.events(2..<3))
        await log.barrier()
        #expect(try log.leaves(0..<10) == Self.events(0..<3).map(\.canonicalBytes))
    }

    @Test("a store restored from a backup numbers its journal on past the log's mark: its next events reach the log, none is skipped")
    func restoredStore() async throws {
        let log = try await attached(fixture.store)
        try await fixture.store.enqueue([try Self.queued(1)], auditing: Self.events(0..<2))
        await log.barrier()
        let backup = fixture.directory.file("backup.db")
        try await DatabaseQueue(path: fixture.path).writeWithoutTransaction { try $0.execute(sql: "VACUUM INTO ?", arguments: [backup]) }
        try await fixture.store.enqueue([try Self.queued(2), try Self.queued(3)], auditing: Self.events(2..<6))
        await log.barrier()
        #expect(try log.size() == 6)

        // The backup comes back in the store's place: same identity, numbering from where it stood.
        let restored = try NodeStore(path: backup)
        let renumbering = try restored.attachAuditJournal(to: log)
        #expect(renumbering == JournalRenumbering(storeWasAt: 2, logMark: 6))
        try await restored.carryOverAuditJournal()
        try await restored.enqueue([try Self.queued(4)], auditing: Self.events(6..<8))
        await log.barrier()
        #expect(try log.leaves(0..<20) == Self.events(0..<8).map(\.canonicalBytes), "events journaled after the restore were skipped")
        // A store in step with the log is left as it is.
        #expect(try restored.attachAuditJournal(to: log) == nil)
        #expect(try log.verifyStorage().isEmpty)
    }

    @Test("expired deliveries are journaled with their entries in the same commit, a batch at a time; a sweep that expires nothing records nothing")
    func expiryJournaled() async throws {
        let store = fixture.store
        let log = try await attached(store)
        let now = StoreFixture.now
        let expiring = try StoreFixture.package(1, expires: now + 100)
        try await store.enqueue(expiring, recipients: ["bob", "carol", "dave"])
        @Sendable func entries(_ deliveries: [Delivery]) -> [AuditEvent] {
            deliveries.map { AuditEvent(time: 1_000, kind: .packageExpired, outcome: .failed, actor: .daemon, package: $0.packageID.description,
                                        reason: "expired", details: ["peer-name": $0.peer]) }
        }
        #expect(try store.hasExpiredDue(now: now + 99) == false && store.hasExpiredDue(now: now + 100))
        #expect(try await store.expireDue(now: now + 99, auditing: entries).isEmpty)
        await log.barrier()
        #expect(try log.size() == 0, "a sweep that expired nothing recorded something")

        // Two at a time: the first batch, then the rest.
        let first = try await store.expireDue(now: now + 100, limit: 2, auditing: entries)
        let second = try await store.expireDue(now: now + 100, limit: 2, auditing: entries)
        #expect(first.count == 2 && second.count == 1)
        #expect(try store.hasExpiredDue(now: now + 100) == false)
        #expect(Set((first + second).map(\.peer)) == ["bob", "carol", "dave"])
        await log.barrier()
        #expect(try log.leaves(0..<10) == entries(first + second).map(\.canonicalBytes))
        #expect(try store.counts().expired == 3)
    }

    @Test("an expiry whose entries cannot reach the log is refused whole: the deliveries stay queued, never due")
    func expiryFailsClosed() async throws {
        _ = try AuditLog(path: auditPath)
        let store = fixture.store
        _ = try await attached(store, readOnly: true)
        try await store.enqueue([try Self.queued(1)], auditing: Self.events(0..<1))
        try await waitUntil { store.auditJournalIsWaiting }
        let now = StoreFixture.now
        let expiring = try StoreFixture.package(2, expires: now + 100)
        try await store.enqueue(expiring, recipients: ["bob"])
        let refused = await #expect(throws: StoreError.self) {
            try await store.expireDue(now: now + 100) { deliveries in
                deliveries.map { AuditEvent(time: 1_000, kind: .packageExpired, outcome: .failed, actor: .daemon, package: $0.packageID.description) }
            }
        }
        #expect(refused?.code == .auditUnavailable)
        #expect(try store.counts().expired == 0)
        #expect(try store.dueDeliveries(now: now + 100, limit: 10).map(\.packageID) == [try StoreFixture.packageID(1)])
    }

    @Test("a write given events refuses them when no log is attached, and writes nothing")
    func needsAttachedLog() async throws {
        let refused = await #expect(throws: StoreError.self) {
            try await fixture.store.enqueue([try Self.queued(1)], auditing: Self.events(0..<1))
        }
        #expect(refused?.code == .invalidArgument)
        #expect(try fixture.store.counts().queued == 0)
    }

    /// Polls `condition` (bounded: 10 s).
    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<1000 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(condition())
    }
}
