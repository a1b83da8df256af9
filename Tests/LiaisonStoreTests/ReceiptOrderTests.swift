import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// `receipts --limit N` gives the newest N, also when several came in one second.
@Suite("Receipts newest first")
struct ReceiptOrderTests {
    @Test("receipts stored in one second come last-stored first, so a limit keeps the newest")
    func sameSecond() async throws {
        let fixture = try StoreFixture()
        let now = StoreFixture.now
        // Package ids in an order unlike their storing order.
        let order = [7, 2, 9, 4, 5]
        for n in order {
            try await fixture.store.enqueue(try StoreFixture.package(n), recipients: ["bob"])
            #expect(try await fixture.store.markDelivered(try StoreFixture.receipt(n, peer: "bob", signedBy: try StoreFixture.fingerprint(), at: now)))
        }
        let newest = try fixture.store.receipts(limit: 2).map(\.packageID)
        #expect(newest == [try StoreFixture.packageID(5), try StoreFixture.packageID(4)])
    }
}
