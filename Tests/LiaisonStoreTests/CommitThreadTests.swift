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
}
