import Foundation
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Durability and concurrency")
struct DurabilityTests {
    let now = StoreFixture.now

    @Test("reopening the file keeps everything")
    func reopen() async throws {
        let fixture = try StoreFixture()
        let bob = try StoreFixture.fingerprint("bob")
        let receipt = try StoreFixture.receipt(1, peer: "bob", signedBy: bob, at: now + 5)
        let inbox = try StoreFixture.inboxEntry(7, sender: bob)
        let before: (outbox: [OutboxEntry], receipts: [StoredReceipt], inbox: [InboxEntry], peers: [PeerState], counts: StoreCounts)
        do {
            let store = try fixture.reopen()
            try await store.enqueue(try StoreFixture.package(1, expires: now + 1000), recipients: ["bob", "carol"])
            try await store.enqueue(try StoreFixture.package(2), recipients: ["dave"])
            #expect(try await store.markSending(packageID: try StoreFixture.packageID(2), peer: "dave"))
            #expect(try await store.markDelivered(receipt))
            try await store.recordFailure(packageID: try StoreFixture.packageID(1), peer: "carol", error: "refused", nextAttempt: now + 60)
            #expect(try await store.recordReceived(inbox))
            #expect(try await store.recordHandshake(fingerprint: bob, timestamp: 77, at: now))
            try await store.addTraffic(fingerprint: bob, sent: 10, received: 20)
            before = (try store.outbox(limit: 10), try store.receipts(limit: 10), try store.inbox(limit: 10),
                      try store.peerStates(), try store.counts())
        }
        let reopened = try fixture.reopen()
        #expect(try reopened.outbox(limit: 10) == before.outbox)
        #expect(try reopened.receipts(limit: 10) == before.receipts)
        #expect(try reopened.inbox(limit: 10) == before.inbox)
        #expect(try reopened.peerStates() == before.peers)
        #expect(try reopened.counts() == before.counts)
        #expect(before.counts == StoreCounts(outboxPackages: 2, queued: 1, sending: 1, delivered: 1, inbox: 1))
        // What a restart does with it: the dedup and replay guards hold, the interrupted send retries.
        #expect(try await reopened.recordReceived(inbox) == false)
        #expect(try await reopened.recordHandshake(fingerprint: bob, timestamp: 77, at: now + 1) == false)
        #expect(try await reopened.resetInterrupted() == 1)
        #expect(try reopened.dueDeliveries(now: now + 60, limit: 10).map(\.peer) == ["dave", "carol"])  // most overdue first
        // Reopening migrates nothing twice.
        #expect(try await reopened.pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM grdb_migrations") } == StoreFixture.migrations.count)
    }

    @Test("a receipt is committed without waiting for the disk; anything queued is fsynced, and makes the receipts before it durable too")
    func receiptsCommitAsynchronously() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let bob = try StoreFixture.fingerprint("bob")
        func synchronous() throws -> Int { try store.pool.write { try Int.fetchOne($0, sql: "PRAGMA synchronous") ?? -1 } }
        try await store.enqueue(try StoreFixture.package(1), recipients: ["bob"])
        #expect(try synchronous() == 2, "queueing is committed with synchronous = FULL")
        #expect(try await store.markDelivered(try StoreFixture.receipt(1, peer: "bob", signedBy: bob, at: now)))
        #expect(try synchronous() == 1, "a receipt alone is committed with synchronous = NORMAL")
        try await store.enqueue(try StoreFixture.package(2), recipients: ["bob"])
        #expect(try synchronous() == 2)
        // Committed either way: a crash of the process (not of the machine) loses nothing.
        #expect(try fixture.reopen().receipts(limit: 10).count == 1)
    }

    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("concurrent enqueues from several tasks all land", .timeLimit(.minutes(10)))
    func concurrentEnqueues() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let tasks = 8, perTask = 25
        try await withThrowingTaskGroup(of: Void.self) { group in
            for t in 0..<tasks {
                group.addTask {
                    for i in 0..<perTask {
                        try await store.enqueue(try StoreFixture.package(1 + t * perTask + i), recipients: ["bob", "carol"])
                    }
                }
            }
            // Readers run alongside the writers and always see whole packages.
            group.addTask {
                for _ in 0..<20 {
                    let counts = try store.counts()
                    #expect(counts.queued == 2 * counts.outboxPackages)
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.counts() == StoreCounts(outboxPackages: tasks * perTask, queued: 2 * tasks * perTask))
        #expect(Set(try store.outbox(limit: 1000).map(\.package.id)).count == tasks * perTask)
    }

    @Test("two stores on one file (daemon and CLI) see each other's commits")
    func twoInstances() async throws {
        let fixture = try StoreFixture()
        let other = try fixture.reopen()
        try await fixture.store.enqueue(try StoreFixture.package(1), recipients: ["bob"])
        #expect(try other.outboxPackage(id: try StoreFixture.packageID(1)) != nil)
        #expect(try await other.markSending(packageID: try StoreFixture.packageID(1), peer: "bob"))
        #expect(try await fixture.store.markSending(packageID: try StoreFixture.packageID(1), peer: "bob") == false)
    }
}
