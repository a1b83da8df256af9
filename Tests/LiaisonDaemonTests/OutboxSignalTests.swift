import Foundation
import LiaisonCore
import LiaisonStore
import Testing
@testable import LiaisonDaemon

/// The waits use timeouts far longer than the tests' time limits: a waiter that is
/// not woken by the announcement makes its test fail by the limit. (Elapsed times
/// are not asserted: on a busy 2-core machine running the whole suite, tasks can
/// wait seconds for a thread.)
@Suite("Outbox signal: senders wake on new work without polling")
struct OutboxSignalTests {
    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("a waiter wakes when work is announced, not at its timeout", .timeLimit(.minutes(10)))
    func wakesOnAnnounce() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        async let waited: Void = signal.wait(past: seen, timeout: .seconds(3600))
        try? await Task.sleep(for: .milliseconds(20))
        signal.announce()
        await waited
        #expect(signal.generation != seen)
    }

    @Test("a waiter that missed the announcement returns at once", .timeLimit(.minutes(10)))
    func missedAnnouncement() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        signal.announce()
        await signal.wait(past: seen, timeout: .seconds(3600))
        #expect(signal.generation != seen)
    }

    @Test("with nothing announced a waiter returns at its timeout")
    func timesOut() async {
        let signal = OutboxSignal()
        let clock = ContinuousClock()
        let start = clock.now
        await signal.wait(past: signal.generation, timeout: .milliseconds(50))
        #expect(clock.now - start >= .milliseconds(45))
    }

    @Test("many waiters all wake on one announcement, and none is left registered", .timeLimit(.minutes(10)))
    func manyWaiters() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { await signal.wait(past: seen, timeout: .seconds(3600)) } }
            try? await Task.sleep(for: .milliseconds(50))
            signal.announce()
        }
        // A later wait with the new generation still times out normally.
        let clock = ContinuousClock()
        let start = clock.now
        await signal.wait(past: signal.generation, timeout: .milliseconds(20))
        #expect(clock.now - start >= .milliseconds(15))
    }

    @Test("a cancelled waiter returns at once, and so does one cancelled before it waits", .timeLimit(.minutes(10)))
    func cancelled() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        let waiting = Task { await signal.wait(past: seen, timeout: .seconds(3600)) }
        try? await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await waiting.value
        let early = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await signal.wait(past: seen, timeout: .seconds(3600))
        }
        await early.value
        #expect(signal.generation == seen, "nothing was announced: the waits ended by cancellation")
    }

    /// A small package queued for `recipients`, as the control socket queues one.
    static func queued(_ recipients: [String]) throws -> QueuedPackage {
        let body = [UInt8](repeating: 7, count: 64)
        let package = OutboxPackage(id: try PackageID.random(), path: nil, size: Int64(body.count), created: 1_800_000_000,
                                    expires: nil, tlp: .green, markings: "TLP:GREEN")
        return QueuedPackage(package: package, body: body, recipients: recipients)
    }

    private func queued(_ recipients: [String]) throws -> QueuedPackage { try Self.queued(recipients) }

    /// A signal with a sender to bravo running, and the generation of its first read.
    static func senderToBravo() -> (OutboxSignal, UInt64) {
        let signal = OutboxSignal()
        signal.senderStarted(peer: "bravo")
        return (signal, signal.beginLook(peer: "bravo"))
    }

    @Test("packages handed over are taken once, in queueing order, as the queue would list them")
    func handOver() throws {
        let (signal, seen) = Self.senderToBravo()
        let first = try queued(["bravo"]), second = try queued(["bravo"])
        signal.announceQueued(handingOver: ["bravo": [first.duePackage(to: "bravo")]], others: [])
        signal.announceQueued(handingOver: ["bravo": [second.duePackage(to: "bravo")]], others: [])
        let taken = try #require(signal.takeHandedOver(peer: "bravo", since: seen, limit: 64))
        #expect(taken.packages.map(\.package.id) == [first.package.id, second.package.id])
        #expect(!taken.more)
        #expect(taken.generation == signal.generation)
        let delivery = try #require(taken.packages.first?.delivery)
        #expect(delivery == Delivery(packageID: first.package.id, peer: "bravo", state: .queued, attempts: 0, nextAttempt: 1_800_000_000))
        #expect(taken.packages.first?.body == first.body)
        #expect(signal.takeHandedOver(peer: "bravo", since: taken.generation, limit: 64)?.packages.isEmpty == true, "taken once")
        #expect(signal.takeHandedOver(peer: "charlie", since: seen, limit: 64)?.packages.isEmpty == true, "nothing for another peer")
    }

    @Test("a take is at most a batch; the rest stay for the next")
    func takeIsBounded() throws {
        let (signal, seen) = Self.senderToBravo()
        let packages = try (0..<5).map { _ in try queued(["bravo"]).duePackage(to: "bravo") }
        signal.announceQueued(handingOver: ["bravo": packages], others: [])
        let first = try #require(signal.takeHandedOver(peer: "bravo", since: seen, limit: 3))
        #expect(first.packages.map(\.package.id) == packages.prefix(3).map(\.package.id) && first.more)
        let rest = try #require(signal.takeHandedOver(peer: "bravo", since: first.generation, limit: 3))
        #expect(rest.packages.map(\.package.id) == packages.suffix(2).map(\.package.id) && !rest.more)
    }

    @Test("nothing is kept for a peer with no sender running, and a sender's end drops what it did not take")
    func keptOnlyWhileASenderRuns() throws {
        let signal = OutboxSignal()
        let seen = signal.beginLook(peer: "bravo")
        signal.announceQueued(handingOver: ["bravo": [try queued(["bravo"]).duePackage(to: "bravo")]], others: [])
        #expect(signal.takeHandedOver(peer: "bravo", since: seen, limit: 64)?.packages.isEmpty == true, "no sender ran: its next reads the queue")

        signal.senderStarted(peer: "bravo")
        signal.senderStarted(peer: "bravo")
        signal.announceQueued(handingOver: ["bravo": [try queued(["bravo"]).duePackage(to: "bravo")]], others: [])
        signal.senderEnded(peer: "bravo")
        #expect(signal.takeHandedOver(peer: "bravo", since: seen, limit: 64)?.packages.count == 1, "one sender still runs")
        signal.announceQueued(handingOver: ["bravo": [try queued(["bravo"]).duePackage(to: "bravo")]], others: [])
        signal.senderEnded(peer: "bravo")
        #expect(signal.takeHandedOver(peer: "bravo", since: seen, limit: 64)?.packages.isEmpty == true, "dropped with the last sender")
    }

    @Test("a queueing not handed over, or a general announcement, sends the sender to its queue")
    func mustRead() throws {
        let (signal, seen) = Self.senderToBravo()
        let small = try queued(["bravo", "charlie"])
        // Handed to bravo; not to charlie (a large package, say).
        signal.announceQueued(handingOver: ["bravo": [small.duePackage(to: "bravo")]], others: ["charlie"])
        #expect(signal.takeHandedOver(peer: "charlie", since: seen, limit: 64) == nil, "charlie's sender reads its queue")
        let taken = try #require(signal.takeHandedOver(peer: "bravo", since: seen, limit: 64))
        #expect(taken.packages.count == 1)

        // A large package for bravo is never handed over: bravo's sender must read.
        signal.announceQueued(handingOver: [:], others: ["bravo"])
        #expect(signal.takeHandedOver(peer: "bravo", since: taken.generation, limit: 64) == nil)
        let read = signal.beginLook(peer: "bravo")
        #expect(signal.takeHandedOver(peer: "bravo", since: read, limit: 64)?.packages.isEmpty == true, "after the read, nothing new")

        signal.announce()
        #expect(signal.takeHandedOver(peer: "bravo", since: read, limit: 64) == nil, "anything may be due after a general announcement")
        #expect(signal.takeHandedOver(peer: "charlie", since: read, limit: 64) == nil)
    }

    @Test("past its limits, in packages or in bytes, a hand-over sends the sender to its queue instead")
    func handOverIsBounded() throws {
        for (limit, byteLimit, count) in [(3, 1 << 20, 4), (100, 200, 4)] {   // 4 packages of 64 bytes: over 3 packages, over 200 bytes
            let signal = OutboxSignal(handOverLimit: limit, handOverByteLimit: byteLimit)
            signal.senderStarted(peer: "bravo")
            let seen = signal.beginLook(peer: "bravo")
            let packages = try (0..<count).map { _ in try queued(["bravo"]).duePackage(to: "bravo") }
            signal.announceQueued(handingOver: ["bravo": Array(packages.prefix(count - 1))], others: [])
            signal.announceQueued(handingOver: ["bravo": Array(packages.suffix(1))], others: [])
            #expect(signal.takeHandedOver(peer: "bravo", since: seen, limit: 64) == nil, "over the limit: the sender reads its queue")
            let read = signal.beginLook(peer: "bravo")
            signal.announceQueued(handingOver: ["bravo": Array(packages.prefix(1))], others: [])
            #expect(signal.takeHandedOver(peer: "bravo", since: read, limit: 64)?.packages.count == 1, "after the read, hand-overs again")
        }
    }

    @Test("reading the queue drops what was handed over: the read finds it")
    func lookDropsHandOvers() throws {
        let (signal, seen) = Self.senderToBravo()
        let package = try queued(["bravo"])
        signal.announceQueued(handingOver: ["bravo": [package.duePackage(to: "bravo")]], others: [])
        let read = signal.beginLook(peer: "bravo")
        #expect(read != seen)
        #expect(signal.takeHandedOver(peer: "bravo", since: read, limit: 64)?.packages.isEmpty == true)
    }
}
