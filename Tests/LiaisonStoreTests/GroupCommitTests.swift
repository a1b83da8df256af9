import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// The node store's group commit: concurrent writes share transactions, yet
/// each one succeeds or fails on its own and hears its own outcome.
@Suite("Group commit: shared transactions, separate outcomes")
struct GroupCommitTests {
    let now = StoreFixture.now

    /// What one concurrent write should come to.
    enum Expected: Sendable, Equatable {
        case committed
        case failed(StoreError.Code)
    }

    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("200 concurrent writes: the failing ones throw their own codes, every valid one is committed and survives a reopen",
          .timeLimit(.minutes(10)))
    func mixedBatch() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        // Packages 1…20 are already queued, so enqueueing them again is a duplicate.
        for n in 1...20 { try await store.enqueue(try StoreFixture.package(n), recipients: ["bob"]) }

        let writes = 200
        let outcomes = try await withThrowingTaskGroup(of: (Int, Expected, Expected).self) { group in
            for i in 0..<writes {
                group.addTask {
                    let expected: Expected
                    let actual: Expected
                    do {
                        switch i % 4 {
                        case 0:   // no such delivery
                            expected = .failed(.notFound)
                            try await store.markFailed(packageID: try StoreFixture.packageID(10_000 + i), peer: "nobody", error: "x")
                        case 1:   // already queued
                            expected = .failed(.duplicate)
                            try await store.enqueue(try StoreFixture.package(1 + i % 20), recipients: ["carol"])
                        case 2:   // a new package, inline
                            expected = .committed
                            let body = Array("sealed package \(i)".utf8)
                            var package = try StoreFixture.package(1000 + i)
                            package.path = nil
                            package.size = Int64(body.count)
                            try await store.enqueue(package, body: body, recipients: ["bob", "carol"])
                        default:  // a new package, in a file
                            expected = .committed
                            try await store.enqueue(try StoreFixture.package(1000 + i), recipients: ["dave"])
                        }
                        actual = .committed
                    } catch let error as StoreError {
                        actual = .failed(error.code)
                    }
                    return (i, expected, actual)
                }
            }
            var all: [(Int, Expected, Expected)] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        #expect(outcomes.count == writes)
        for (i, expected, actual) in outcomes {
            #expect(actual == expected, "write \(i)")
        }

        // 50 inline packages (2 deliveries each), 50 in files (1 each), plus the 20 from before.
        let expectedCounts = StoreCounts(outboxPackages: 120, queued: 20 + 100 + 50)
        #expect(try store.counts() == expectedCounts)
        for i in 0..<writes where i % 4 == 2 {
            let id = try StoreFixture.packageID(1000 + i)
            #expect(try store.outboxBody(id: id) == Array("sealed package \(i)".utf8))
            #expect(try store.outboxPackage(id: id)?.path == nil)
        }
        // The duplicates added no delivery for carol to the first twenty.
        #expect(try store.deliveryCountsByPeer()["carol"] == [.queued: 50])
        let before = try store.outbox(limit: 1000)

        let reopened = try fixture.reopen()
        #expect(try reopened.counts() == expectedCounts)
        #expect(try reopened.outbox(limit: 1000) == before)
        #expect(try await reopened.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
    }

