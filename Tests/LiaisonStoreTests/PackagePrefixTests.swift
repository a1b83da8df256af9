import Foundation
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Shortened package ids")
struct PackagePrefixTests {
    @Test("a prefix finds the ids of packages queued and received that start with it, in order, up to the limit")
    func prefixes() async throws {
        let fixture = try StoreFixture()
        // Ids 000…0010, 000…0011 (queued) and 000…0012, 000…0100 (received).
        try await fixture.store.enqueue(try StoreFixture.package(0x10), recipients: ["bob"])
        try await fixture.store.enqueue(try StoreFixture.package(0x11), recipients: ["bob"])
        let alice = try StoreFixture.fingerprint("alice")
        #expect(try await fixture.store.recordReceived(try StoreFixture.inboxEntry(0x12, sender: alice)))
        #expect(try await fixture.store.recordReceived(try StoreFixture.inboxEntry(0x100, sender: alice)))
        let zeros = String(repeating: "0", count: 29)
        #expect(try fixture.store.packageIDs(startingWith: zeros + "01", limit: 5)
                == ["010", "011", "012"].map { zeros + $0 })
        #expect(try fixture.store.packageIDs(startingWith: zeros + "01") == ["010", "011"].map { zeros + $0 })
        #expect(try fixture.store.packageIDs(startingWith: zeros + "10") == [zeros + "100"])
        #expect(try fixture.store.packageIDs(startingWith: "ffffffff").isEmpty)
        // Only received packages (what `inbox get` and `forward` name): no ambiguity with sent ones.
        #expect(try fixture.store.packageIDs(startingWith: zeros + "01", receivedOnly: true) == [zeros + "012"])
        try await fixture.store.enqueue(try StoreFixture.package(0x200), recipients: ["bob"])
        #expect(try fixture.store.packageIDs(startingWith: zeros + "20") == [zeros + "200"])
        #expect(try fixture.store.packageIDs(startingWith: zeros + "20", receivedOnly: true).isEmpty)
    }
}
