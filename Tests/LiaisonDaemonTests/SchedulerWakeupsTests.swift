@testable import LiaisonDaemon
import Testing

/// The scheduler is told whom to look at: a queueing names its recipients, the
/// ticker every peer; what is asked for while it is busy waits for its next look.
@Suite("Scheduler wake-ups")
struct SchedulerWakeupsTests {
    @Test("named wake-ups merge until taken, and taking clears them")
    func namedMerge() {
        let wakeups = SchedulerWakeups()
        wakeups.wake(for: ["bravo"])
        wakeups.wake(for: ["charlie", "bravo"])
        #expect(wakeups.take() == .init(everyPeer: false, peers: ["bravo", "charlie"]))
        #expect(wakeups.take() == .init())
    }

    @Test("a tick asks for every peer, whatever was named with it")
    func tickAsksForEveryone() {
        let wakeups = SchedulerWakeups()
        wakeups.wake(for: ["bravo"])
        wakeups.wakeForEveryPeer()
        #expect(wakeups.take().everyPeer)
        #expect(!wakeups.take().everyPeer)
    }

    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("wake-ups while the scheduler is busy are not lost: its next wake-up finds everything asked for", .timeLimit(.minutes(10)))
    func busySchedulerWakesOnce() async {
        let wakeups = SchedulerWakeups()
        for name in ["alpha", "bravo", "charlie"] { wakeups.wake(for: [name]) }
        var iterator = wakeups.stream.makeAsyncIterator()
        #expect(await iterator.next() != nil)
        #expect(wakeups.take().peers == ["alpha", "bravo", "charlie"])
        // One asked for after the look is woken for too.
        wakeups.wake(for: ["delta"])
        #expect(await iterator.next() != nil)
        #expect(wakeups.take().peers == ["delta"])
    }
}