    @Test("a write that returns a value gets its own value back, however the writes are batched", .timeLimit(.minutes(10)))
    func ownValues() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let alice = try StoreFixture.fingerprint("alice")
        let bob = try StoreFixture.fingerprint("bob")
        // Inbox 1…40 already accepted; packages 1…40 queued, the odd ones already being sent,
        // and 1…10 already delivered.
        for n in 1...40 {
            #expect(try await store.recordReceived(try StoreFixture.inboxEntry(n, sender: alice)))
            try await store.enqueue(try StoreFixture.package(n), recipients: ["bob"])
            if n % 2 == 1 { #expect(try await store.markSending(packageID: try StoreFixture.packageID(n), peer: "bob")) }
            if n <= 10 { #expect(try await store.markDelivered(try StoreFixture.receipt(n, peer: "bob", signedBy: bob, at: now))) }
        }

        enum Write: Sendable {
            case received(Int), sending(Int), delivered(Int)
        }
        var writes: [(Write, Bool)] = []
        for n in 1...80 { writes.append((.received(n), n > 40)) }                   // new only above 40
        for n in 21...40 { writes.append((.sending(n), n % 2 == 0)) }               // claimable only if not yet claimed
        for n in 1...20 { writes.append((.delivered(n), n > 10)) }                  // new receipt only above 10
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for (index, (write, _)) in writes.enumerated() {
                group.addTask {
                    switch write {
                    case .received(let n):
                        return (index, try await store.recordReceived(try StoreFixture.inboxEntry(n, sender: alice)))
                    case .sending(let n):
                        return (index, try await store.markSending(packageID: try StoreFixture.packageID(n), peer: "bob"))
                    case .delivered(let n):
                        return (index, try await store.markDelivered(try StoreFixture.receipt(n, peer: "bob", signedBy: bob, at: now + 1)))
                    }
                }
            }
            var byIndex: [Int: Bool] = [:]
            for try await (index, value) in group { byIndex[index] = value }
            return byIndex
        }
        #expect(results.count == writes.count)
        for (index, (write, expected)) in writes.enumerated() {
            #expect(results[index] == expected, "\(write)")
        }
        #expect(try store.counts() == StoreCounts(outboxPackages: 40, sending: 20, delivered: 20, inbox: 80))
        // The first receipt of 1…10 was kept, not the second.
        let receipts = try store.receipts(limit: 100)
        #expect(receipts.count == 20)
        #expect(receipts.filter { $0.receivedAt == now }.count == 10)
        // A write that returns a list gets its own list.
        let expiring = try StoreFixture.package(90, expires: now + 10)
        try await store.enqueue(expiring, recipients: ["x", "y"])
        async let expired = store.expireDue(now: now + 10)
        async let reset = store.resetInterrupted()
        #expect(Set(try await expired.map(\.peer)) == ["x", "y"])
        #expect(try await reset == 20)
    }

