import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

/// Reads the CLI makes of `liaison.db` beside a stopped daemon: read-only, no
/// store made where there is none, a newer schema refused.
@Suite("Offline reads of the store")
struct OfflineReadsTests {
    @Test("a peer's summary: its handshake record and its deliveries by state; none and no file where there is no store")
    func peerSummary() async throws {
        let fixture = try StoreFixture()
        let bravo = try StoreFixture.fingerprint("bravo")
        try await fixture.store.enqueue(try StoreFixture.package(1), recipients: ["bravo", "charlie"])
        try await fixture.store.enqueue(try StoreFixture.package(2), recipients: ["bravo"])
        #expect(try await fixture.store.recordHandshake(fingerprint: bravo, timestamp: 42, at: StoreFixture.now))
        try await fixture.store.addTraffic(fingerprint: bravo, sent: 7, received: 9)

        let summary = try NodeStore.peerSummary(path: fixture.path, peer: "bravo", fingerprint: bravo)
        #expect(summary.deliveries == [.queued: 2])
        #expect(summary.state?.lastHandshakeAt == StoreFixture.now && summary.state?.bytesSent == 7 && summary.state?.bytesReceived == 9)
        let stranger = try NodeStore.peerSummary(path: fixture.path, peer: "zulu", fingerprint: try StoreFixture.fingerprint("zulu"))
        #expect(stranger == NodeStore.PeerSummary(state: nil, deliveries: [:]))

        let empty = TemporaryDirectory(prefix: "liaison-no-store")
        #expect(try NodeStore.peerSummary(path: empty.file(NodeStore.fileName), peer: "bravo", fingerprint: bravo).deliveries.isEmpty)
        #expect(empty.entries().isEmpty, "a read made \(empty.entries())")
    }

    @Test("a store a newer Liaison migrated is refused, not misread")
    func newerSchemaRefused() async throws {
        let fixture = try StoreFixture()
        try await fixture.rawConnection().write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        let error = #expect(throws: StoreError.self) {
            try NodeStore.peerSummary(path: fixture.path, peer: "bravo", fingerprint: try StoreFixture.fingerprint("bravo"))
        }
        #expect(error?.code == .unsupportedSchema)
        #expect(throws: StoreError.self) { try NodeStore.openDeliveryCount(path: fixture.path, peer: "bravo") }
    }
}
