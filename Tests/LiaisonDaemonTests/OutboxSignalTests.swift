import Foundation
import Testing
@testable import LiaisonDaemon

/// The waits use timeouts far longer than the tests' time limits: a waiter that is
/// not woken by the announcement makes its test fail by the limit. (Elapsed times
/// are not asserted: on a busy 2-core machine running the whole suite, tasks can
/// wait seconds for a thread.)
@Suite("Outbox signal: senders wake on new work without polling")
struct OutboxSignalTests {
    @Test("a waiter wakes when work is announced, not at its timeout", .timeLimit(.minutes(1)))
    func wakesOnAnnounce() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        async let waited: Void = signal.wait(past: seen, timeout: .seconds(3600))
        try? await Task.sleep(for: .milliseconds(20))
        signal.announce()
        await waited
        #expect(signal.generation != seen)
    }

    @Test("a waiter that missed the announcement returns at once", .timeLimit(.minutes(1)))
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

    @Test("many waiters all wake on one announcement, and none is left registered", .timeLimit(.minutes(1)))
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

    @Test("a cancelled waiter returns at once, and so does one cancelled before it waits", .timeLimit(.minutes(1)))
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
}
