import Foundation
@testable import LiaisonDaemon
import Testing

/// The daemon-wide memory budget for payloads read whole (STIX checks).
@Suite("ByteBudget")
struct ByteBudgetTests {
    @Test("shares within the budget are taken at once and given back on release or when dropped")
    func takeAndGiveBack() async {
        let budget = ByteBudget(capacity: 100)
        let a = await budget.take(60)
        #expect(budget.free == 40)
        do {
            let b = await budget.take(40)
            #expect(budget.free == 0)
            _ = b
        }
        #expect(budget.free == 40, "a dropped share was not given back")
        a.release()
        a.release()
        #expect(budget.free == 100, "a share was given back twice or not at all")
        // More than the whole budget is clamped to it.
        let all = await budget.take(1_000)
        #expect(budget.free == 0)
        all.release()
    }

    @Test("a share that does not fit waits, first come first served, until enough is given back", .timeLimit(.minutes(1)))
    func waitsInTurn() async throws {
        let budget = ByteBudget(capacity: 100)
        let held = await budget.take(80)
        let order = OrderLog()
        let big = Task { let share = await budget.take(50); order.add("big"); return share }
        try await Task.sleep(for: .milliseconds(50))
        // Fits by itself, but comes after a waiter: it does not overtake it.
        let small = Task { let share = await budget.take(10); order.add("small"); return share }
        try await Task.sleep(for: .milliseconds(50))
        #expect(order.entries.isEmpty)
        held.release()
        let shares = [await big.value, await small.value]
        #expect(order.entries == ["big", "small"])
        #expect(budget.free == 40)
        for share in shares { share.release() }
        #expect(budget.free == 100)
    }

    final class OrderLog: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ entry: String) { lock.lock(); list.append(entry); lock.unlock() }
        var entries: [String] { lock.lock(); defer { lock.unlock() }; return list }
    }
}
