import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonTestSupport
import LiaisonWire
import Testing

/// A queued package is decided again as it leaves: before each offer, and every
/// few frames while it streams. Here the recipient is a hand-driven peer on bob's
/// address (bob's daemon never starts), so the test chooses the moment alice's
/// operator lowers bob's trust: between two offers of one batch, or mid-stream.
@Suite("Access decided again as packages leave", .serialized)
struct OfferTimeDecisionTests {
    /// Takes alice's sessions until one opens with an offer (alice may dial first to
    /// have a checkpoint witnessed: such sessions are left unanswered).
    static func firstOffer(on listener: LoopbackSocket.Listener, as bob: NodeSecrets) throws -> (HandDrivenPeer, PackageID) {
        for _ in 0..<5 {
            do {
                var peer = try HandDrivenPeer.accept(on: listener, as: bob)
                if case .offer(let id, _, _) = try peer.receive() { return (peer, id) }
            } catch {
                continue
            }
        }
        throw NoOffer()
    }

    /// alice offered nothing in five connections.
    struct NoOffer: Error {}

    /// Files of `count` bytes each, sent to bob in one `send` (so one batch), TLP:AMBER; their ids.
    private func queueLarge(_ net: DaemonNetwork, files: Int, bytes count: Int) throws -> [String] {
        let paths = (0..<files).map { net.dir.write("large-\($0)", (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }) }
        let result = try net.expect(["send"] + paths + ["--home", net.home("alice"), "--to", "bob", "--tlp", "AMBER", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        let items = (object as? [[String: Any]]) ?? [(object as? [String: Any]) ?? [:]]
        return items.compactMap { $0["id"] as? String }
    }

    private func lowerTrust(_ net: DaemonNetwork) throws {
        try net.expect(["peers", "set-trust", "bob", "limited", "--home", net.home("alice")])
    }

    @Test("a trust lowered between two offers of one batch stops the second: failed and audited, never offered", .timeLimit(.minutes(2)))
    func betweenOffers() throws {
        let net = try DaemonNetwork(["alice", "bob"])
        let listener = try LoopbackSocket.Listener(port: net.ports["bob"]!)
        let bob = try ProtocolClient.secrets(home: net.home("bob"))
        let alice = try ProtocolClient.publicKeys(home: net.home("alice"))
        try net.daemon("alice").start()
        let ids = try queueLarge(net, files: 2, bytes: 200_000)
        try #require(ids.count == 2)

        var (peer, first) = try Self.firstOffer(on: listener, as: bob)
        try peer.send(.accept(packageID: first, offset: 0))
        var bytes: [UInt8] = []
        for _ in 0..<64 {
            let message = try peer.receive()
            if case .data(let chunk) = message { bytes += chunk; continue }
            guard case .end(first, _) = message else { Issue.record("\(message) during the stream"); return }
            break
        }
        // The first is whole at bob; its receipt waits while alice's operator lowers bob's trust.
        try lowerTrust(net)
        var source = MemorySource(bytes)
        let header = try PackageOpener.readHeader(from: &source)
        try peer.send(.receipt(DeliveryReceipt(packageID: first, headerHash: header.hash, recipient: bob.identity,
                                               sender: alice.fingerprint, receivedAt: Timestamp.now())))

        let second = try #require(ids.first { $0 != first.description })
        #expect(try net.waitDelivered(first.description, from: "alice", to: ["bob"]))
        #expect(try eventually(timeoutSeconds: 20) { try net.deliveryStates(second, at: "alice")["bob"] == "failed" },
                "\(net.daemon("alice").log.suffix(1500))")
        // Nothing more came on the session: no offer of the second.
        while let message = try? peer.receive() {
            if case .offer(let id, _, _) = message { Issue.record("\(id) was offered after the trust was lowered") }
            if case .close = message { break }
        }
        let denial = try #require(try net.auditEvents("alice").first { $0.kind == .policyDenied && $0.package == second })
        #expect(denial.reason?.hasPrefix("limited-trust") == true && denial.details["direction"] == "send", "\(denial)")
    }

    @Test("a trust lowered while a large package streams stops the stream: no end is sent, the delivery fails and is audited", .timeLimit(.minutes(2)))
    func midStream() throws {
        let net = try DaemonNetwork(["alice", "bob"])
        let listener = try LoopbackSocket.Listener(port: net.ports["bob"]!)
        let bob = try ProtocolClient.secrets(home: net.home("bob"))
        try net.daemon("alice").start()
        // Larger than loopback's socket buffers: alice blocks mid-stream while bob reads nothing.
        let size = 48 << 20
        let id = try #require(try queueLarge(net, files: 1, bytes: size).first)

        var (peer, offered) = try Self.firstOffer(on: listener, as: bob)
        #expect(offered.description == id)
        try peer.send(.accept(packageID: offered, offset: 0))
        var received = 0
        for _ in 0..<4 { if case .data(let chunk) = try peer.receive() { received += chunk.count } }
        try lowerTrust(net)
        // Drained until alice gives up: a bounded number of frames, never the end.
        var ended = false
        for _ in 0..<(size / SessionMessage.maximumDataByteCount + 8) {
            guard let message = try? peer.receive() else { break }
            if case .data(let chunk) = message { received += chunk.count; continue }
            if case .end = message { ended = true }
            break
        }
        #expect(!ended && received < size, "\(received) of \(size) bytes arrived")
        #expect(try eventually(timeoutSeconds: 20) { try net.deliveryStates(id, at: "alice")["bob"] == "failed" },
                "\(net.daemon("alice").log.suffix(1500))")
        #expect(net.daemon("alice").log.contains("the transfer of \(id) was stopped: limited-trust"), "\(net.daemon("alice").log.suffix(1500))")
        let denial = try #require(try net.auditEvents("alice").first { $0.kind == .policyDenied && $0.package == id })
        #expect(denial.reason?.hasPrefix("limited-trust") == true, "\(denial)")
    }