    @Test("a write that fails half-way is rolled back alone: its first statement is undone, the others in its batch commit",
          .timeLimit(.minutes(10)))
    func partialWriteRolledBack() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let bob = try StoreFixture.fingerprint("bob")
        for n in 1...60 { try await store.enqueue(try StoreFixture.package(n), recipients: ["bob"]) }
        // Even packages get a receipt the schema refuses (empty signature) after their
        // delivery row was already updated; odd ones a valid receipt.
        let outcomes = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for n in 1...60 {
                group.addTask {
                    var receipt = try StoreFixture.receipt(n, peer: "bob", signedBy: bob, at: now)
                    if n % 2 == 0 { receipt.signature = [] }
                    do {
                        _ = try await store.markDelivered(receipt)
                        return (n, "committed")
                    } catch let error as StoreError {
                        return (n, error.code.rawValue)
                    }
                }
            }
            var all: [Int: String] = [:]
            for try await (n, code) in group { all[n] = code }
            return all
        }
        for n in 1...60 {
            #expect(outcomes[n] == (n % 2 == 0 ? StoreError.Code.constraint.rawValue : "committed"), "package \(n)")
        }
        #expect(try store.counts() == StoreCounts(outboxPackages: 60, queued: 30, delivered: 30))
        #expect(Set(try store.dueDeliveries(now: now, limit: 100).map(\.packageID))
                == Set(try stride(from: 2, through: 60, by: 2).map { try StoreFixture.packageID($0) }))
        #expect(try store.receipts(limit: 100).count == 30)
        let reopened = try fixture.reopen()
        #expect(try reopened.counts() == StoreCounts(outboxPackages: 60, queued: 30, delivered: 30))
        #expect(try reopened.pool.read { try Row.fetchAll($0, sql: "PRAGMA foreign_key_check") }.isEmpty)
    }

    @Test("writes from many threads at once while another connection holds the write lock for a moment: all land",
          .timeLimit(.minutes(10)))
    func writesWaitForAnotherWriter() async throws {
        let fixture = try StoreFixture()
        let store = fixture.store
        let raw = try fixture.rawConnection()
        let locked = DispatchSemaphore(value: 0)
        let other = try StoreFixture.packageID(500).description
        let holder = Thread {
            // Another process's write: it holds the lock for half a second, then commits a package.
            try? raw.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    locked.signal()
                    usleep(500_000)
                    try db.execute(sql: "INSERT INTO outbox_package (id, path, size, created, tlp, markings) VALUES (?, '/p', 1, 1, 'RED', 'x')",
                                   arguments: [other])
                    return .commit
                }
            }
        }
        holder.start()
        locked.wait()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 1...100 {
                group.addTask { try await store.enqueue(try StoreFixture.package(n), recipients: ["bob"]) }
            }
            try await group.waitForAll()
        }
        #expect(try store.counts() == StoreCounts(outboxPackages: 101, queued: 100))
        #expect(try fixture.reopen().counts() == StoreCounts(outboxPackages: 101, queued: 100))
    }

    @Test("on a disk that fills up mid-burst, every write either fails or is durable: after a reopen exactly the acknowledged ones are there",
          .enabled(if: SmallFilesystem.isAvailable, "mounting a small tmpfs needs root"), .timeLimit(.minutes(10)))
    func diskFillsUp() async throws {
        let volume = try SmallFilesystem(bytes: 3 << 20)
        let path = volume.path + "/" + NodeStore.fileName
        let store = try NodeStore(path: path)
        // Room to free afterwards, so the file can be reopened and written again.
        let spare = volume.path + "/spare"
        #expect(FileManager.default.createFile(atPath: spare, contents: Data(count: 512 << 10)))
        let writes = 200
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for n in 1...writes {
                group.addTask {
                    let body = [UInt8](repeating: UInt8(n & 0xFF), count: 20_000)
                    var package = try StoreFixture.package(n)
                    package.path = nil
                    package.size = Int64(body.count)
                    do {
                        try await store.enqueue(package, body: body, recipients: ["bob"])
                        return (n, true)
                    } catch is StoreError {
                        return (n, false)
                    }
                }
            }
            var all: [Int: Bool] = [:]
            for try await (n, committed) in group { all[n] = committed }
            return all
        }
        #expect(outcomes.count == writes)
        let acknowledged = Set(try outcomes.filter(\.value).keys.map { try StoreFixture.packageID($0) })
        // 200 × 20 kB cannot fit in 3 MiB: some were refused, and some got in.
        #expect(acknowledged.count < writes && !acknowledged.isEmpty)
        #expect(Set(try store.outbox(limit: 1000).map(\.package.id)) == acknowledged)

        unlink(spare)
        let reopened = try NodeStore(path: path)
        #expect(Set(try reopened.outbox(limit: 1000).map(\.package.id)) == acknowledged)
        #expect(try reopened.counts() == StoreCounts(outboxPackages: acknowledged.count, queued: acknowledged.count))
        for id in acknowledged.prefix(5) { #expect(try reopened.outboxBody(id: id)?.count == 20_000) }
        #expect(try await reopened.pool.read { try String.fetchAll($0, sql: "PRAGMA integrity_check") } == ["ok"])
        // With space back, writing works again.
        try await reopened.enqueue(try StoreFixture.package(writes + 1), recipients: ["bob"])
        #expect(try reopened.counts().outboxPackages == acknowledged.count + 1)
    }

    @Test("when the disk fills during a batch, every caller that failed hears store.disk-full, not a generic error",
          .enabled(if: SmallFilesystem.isAvailable, "mounting a small tmpfs needs root"), .timeLimit(.minutes(10)))
    func concurrentDiskFullSaysSo() async throws {
        let volume = try SmallFilesystem(bytes: 4 << 20)
        let store = try NodeStore(path: volume.path + "/" + NodeStore.fileName)
        try await store.enqueue(try StoreFixture.package(1), recipients: ["bob"])
        let filler = volume.fill()
        defer { unlink(filler) }
        let codes = try await withThrowingTaskGroup(of: StoreError.Code?.self) { group in
            for n in 2...41 {
                group.addTask {
                    let body = [UInt8](repeating: UInt8(n), count: NodeStore.maximumInlineBytes)
                    var package = try StoreFixture.package(n)
                    package.path = nil
                    package.size = Int64(body.count)
                    do {
                        try await store.enqueue(package, body: body, recipients: ["bob"])
                        return nil
                    } catch let error as StoreError {
                        return error.code
                    }
                }
            }
            var all: [StoreError.Code?] = []
            for try await code in group { all.append(code) }
            return all
        }
        let failed = codes.compactMap { $0 }
        #expect(!failed.isEmpty, "the disk was full: some writes must have failed")
        #expect(failed.allSatisfy { $0 == .diskFull }, "\(failed)")
    }
}
