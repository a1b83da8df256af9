import Foundation
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Outbox: enqueue, attempts, receipts, expiry")
struct OutboxTests {
    let now = StoreFixture.now

    @Test("enqueue stores the package and one queued delivery per recipient")
    func enqueue() async throws {
        let fixture = try StoreFixture()
        let package = try StoreFixture.package(1)
        try await fixture.store.enqueue(package, recipients: ["bob", "carol"])
        #expect(try fixture.store.outboxPackage(id: package.id) == package)
        let entries = try fixture.store.outbox(limit: 10)
        #expect(entries.count == 1)
        #expect(entries[0].package == package)
        #expect(entries[0].deliveries.map(\.peer) == ["bob", "carol"])
        #expect(entries[0].deliveries.allSatisfy { $0.state == .queued && $0.attempts == 0 && $0.nextAttempt == package.created })
        #expect(try fixture.store.counts() == StoreCounts(outboxPackages: 1, queued: 2))
    }

    @Test("a package's deliveries, by peer, and their states as they change; none for an unknown package")
    func deliveriesOfOnePackage() async throws {
        let fixture = try StoreFixture()
        let package = try StoreFixture.package(1)
        try await fixture.store.enqueue(package, recipients: ["carol", "bob"])
        try await fixture.store.enqueue(try StoreFixture.package(2), recipients: ["bob"])
        #expect(try fixture.store.deliveries(packageID: package.id).map(\.peer) == ["bob", "carol"])
        #expect(try fixture.store.deliveries(packageID: package.id).allSatisfy { $0.state == .queued })
        try await fixture.store.markFailed(packageID: package.id, peer: "carol", error: "refused")
        #expect(try fixture.store.deliveries(packageID: package.id).map(\.state) == [.queued, .failed])
        #expect(try fixture.store.deliveries(packageID: try StoreFixture.packageID(9)).isEmpty)
    }

    @Test("a sender's next packages in one read: due to that peer, in order, with their bodies, none of the excluded, at most the limit")
    func duePackages() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        // 1 and 3 are kept in the database, 2 in a file; 4 is for carol only; 5 is not due yet; 6 has expired.
        var inline1 = try StoreFixture.package(1)
        inline1.path = nil
        inline1.size = 3
        var inline3 = try StoreFixture.package(3)
        inline3.path = nil
        inline3.size = 2
        try await store.enqueue(inline1, body: [1, 2, 3], recipients: ["bob", "carol"])
        try await store.enqueue(try StoreFixture.package(2), recipients: ["bob"])
        try await store.enqueue(inline3, body: [9, 9], recipients: ["bob"])
        try await store.enqueue(try StoreFixture.package(4), recipients: ["carol"])
        try await store.enqueue(try StoreFixture.package(5), recipients: ["bob"], firstAttempt: now + 60)
        try await store.enqueue(try StoreFixture.package(6, created: now - 20, expires: now - 10), recipients: ["bob"])

        let due = try store.duePackages(peer: "bob", now: now, excluding: [], limit: 10)
        #expect(due.map(\.package.id) == [1, 2, 3].map { try! StoreFixture.packageID($0) }, "queueing order among packages due at once")
        #expect(due.allSatisfy { $0.delivery.peer == "bob" && $0.delivery.state == .queued && $0.delivery.packageID == $0.package.id })
        #expect(due.map(\.body) == [[1, 2, 3], nil, [9, 9]])
        #expect(due[1].package == (try StoreFixture.package(2)))