    @Test("a stream stopped midway keeps what the batch already had: a small package pushed before it stays delivered, its receipt stored",
          .timeLimit(.minutes(2)))
    func stoppedStreamKeepsEarlierAnswers() throws {
        let net = try DaemonNetwork(["alice", "bob"])
        let listener = try LoopbackSocket.Listener(port: net.ports["bob"]!)
        let bob = try ProtocolClient.secrets(home: net.home("bob"))
        let alice = try ProtocolClient.publicKeys(home: net.home("alice"))
        try net.daemon("alice").start()
        // One `send`, so one batch: the small file is pushed, then the large one offered.
        let size = 48 << 20
        let small = net.dir.write("small", Array("a short report".utf8))
        let large = net.dir.write("large", (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
        let sent = try net.expect(["send", small, large, "--home", net.home("alice"), "--to", "bob", "--tlp", "AMBER", "--json"])
        let ids = ((try JSONSerialization.jsonObject(with: Data(sent.stdout.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        try #require(ids.count == 2)

        // The session that pushes: its push is answered with a receipt, then the offer accepted.
        var session: HandDrivenPeer?
        var pushed: PackageID?
        for _ in 0..<5 where session == nil {
            guard var peer = try? HandDrivenPeer.accept(on: listener, as: bob),
                  case .push(let id, _, let bytes)? = try? peer.receive() else { continue }
            var source = MemorySource(bytes)
            let header = try PackageOpener.readHeader(from: &source)
            try peer.send(.receipt(DeliveryReceipt(packageID: id, headerHash: header.hash, recipient: bob.identity,
                                                   sender: alice.fingerprint, receivedAt: Timestamp.now())))
            (session, pushed) = (peer, id)
        }
        var peer = try #require(session)
        guard case .offer(let offered, _, _) = try peer.receive() else { Issue.record("no offer after the push"); return }
        #expect(Set([pushed?.description, offered.description]) == Set(ids))
        try peer.send(.accept(packageID: offered, offset: 0))
        for _ in 0..<4 { _ = try peer.receive() }
        try lowerTrust(net)
        for _ in 0..<(size / SessionMessage.maximumDataByteCount + 8) {
            guard let message = try? peer.receive(), case .data = message else { break }
        }

        // The large one failed for the trust; the small one, answered before, is delivered.
        #expect(try eventually(timeoutSeconds: 20) { try net.deliveryStates(offered.description, at: "alice")["bob"] == "failed" },
                "\(net.daemon("alice").log.suffix(1500))")
        let smallID = try #require(pushed).description
        #expect(try net.waitDelivered(smallID, from: "alice", to: ["bob"]), "\(net.daemon("alice").log.suffix(1500))")
        let receipts = try net.expect(["receipts", "--home", net.home("alice"), "--json"]).stdout
        #expect(receipts.contains(smallID), "\(receipts)")
    }
}
