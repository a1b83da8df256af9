import Foundation
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("A blocked peer's large queue on a real daemon", .serialized)
struct BlockedQueueTests {
    /// How many packages wait for the blocked peer: enough that failing them, each
    /// with its own audited write, takes far longer than one delivery to another peer.
    static let backlog = 20_000

    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("failing a blocked peer's large queue holds up no other peer's deliveries, and stops when the peer is unblocked",
          .timeLimit(.minutes(10)))
    func blockedBacklogDoesNotStall() async throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        // bravo is blocked while alpha is down (its keyring edited by hand), with a
        // backlog queued for it and due at once.
        let nodeHome = NodeHome(path: net.home("alpha"))
        let configuration = try nodeHome.loadConfiguration()
        var keyring = try nodeHome.loadKeyring(configuration)
        var bravo = try #require(keyring.peer(named: "bravo"))
        bravo.trust = .blocked
        try keyring.replace(bravo)
        try nodeHome.saveKeyring(keyring, configuration: configuration)
        let store = try NodeStore(path: net.home("alpha") + "/" + NodeStore.fileName)
        for _ in 0..<(Self.backlog / 500) {
            try await store.enqueue(try (0..<500).map { _ in try Self.queuedNow(for: "bravo") })
        }
        #expect(try store.openDeliveries(peer: "bravo", limit: Self.backlog).count == Self.backlog)

        try net.daemon("charlie").start()
        try net.daemon("alpha").start()
        // The scheduler starts failing bravo's backlog at its first look; charlie's
        // package, sent meanwhile, must not wait for the end of it.
        let id = try net.send(Array("for charlie".utf8), from: "alpha", to: ["charlie"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["charlie"]), "\(net.daemon("alpha").log.suffix(2000))")
        let stillOpen = try store.openDeliveries(peer: "bravo", limit: Self.backlog).count
        #expect(stillOpen > 0, "charlie's package was delivered only once bravo's whole backlog was failed")

        // Unblocked part-way: what is still queued stays queued, for when bravo is reachable.
        try net.expect(["peers", "set-trust", "bravo", "partner", "--home", net.home("alpha")])
        var settled = -1
        #expect(try eventually(timeoutSeconds: 60) {
            let open = try store.openDeliveries(peer: "bravo", limit: Self.backlog).count
            defer { settled = open }
            usleep(500_000)
            return open == settled
        }, "the failing went on after bravo was unblocked")
        #expect(settled > 0, "bravo's whole backlog was failed although it was unblocked part-way")
        #expect(try store.counts().failed + settled == Self.backlog)
        #expect(try store.counts().failed > 0)
    }

    /// A small package for `peer`, created now (so due at once), as the control socket queues one.
    static func queuedNow(for peer: String) throws -> QueuedPackage {
        let body = [UInt8](repeating: 7, count: 64)
        let package = OutboxPackage(id: try PackageID.random(), path: nil, size: Int64(body.count), created: Timestamp.now(),
                                    expires: nil, tlp: .green, markings: "TLP:GREEN")
        return QueuedPackage(package: package, body: body, recipients: [peer])
    }
}
