import Foundation
@testable import LiaisonStore
import Testing

/// The queue behind both group commits: items that may wait are held back for
/// one that may not, and nothing is held for longer than the hold, or past a stop.
@Suite("Commit thread: holding back items nobody waits for")
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
        private(set) var batches: [(items: [Int], onCaller: Bool)] = []
        private var running = 0
        private(set) var overlapped = false
        /// The caller thread of the moment (the test's own threads set it before submitting).
        var caller: pthread_t?

        func commit(_ batch: [Int], pause: TimeInterval = 0) {
            lock.lock()
            running += 1
            if running > 1 { overlapped = true }
            lock.unlock()
            if pause > 0 { Thread.sleep(forTimeInterval: pause) }
            lock.lock()
            let onCaller = caller.map { pthread_equal($0, pthread_self()) != 0 } ?? false
            lock.unlock()
            lock.lock()
            running -= 1
            batches.append((batch, onCaller))
            lock.unlock()
        }

        var snapshot: [(items: [Int], onCaller: Bool)] { lock.lock(); defer { lock.unlock() }; return batches }

        func setCaller(_ thread: pthread_t) { lock.lock(); caller = thread; lock.unlock() }
    }

    /// Runs `body` on a thread of its own, known to `committers` as the caller, and waits for it.
    static func onCaller(_ committers: Committers, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread { committers.setCaller(pthread_self()); body(); done.signal() }
        thread.start()
        done.wait()
    }

    @Test("an idle queue lets its caller commit: after enough quiet items in a row, not before")
    func idleCallerCommits() throws {
        let committers = Committers()
        let thread = CommitThread<Int>(name: "commit-thread-test", limit: 100, weight: { _ in 1 },
                                       idleCallers: .init(gap: .milliseconds(5), count: 3)) { committers.commit($0) }
        defer { thread.stop() }
        for item in 1...4 {
            Thread.sleep(forTimeInterval: 0.02)
            Self.onCaller(committers) { thread.submit(item) }
            // Until the third quiet item the thread commits; wait for it before the next.
            for _ in 0..<500 where committers.snapshot.count < item { Thread.sleep(forTimeInterval: 0.002) }
        }
        let batches = committers.snapshot
        #expect(batches.map(\.items) == [[1], [2], [3], [4]])
        #expect(batches.map(\.onCaller) == [false, false, true, true], "the first two came after no quiet run yet")
        // Items in quick succession go back to the thread.
        Self.onCaller(committers) { thread.submit(5) }
        Self.onCaller(committers) { thread.submit(6) }
        for _ in 0..<500 where committers.snapshot.count < 6 { Thread.sleep(forTimeInterval: 0.002) }
        #expect(committers.snapshot.last?.onCaller == false)
        #expect(!committers.overlapped)
    }

    @Test("while a caller commits, items queue for the thread, which commits them after it, never alongside")
    func callerAndThreadNeverOverlap() throws {
        let committers = Committers()
        let thread = CommitThread<Int>(name: "commit-thread-test", limit: 100, weight: { _ in 1 },
                                       idleCallers: .init(gap: .zero, count: 0)) { batch in
            committers.commit(batch, pause: batch == [1] ? 0.2 : 0)
        }
        defer { thread.stop() }
        let caller = Thread { committers.setCaller(pthread_self()); thread.submit(1) }
        caller.start()
        Thread.sleep(forTimeInterval: 0.05)
        // The caller is committing item 1 (for 0.2 s): these queue, and the thread waits for it.
        thread.submit(2)
        thread.submit(3)
        for _ in 0..<1000 where committers.snapshot.flatMap(\.items).count < 3 { Thread.sleep(forTimeInterval: 0.002) }
        let batches = committers.snapshot
        #expect(batches.first.map { $0.items == [1] && $0.onCaller } == true)
        #expect(batches.dropFirst().flatMap(\.items) == [2, 3])
        #expect(!committers.overlapped, "two batches were committed at once")
    }
}
