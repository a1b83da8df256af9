import LiaisonWire
import Testing

/// Handshakes from addresses no partner used lately share one budget; a partner's do not.
@Suite("NewSourceBudget: one budget for new sources")
struct NewSourceBudgetTests {
    @Test("new sources share the bucket; a partner's address is not counted while it stands, and until it is forgotten")
    func knownSourcesPass() {
        var budget = NewSourceBudget(ratePerSecond: 1, burst: 2, memorySeconds: 100)
        let good = { (_: String) in true }
        var answers = [budget.allow(source: "a", now: 0, inGoodStanding: good), budget.allow(source: "b", now: 0, inGoodStanding: good),
                       budget.allow(source: "c", now: 0, inGoodStanding: good)]
        #expect(answers == [true, true, false])
        budget.used(source: "a", by: "alpha", now: 0)
        answers = (0..<50).map { _ in budget.allow(source: "a", now: 1, inGoodStanding: good) }
        #expect(answers.allSatisfy { $0 } && budget.partner(of: "a", now: 1) == "alpha")
        // The bucket refills at its rate for the others.
        answers = [budget.allow(source: "c", now: 1.5, inGoodStanding: good), budget.allow(source: "d", now: 1.5, inGoodStanding: good)]
        #expect(answers == [true, false])
        // A partner revoked or blocked since: its address counts like any other.
        answers = [budget.allow(source: "a", now: 1.5, inGoodStanding: { $0 != "alpha" })]
        #expect(answers == [false])
        // After its memory, the source counts again.
        #expect(budget.partner(of: "a", now: 99) == "alpha" && budget.partner(of: "a", now: 100) == nil)
        answers = (0..<3).map { _ in budget.allow(source: "a", now: 101, inGoodStanding: good) }
        #expect(answers == [true, true, false])
    }

    @Test("one partner makes at most sourcesPerPeer addresses known, its longest unseen forgotten first")
    func perPeer() {
        var budget = NewSourceBudget(ratePerSecond: 1, burst: 1, memorySeconds: 1000, sourcesPerPeer: 2)
        budget.used(source: "a1", by: "alpha", now: 0)
        budget.used(source: "a2", by: "alpha", now: 1)
        budget.used(source: "b1", by: "bravo", now: 2)
        budget.used(source: "a1", by: "alpha", now: 3)   // seen again: a2 is now its longest unseen
        budget.used(source: "a3", by: "alpha", now: 4)   // a third: a2 goes; bravo's stays
        #expect(budget.partner(of: "a1", now: 5) == "alpha" && budget.partner(of: "a2", now: 5) == nil)
        #expect(budget.partner(of: "a3", now: 5) == "alpha" && budget.partner(of: "b1", now: 5) == "bravo")
    }

    @Test("it remembers at most maximumKnown sources in all, forgetting the longest unseen first")
    func bounded() {
        var budget = NewSourceBudget(ratePerSecond: 1, burst: 1, memorySeconds: 1000, maximumKnown: 3)
        for (n, source) in ["a", "b", "c"].enumerated() { budget.used(source: source, by: "peer-\(source)", now: Double(n)) }
        budget.used(source: "a", by: "peer-a", now: 10)   // seen again: now the newest
        budget.used(source: "d", by: "peer-d", now: 11)   // full: b, the longest unseen, goes
        #expect(["a", "b", "c", "d"].map { budget.partner(of: $0, now: 12) != nil } == [true, false, true, true])
    }
}
