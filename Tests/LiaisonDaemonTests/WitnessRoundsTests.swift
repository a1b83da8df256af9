import Testing
@testable import LiaisonDaemon

/// The hand-over between callers asking for witness rounds and the checkpointer
/// running them: a caller is let go by the round that took its ask, not by any.
@Suite("Witness rounds: asks, budget, and who waits for what")
struct WitnessRoundsTests {
    @Test("a caller is let go by the round that took its ask, not by the one running when it asked")
    func heldBackAsk() async throws {
        let rounds = WitnessRounds()
        let awaited = try #require(rounds.ask(size: 10, now: 0))
        // Asks merge into the largest size; the next round takes them.
        _ = rounds.ask(size: 7, now: 0)
        #expect(rounds.beginRound() == 10)
        // An ask made while that round runs waits for the one after it.
        let later = try #require(rounds.ask(size: 12, now: 0))
        rounds.endRound()
        await rounds.waitForRound(awaited, timeout: .seconds(5))
        let early = ContinuousClock.now
        await rounds.waitForRound(later, timeout: .milliseconds(200))
        #expect(ContinuousClock.now - early >= .milliseconds(200), "the later ask was let go by the round before it")
        #expect(rounds.beginRound() == 12)
        rounds.endRound()
        let last = ContinuousClock.now
        await rounds.waitForRound(later, timeout: .seconds(5))
        #expect(ContinuousClock.now - last < .seconds(1))
    }

    @Test("past the budget (five at once, then one per 10 s) an ask is not taken and nobody waits; a pending ask takes later ones along")
    func budget() throws {
        let rounds = WitnessRounds()
        // Five rounds at once, each taken before the next ask.
        for size in 1...5 {
            #expect(rounds.ask(size: size, now: 100) != nil)
            #expect(rounds.beginRound() == size)
            rounds.endRound()
        }
        #expect(rounds.ask(size: 6, now: 100) == nil, "a sixth at once was taken")
        #expect(rounds.beginRound() == nil)
        rounds.endRound()
        // Ten seconds on, one more.
        #expect(rounds.ask(size: 7, now: 110) != nil)
        // While it is pending, another joins it without a token of its own.
        #expect(rounds.ask(size: 8, now: 110) != nil)
        #expect(rounds.beginRound() == 8)
        rounds.endRound()
        #expect(rounds.ask(size: 9, now: 110) == nil)
    }
}
