import Testing
@testable import LiaisonDaemon

/// The hand-over between callers asking for witness rounds and the checkpointer
/// running them: a caller is let go by the round that took its ask, not by any.
@Suite("Witness rounds: asks, budget, and who waits for what")
struct WitnessRoundsTests {
    @Test("an ask the budget holds back is not answered by the round that left it, but by the one that takes it")
    func heldBackAsk() async {
        let rounds = WitnessRounds()
        let awaited = rounds.ask(size: 10)
        // A round the budget does not let take the ask.
        #expect(rounds.beginRound { false } == nil)
        rounds.endRound()
        let started = ContinuousClock.now
        await rounds.waitForRound(awaited, timeout: .milliseconds(200))
        #expect(ContinuousClock.now - started >= .milliseconds(200), "let go by a round that did not take its ask")
        // Asks merge into the largest size; the next round allowed takes them.
        _ = rounds.ask(size: 7)
        #expect(rounds.beginRound { true } == 10)
        // An ask made while that round runs waits for the one after it.
        let later = rounds.ask(size: 12)
        rounds.endRound()
        await rounds.waitForRound(awaited, timeout: .seconds(5))
        let early = ContinuousClock.now
        await rounds.waitForRound(later, timeout: .milliseconds(200))
        #expect(ContinuousClock.now - early >= .milliseconds(200), "the later ask was let go by the round before it")
        #expect(rounds.beginRound { true } == 12)
        rounds.endRound()
        let last = ContinuousClock.now
        await rounds.waitForRound(later, timeout: .seconds(5))
        #expect(ContinuousClock.now - last < .seconds(1))
    }
}