        let rest = try store.duePackages(peer: "bob", now: now, excluding: [try StoreFixture.packageID(1), try StoreFixture.packageID(3)], limit: 10)
        #expect(rest.map(\.package.id) == [try StoreFixture.packageID(2)])
        #expect(try store.duePackages(peer: "bob", now: now, excluding: [], limit: 2).count == 2)
        #expect(try store.duePackages(peer: "bob", now: now + 60, excluding: [], limit: 10).map(\.package.id).last == (try StoreFixture.packageID(5)))
        #expect(try store.duePackages(peer: "dave", now: now, excluding: [], limit: 10).isEmpty)
    }

    @Test("enqueue tells whoever waits once the packages are committed, before it returns; a refused enqueue tells nobody")
    func whenDurable() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let seen = LockedFlags()
        try await store.enqueue([QueuedPackage(package: try StoreFixture.package(1), body: nil, recipients: ["bob"])]) {
            // On the committing thread, after the commit: another connection reads the package already.
            seen.set("committed", (try? store.outboxPackage(id: try StoreFixture.packageID(1))) != nil)
        }
        #expect(seen.value("committed") == true)
        await #expect(throws: StoreError.self) {
            try await store.enqueue([QueuedPackage(package: try StoreFixture.package(1), body: nil, recipients: ["carol"])]) {
                seen.set("duplicate", true)
            }
        }
        #expect(seen.value("duplicate") == nil)
    }

    @Test("enqueue refuses no, empty or repeated recipients: store.invalid-argument; nothing is stored")
    func enqueueRefusesBadRecipients() async throws {
        let fixture = try StoreFixture()
        for recipients in [[], [""], ["bob", "bob"]] as [[String]] {
            let error = await #expect(throws: StoreError.self) { try await fixture.store.enqueue(try StoreFixture.package(1), recipients: recipients) }
            #expect(error?.code == .invalidArgument)
        }
        #expect(try fixture.store.counts() == StoreCounts())
    }

    @Test("enqueueing the same package twice: store.duplicate; the first stays as it was")
    func enqueueDuplicate() async throws {
        let fixture = try StoreFixture()
        try await fixture.store.enqueue(try StoreFixture.package(1), recipients: ["bob"])
        var again = try StoreFixture.package(1)
        again.path = "/elsewhere"
        let error = await #expect(throws: StoreError.self) { try await fixture.store.enqueue(again, recipients: ["carol"]) }
        #expect(error?.code == .duplicate)
        #expect(try fixture.store.outboxPackage(id: again.id)?.path == "/var/lib/liaison/outbox/1.lpkg")
        #expect(try fixture.store.counts() == StoreCounts(outboxPackages: 1, queued: 1))
    }

    @Test("send, fail with backoff, retry, deliver with receipt")
    func deliveryFlow() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let bobKey = try StoreFixture.fingerprint("bob")
        let id = try StoreFixture.packageID(1)
        try await store.enqueue(try StoreFixture.package(1), recipients: ["bob", "carol"], firstAttempt: now)
        #expect(try store.dueDeliveries(now: now - 1, limit: 10).isEmpty)
        #expect(try store.dueDeliveries(now: now, limit: 10).map(\.peer) == ["bob", "carol"])
        #expect(try store.dueDeliveries(now: now, limit: 1).count == 1)
        #expect(try store.dueDeliveries(peer: "carol", now: now).map(\.peer) == ["carol"])

        // Claim: only once.
        #expect(try await store.markSending(packageID: id, peer: "bob"))
        #expect(try await store.markSending(packageID: id, peer: "bob") == false)
        #expect(try store.dueDeliveries(now: now, limit: 10).map(\.peer) == ["carol"])
        #expect(try store.counts().sending == 1)

        // Failure: attempts + 1, back to queued, due at the backoff time.
        try await store.recordFailure(packageID: id, peer: "bob", error: "connection refused", nextAttempt: now + 60)
        #expect(try store.dueDeliveries(now: now + 59, limit: 10).map(\.peer) == ["carol"])
        let retried = try store.dueDeliveries(peer: "bob", now: now + 60)
        #expect(retried == [Delivery(packageID: id, peer: "bob", state: .queued, attempts: 1, nextAttempt: now + 60,
                                     lastError: "connection refused")])
        // Failure without a claim (could not even connect) counts too.
        try await store.recordFailure(packageID: id, peer: "bob", error: "no route", nextAttempt: now + 180)
        #expect(try store.dueDeliveries(peer: "bob", now: now + 180).first?.attempts == 2)

        // Delivered: state, time and receipt in one go; the error is cleared.
        #expect(try await store.markSending(packageID: id, peer: "bob"))
        let receipt = try StoreFixture.receipt(1, peer: "bob", signedBy: bobKey, at: now + 200)
        let mismatch = await #expect(throws: StoreError.self) {
            try await store.markDelivered(packageID: id, peer: "carol", receipt: receipt, at: now + 201)
        }
        #expect(mismatch?.code == .invalidArgument)
        #expect(try await store.markDelivered(packageID: id, peer: "bob", receipt: receipt, at: now + 201))
        let bob = try store.outbox(limit: 1)[0].deliveries[0]
        #expect(bob == Delivery(packageID: id, peer: "bob", state: .delivered, attempts: 2, nextAttempt: now + 180,
                                lastError: nil, deliveredAt: now + 201))
        #expect(try store.deliveryCountsByPeer() == ["bob": [.delivered: 1], "carol": [.queued: 1]])
        #expect(try store.receipts(limit: 10) == [receipt])
        #expect(try store.dueDeliveries(now: now + 1000, limit: 10).map(\.peer) == ["carol"])

        // A second receipt changes nothing; the first is kept.
        var second = receipt
        second.receivedAt = now + 999
        #expect(try await store.markDelivered(second) == false)
        #expect(try store.receipts(limit: 10) == [receipt])

        // A delivered delivery takes no more attempts.
        #expect(try await store.markSending(packageID: id, peer: "bob") == false)
        let error = await #expect(throws: StoreError.self) {
            try await store.recordFailure(packageID: id, peer: "bob", error: "late", nextAttempt: now)
        }
        #expect(error?.code == .conflict)
        #expect(try store.counts() == StoreCounts(outboxPackages: 1, queued: 1, delivered: 1))
    }

    @Test("operations on a delivery that does not exist: store.not-found")
    func notFound() async throws {
        let fixture = try StoreFixture()
        let id = try StoreFixture.packageID(9)
        try await fixture.store.enqueue(try StoreFixture.package(9), recipients: ["bob"])
        let attempts: [@Sendable () async throws -> Void] = [
            { _ = try await fixture.store.markSending(packageID: id, peer: "mallory") },
            { try await fixture.store.recordFailure(packageID: id, peer: "mallory", error: "x", nextAttempt: 0) },
            { try await fixture.store.markFailed(packageID: try StoreFixture.packageID(10), peer: "bob", error: "x") },
            { _ = try await fixture.store.markDelivered(try StoreFixture.receipt(9, peer: "mallory", signedBy: try StoreFixture.fingerprint(), at: 1)) },
        ]
        for attempt in attempts {
            let error = await #expect(throws: StoreError.self) { try await attempt() }
            #expect(error?.code == .notFound)
        }
        #expect(try fixture.store.receipts(limit: 10).isEmpty)
    }

    @Test("markFailed gives up for good; a late receipt is refused: store.conflict")
    func permanentFailure() async throws {
        let fixture = try StoreFixture()
        let id = try StoreFixture.packageID(2)
        try await fixture.store.enqueue(try StoreFixture.package(2), recipients: ["bob"])
        try await fixture.store.markFailed(packageID: id, peer: "bob", error: "recipient refused: unknown sender")
        #expect(try fixture.store.dueDeliveries(now: now + 10_000, limit: 10).isEmpty)
        let error = await #expect(throws: StoreError.self) {
            try await fixture.store.markDelivered(try StoreFixture.receipt(2, peer: "bob", signedBy: try StoreFixture.fingerprint(), at: now))
        }
        #expect(error?.code == .conflict)
        #expect(try fixture.store.counts().failed == 1)
        #expect(try fixture.store.outbox(limit: 1)[0].deliveries[0].lastError == "recipient refused: unknown sender")
    }

    @Test("expiry: expired packages are never due; expireDue moves their queued deliveries and returns them")
    func expiry() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let expiring = try StoreFixture.package(3, expires: now + 100)
        try await store.enqueue(expiring, recipients: ["bob", "carol", "dave"])
        try await store.enqueue(try StoreFixture.package(4), recipients: ["bob"])
        // dave got it before expiry; carol is mid-send.
        #expect(try await store.markDelivered(try StoreFixture.receipt(3, peer: "dave", signedBy: try StoreFixture.fingerprint(), at: now + 10)))
        #expect(try await store.markSending(packageID: expiring.id, peer: "carol"))

        #expect(try store.dueDeliveries(now: now + 99, limit: 10).map(\.peer) == ["bob", "bob"])
        #expect(try store.dueDeliveries(now: now + 100, limit: 10).map(\.packageID) == [try StoreFixture.packageID(4)])
        #expect(try await store.expireDue(now: now + 99).isEmpty)

        let expired = try await store.expireDue(now: now + 100)
        #expect(expired == [Delivery(packageID: expiring.id, peer: "bob", state: .expired, attempts: 0, nextAttempt: now)])
        #expect(try await store.expireDue(now: now + 100).isEmpty)
        // The interrupted send comes back as queued, and the next sweep expires it.
        #expect(try await store.resetInterrupted() == 1)
        #expect(try await store.expireDue(now: now + 200).map(\.peer) == ["carol"])

        // Expired is final for the sender: no more attempts.
        let failure = await #expect(throws: StoreError.self) {
            try await store.recordFailure(packageID: expiring.id, peer: "bob", error: "x", nextAttempt: now)
        }
        #expect(failure?.code == .conflict)
        #expect(try await store.markSending(packageID: expiring.id, peer: "bob") == false)
        #expect(try store.counts() == StoreCounts(outboxPackages: 2, queued: 1, delivered: 1, expired: 2))

        // But a receipt outranks the sweep: bob's copy was in flight when the sweep ran,
        // and the receipt proves bob accepted it. Delivered is then final again.
        let bobsReceipt = try StoreFixture.receipt(3, peer: "bob", signedBy: try StoreFixture.fingerprint(), at: now + 99)
        #expect(try await store.markDelivered(bobsReceipt, at: now + 101))
        #expect(try await store.markDelivered(bobsReceipt, at: now + 102) == false)
        #expect(try await store.expireDue(now: now + 300).isEmpty)
        #expect(try store.counts() == StoreCounts(outboxPackages: 2, queued: 1, delivered: 2, expired: 1))
        let deliveries = try store.outbox(limit: 10).first { $0.package.id == expiring.id }?.deliveries
        #expect(deliveries?.map(\.state) == [.delivered, .expired, .delivered])
        #expect(deliveries?.first?.deliveredAt == now + 101)
        #expect(try store.receipts(limit: 10).map(\.peer).sorted() == ["bob", "dave"])
    }

    @Test("resetInterrupted puts every sending delivery back in the queue, keeping delivered ones")
    func resetInterrupted() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        try await store.enqueue(try StoreFixture.package(5), recipients: ["bob", "carol", "dave"], firstAttempt: now)
        let id = try StoreFixture.packageID(5)
        #expect(try await store.markSending(packageID: id, peer: "bob"))
        #expect(try await store.markSending(packageID: id, peer: "carol"))
        #expect(try await store.markSending(packageID: id, peer: "dave"))
        #expect(try await store.markDelivered(try StoreFixture.receipt(5, peer: "dave", signedBy: try StoreFixture.fingerprint(), at: now)))
        #expect(try store.dueDeliveries(now: now, limit: 10).isEmpty)

        #expect(try await store.resetInterrupted() == 2)
        #expect(try store.dueDeliveries(now: now, limit: 10).map(\.peer) == ["bob", "carol"])
        #expect(try store.counts() == StoreCounts(outboxPackages: 1, queued: 2, delivered: 1))
        #expect(try await store.resetInterrupted() == 0)
    }

    @Test("outbox pages newest first; receipts newest first")
    func listings() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        for n in 1...5 {
            try await store.enqueue(try StoreFixture.package(n, created: now + Int64(n)), recipients: ["bob"])
            #expect(try await store.markDelivered(try StoreFixture.receipt(n, peer: "bob", signedBy: try StoreFixture.fingerprint(), at: now + Int64(10 * n))))
        }
        #expect(try store.outbox(limit: 2).map(\.package.id) == [try StoreFixture.packageID(5), try StoreFixture.packageID(4)])
        #expect(try store.outbox(limit: 2, offset: 4).map(\.package.id) == [try StoreFixture.packageID(1)])
        #expect(try store.outbox(limit: 2, offset: 5).isEmpty)
        #expect(try store.receipts(limit: 3).map(\.receivedAt) == [now + 50, now + 40, now + 30])
    }

    @Test("within one second the outbox lists the last queued first, whatever the ids; its index holds the time alone")
    func listingWithinASecond() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        for n in [9, 7, 8] { try await store.enqueue(try StoreFixture.package(n, created: now + 60), recipients: ["bob"]) }
        try await store.enqueue(try StoreFixture.package(1, created: now), recipients: ["bob"])
        #expect(try store.outbox(limit: 10).map(\.package.id) == [8, 7, 9, 1].map { try StoreFixture.packageID($0) })
        #expect(try store.outbox(limit: 2, offset: 1).map(\.package.id) == [7, 9].map { try StoreFixture.packageID($0) })
        // A new row's entry goes at the end of the index, not among random ids (schema v7).
        let columns = try await store.pool.read { try String.fetchAll($0, sql: "SELECT name FROM pragma_index_info('outbox_package_newest')") }
        #expect(columns == ["created"])
    }

    @Test("a very long error is cut before it is stored")
    func boundedError() async throws {
        let fixture = try StoreFixture()
        try await fixture.store.enqueue(try StoreFixture.package(6), recipients: ["bob"])
        try await fixture.store.recordFailure(packageID: try StoreFixture.packageID(6), peer: "bob",
                                        error: String(repeating: "x", count: 100_000), nextAttempt: now)
        #expect(try fixture.store.outbox(limit: 1)[0].deliveries[0].lastError?.count == NodeStore.maximumErrorLength)
    }
}

/// Flags set from another thread and read after.
private final class LockedFlags: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [String: Bool] = [:]
    func set(_ name: String, _ value: Bool) { lock.lock(); flags[name] = value; lock.unlock() }
    func value(_ name: String) -> Bool? { lock.lock(); defer { lock.unlock() }; return flags[name] }
}
