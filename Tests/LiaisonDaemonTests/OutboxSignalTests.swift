import Foundation
import Testing
@testable import LiaisonDaemon

@Suite("Outbox signal: senders wake on new work without polling")
struct OutboxSignalTests {
    @Test("a waiter wakes as soon as work is announced, long before its timeout")
    func wakesOnAnnounce() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        let clock = ContinuousClock()
        let start = clock.now
        async let waited: Void = signal.wait(past: seen, timeout: .seconds(10))
        try? await Task.sleep(for: .milliseconds(20))
        signal.announce()
        await waited
        #expect(clock.now - start < .seconds(5))
        #expect(signal.generation != seen)
    }

    @Test("a waiter that missed the announcement returns at once")
    func missedAnnouncement() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        signal.announce()
        let clock = ContinuousClock()
        let start = clock.now
        await signal.wait(past: seen, timeout: .seconds(10))
        #expect(clock.now - start < .seconds(5))
    }

    @Test("with nothing announced a waiter returns at its timeout")
    func timesOut() async {
        let signal = OutboxSignal()
        let clock = ContinuousClock()
        let start = clock.now
        await signal.wait(past: signal.generation, timeout: .milliseconds(50))
        let elapsed = clock.now - start
        #expect(elapsed >= .milliseconds(45) && elapsed < .seconds(5))
    }

    @Test("many waiters all wake on one announcement, and none is left registered")
    func manyWaiters() async {
        let signal = OutboxSignal()
        let seen = signal.generation
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { await signal.wait(past: seen, timeout: .seconds(10)) } }
            try? await Task.sleep(for: .milliseconds(50))
            signal.announce()
        }
        // A later wait with the new generation still times out normally.
        let clock = ContinuousClock()
        let start = clock.now
        await signal.wait(past: signal.generation, timeout: .milliseconds(20))
        #expect(clock.now - start >= .milliseconds(15))
    }
}
