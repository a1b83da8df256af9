import Foundation
@testable import LiaisonStore
import Testing

/// The queue behind both group commits: items that may wait are held back for
/// one that may not, and nothing is held for longer than the hold, or past a stop.
@Suite("Commit thread: holding back items nobody waits for, and idle callers", .serialized)
struct CommitThreadTests {
    /// Records the batches a commit thread hands over; negative items may wait.
    final class Batches: @unchecked Sendable {
        private let condition = NSCondition()
        private var batches: [[Int]] = []

        func commit(_ batch: [Int]) {
            condition.lock()
            batches.append(batch)
            condition.broadcast()
            condition.unlock()
        }

        /// The batches once `count` have been committed, or nil after `seconds`.
        func waitFor(_ count: Int, seconds: Double = 10) -> [[Int]]? {
            let deadline = Date(timeIntervalSinceNow: seconds)
            condition.lock()
            defer { condition.unlock() }
            while batches.count < count {
                guard condition.wait(until: deadline) else { return nil }
            }
            return batches
        }
    }

    static func thread(_ batches: Batches, hold: Duration) -> CommitThread<Int> {
        CommitThread(name: "commit-thread-test", limit: 100, weight: { _ in 1 }, mayWait: { $0 < 0 }, hold: hold) { batches.commit($0) }
    }

    @Test("an item that may wait rides along in the commit of the next one that may not")
    func ridesAlong() throws {
        let batches = Batches()
        let thread = Self.thread(batches, hold: .seconds(30))
        defer { thread.stop() }
        thread.submit(-1)
        Thread.sleep(forTimeInterval: 0.05)
        thread.submit(1)
        // Long before the 30 s hold ends: the second item ended it.
        let committed = try #require(batches.waitFor(1))
        #expect(committed == [[-1, 1]])
    }

    @Test("an item that may wait, alone, is committed once the hold is over, not before")
    func heldNoLongerThanTheHold() throws {
        let batches = Batches()
        let thread = Self.thread(batches, hold: .milliseconds(200))
        defer { thread.stop() }
        let clock = ContinuousClock()
        let start = clock.now
        thread.submit(-1)
        let committed = try #require(batches.waitFor(1))
        #expect(committed == [[-1]])
        #expect(clock.now - start >= .milliseconds(200))
    }

    @Test("items that may not wait are committed at once, and so is whatever waits when the thread stops")
    func pressingAndStopping() throws {
        let batches = Batches()
        let thread = Self.thread(batches, hold: .seconds(30))
        thread.submit(2)
        #expect(try #require(batches.waitFor(1)) == [[2]])
        thread.submit(-3)
        thread.stop()
        // Well within the 30 s hold.
        #expect(try #require(batches.waitFor(2)) == [[2], [-3]])
    }

    @Test("items that may wait are held together, and a full batch's weight ends the hold")
    func heldTogetherUntilFull() throws {
        let batches = Batches()
        let thread = Self.thread(batches, hold: .seconds(30))
        defer { thread.stop() }
        // 100 is the test thread's limit: the 100th held item ends the 30 s hold.
        for item in 1...100 { thread.submit(-item) }
        let committed = try #require(batches.waitFor(1))
        #expect(committed == [(1...100).map { -$0 }])
    }

    /// Records which thread committed each batch, and whether two ever overlapped.
    final class Committers: @unchecked Sendable {
        private let lock = NSLock()
        private var batches: [(items: [Int], onCaller: Bool)] = []
        private var running = 0
        private var overlapped = false
        /// The caller thread of the moment (the test's own threads set it before submitting).
        private var caller: pthread_t?
        /// Item 1's commit signals `entered` and then waits for `release`, when `holdFirst`.
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let holdFirst: Bool

        init(holdFirst: Bool = false) { self.holdFirst = holdFirst }

        func commit(_ batch: [Int]) {
            lock.lock()
            running += 1
            if running > 1 { overlapped = true }
            let onCaller = caller.map { pthread_equal($0, pthread_self()) != 0 } ?? false
            lock.unlock()
            if holdFirst && batch == [1] {
                entered.signal()
                release.wait()
            }
            lock.lock()
            running -= 1
            batches.append((batch, onCaller))
            lock.unlock()
        }

        var snapshot: [(items: [Int], onCaller: Bool)] { lock.lock(); defer { lock.unlock() }; return batches }
        var didOverlap: Bool { lock.lock(); defer { lock.unlock() }; return overlapped }
        func setCaller(_ thread: pthread_t) { lock.lock(); caller = thread; lock.unlock() }

        /// Whether `items` items were committed within 10 s.
        func waitForItems(_ items: Int) -> Bool {
            let deadline = ContinuousClock.now + .seconds(10)
            while snapshot.flatMap(\.items).count < items {
                guard ContinuousClock.now < deadline else { return false }
                Thread.sleep(forTimeInterval: 0.002)
            }
            return true
        }
    }

    /// Runs `body` on a thread of its own, known to `committers` as the caller, and waits for it.
    static func onCaller(_ committers: Committers, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread { committers.setCaller(pthread_self()); body(); done.signal() }.start()
        done.wait()
    }

    @Test("an idle queue lets its caller commit: after enough quiet items in a row, not before, and not for items in quick succession")
    func idleCallerCommits() throws {
        let committers = Committers()
        let thread = CommitThread<Int>(name: "commit-thread-test", limit: 100, weight: { _ in 1 },
                                       idleCallers: .init(gap: .milliseconds(50), count: 3, quickCommit: .seconds(10))) { committers.commit($0) }
        defer { thread.stop() }
        for item in 1...4 {
            Thread.sleep(forTimeInterval: 0.1)
            Self.onCaller(committers) { thread.submit(item) }
            // The thread commits the first ones: each is in before the next is submitted.
            #expect(committers.waitForItems(item))
        }
        #expect(committers.snapshot.map(\.items) == [[1], [2], [3], [4]])
        #expect(committers.snapshot.map(\.onCaller) == [false, false, true, true], "the first two came after no quiet run yet")
        // Back to back: the second comes at once after the first, so it goes to the thread.
        Self.onCaller(committers) {
            thread.submit(5)
            thread.submit(6)
        }
        #expect(committers.waitForItems(6))
        let last = committers.snapshot.last
        #expect(last?.items.last == 6 && last?.onCaller == false)
        #expect(!committers.didOverlap)
    }

    @Test("while a caller commits, items queue for the thread, which commits them after it, never alongside")
    func callerAndThreadNeverOverlap() throws {
        let committers = Committers(holdFirst: true)
        let thread = CommitThread<Int>(name: "commit-thread-test", limit: 100, weight: { _ in 1 },
                                       idleCallers: .init(gap: .zero, count: 0, quickCommit: .seconds(10))) { committers.commit($0) }
        defer { thread.stop() }
        Thread { committers.setCaller(pthread_self()); thread.submit(1) }.start()
        // The caller is inside item 1's commit: these queue, and the thread waits for it.
        committers.entered.wait()
        thread.submit(2)
        thread.submit(3)
        Thread.sleep(forTimeInterval: 0.05)
        #expect(committers.snapshot.isEmpty, "the thread committed while the caller did")
        committers.release.signal()
        #expect(committers.waitForItems(3))
        let batches = committers.snapshot
        #expect(batches.first.map { $0.items == [1] && $0.onCaller } == true)
        #expect(batches.dropFirst().flatMap(\.items) == [2, 3])
        #expect(!committers.didOverlap, "two batches were committed at once")
    }
}
