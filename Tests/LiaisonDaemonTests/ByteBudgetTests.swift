import Foundation
@testable import LiaisonDaemon
import Testing

/// The daemon-wide memory budget for payloads read whole (STIX checks).
@Suite("ByteBudget")
struct ByteBudgetTests {
    @Test("shares within the budget are taken, one that does not fit is refused at once, and shares come back on release or when dropped")
    func takeAndGiveBack() {
        let budget = ByteBudget(capacity: 100)
        let a = budget.take(60)
        #expect(a != nil && budget.available == 40)
        #expect(budget.take(41) == nil, "more than is free was handed out")
        #expect(budget.available == 40, "a refused share took something")
        do {
            let b = budget.take(40)
            #expect(b != nil && budget.available == 0)
        }
        #expect(budget.available == 40, "a dropped share was not given back")
        a?.release()
        a?.release()
        #expect(budget.available == 100, "a share was given back twice or not at all")
        #expect(budget.take(101) == nil)
    }

    @Test("shares taken and given back from many threads at once add up")
    func concurrent() async {
        let budget = ByteBudget(capacity: 1_000)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1_000 { budget.take(Int.random(in: 1...100))?.release() }
                }
            }
        }
        #expect(budget.available == 1_000)
    }
}
