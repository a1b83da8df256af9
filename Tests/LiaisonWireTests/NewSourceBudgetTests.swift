import LiaisonWire
import Testing

/// Handshakes from sources not authenticated lately share one budget; known ones do not.
@Suite("NewSourceBudget: one budget for new sources")
struct NewSourceBudgetTests {
    @Test("new sources share the bucket; a source that authenticated is not counted until it is forgotten")
    func knownSourcesPass() {
        var budget = NewSourceBudget(ratePerSecond: 1, burst: 2, memorySeconds: 100)
        var answers = [budget.allow(source: "a", now: 0), budget.allow(source: "b", now: 0), budget.allow(source: "c", now: 0)]
        #expect(answers == [true, true, false])
        budget.authenticated(source: "a", now: 0)
        answers = (0..<50).map { _ in budget.allow(source: "a", now: 1) }
        #expect(answers.allSatisfy { $0 })
        // The bucket refills at its rate for the others.
        answers = [budget.allow(source: "c", now: 1.5), budget.allow(source: "d", now: 1.5)]
        #expect(answers == [true, false])
        // After its memory, the source counts again.
        #expect(budget.isKnown("a", now: 99) && !budget.isKnown("a", now: 100))
        answers = (0..<3).map { _ in budget.allow(source: "a", now: 101) }
        #expect(answers == [true, true, false])
    }

    @Test("it remembers at most maximumKnown sources, forgetting the longest unseen first")
    func bounded() {
        var budget = NewSourceBudget(ratePerSecond: 1, burst: 1, memorySeconds: 1000, maximumKnown: 3)
        for (n, source) in ["a", "b", "c"].enumerated() { budget.authenticated(source: source, now: Double(n)) }
        budget.authenticated(source: "a", now: 10)   // seen again: now the newest
        budget.authenticated(source: "d", now: 11)   // full: b, the longest unseen, goes
        #expect(budget.isKnown("a", now: 12) && !budget.isKnown("b", now: 12) && budget.isKnown("c", now: 12) && budget.isKnown("d", now: 12))
    }
}
