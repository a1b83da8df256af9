import Foundation
import LiaisonAudit
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Pages of the audit log bounded by bytes as well as by count: a page of large
/// entries is cut short (never empty), and paging on from its last entry reads
/// every entry once.
@Suite("Audit pages bounded by bytes")
struct AuditPageBudgetTests {
    @Test("leaves stop once the budget is spent; the first is always read")
    func leaves() throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<50)
        let one = AuditFixture.event(0).canonicalBytes.count
        #expect(try fixture.log.leaves(0..<50, byteBudget: 1).count == 1)
        let page = try fixture.log.leaves(0..<50, byteBudget: 10 * one)
        #expect((10...11).contains(page.count), "\(page.count) leaves of about \(one) bytes for a budget of ten")
        #expect(page == (0..<page.count).map { AuditFixture.event($0).canonicalBytes })
        #expect(try fixture.log.leaves(0..<50).count == 50)
    }

    @Test("a query by budget pages through every matching entry exactly once, in both orders and through the query index",
          arguments: [false, true])
    func queryPages(newestFirst: Bool) throws {
        let fixture = try AuditFixture()
        try fixture.fill(0..<300, batch: 70)
        let budget = 12 * AuditFixture.event(0).canonicalBytes.count
        // Every peer, one peer (the index), and both peers' keys (the index, merged in log order).
        for peers in [[], ["peer-1"], ["peer-1", "peer-0"]] {
            var query = AuditQuery()
            query.peers = peers
            query.newestFirst = newestFirst
            query.limit = 1000
            query.byteBudget = budget
            var seen: [Int] = []
            for _ in 0..<100 {
                let page = try fixture.log.query(query)
                guard let last = page.last else { break }
                #expect(page.count < 20, "a page of \(page.count) entries ignored the budget")
                seen += page.map(\.index)
                query.cursor = last.index
            }
            let expected = (0..<300).filter { peers != ["peer-1"] || $0 % 2 == 1 }
            #expect(seen == (newestFirst ? expected.reversed() : expected), "peers \(peers)")
        }
    }
}
