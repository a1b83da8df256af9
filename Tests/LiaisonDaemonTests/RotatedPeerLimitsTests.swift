import Foundation
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

@Suite("A peer's inbound limits carry over its key rotation, on real daemons", .serialized)
struct RotatedPeerLimitsTests {
    /// A session with bravo made with `transport`.
    private func session(as transport: TransportSecretKey, in net: DaemonNetwork) throws -> ProtocolClient {
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: transport, remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        return client
    }

    /// `name` (whose secrets are `secrets`) rotates to fresh keys at bravo, with an overlap of `overlap` seconds;
    /// returns the new keys and the overlap's end.
    private func rotate(_ name: String, _ secrets: NodeSecrets, overlap: Int64, in net: DaemonNetwork) throws -> (NodeSecrets, Int64) {
        let fresh = try keysAfterRotation(of: secrets), now = Timestamp.now()
        let card = try NodeCard(name: name, secrets: fresh, addresses: [], validFrom: now, validUntil: now + 86_400)
        var client = try session(as: secrets.transport, in: net)
        try client.send(.rotation(try RotationStatement(previous: secrets.identity, card: card, rotatedAt: now, overlapUntil: now + overlap).encoded))
        #expect(try client.receive() == .rotationAccepted)
        return (fresh, now + overlap)
    }

    /// Offers a package of `size` bytes on `client` and returns the refusal's detail (nil if it was accepted).
    private func offerRefusal(_ size: UInt64, on client: inout ProtocolClient) throws -> String? {
        let id = try PackageID.random()
        try client.send(.offer(packageID: id, size: size, expires: Timestamp.now() + 3_600))
        switch try client.receive() {
        case .reject(id, .unavailable, let detail): return detail
        case .accept(id, _): return nil
        case let other: Issue.record("unexpected answer \(other)"); return "unexpected"
        }
    }

    @Test("bytes-per-day: what a peer sent before rotating its keys still counts after the overlap ended", .timeLimit(.minutes(2)))
    func volumeSurvivesRotation() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], importOptions: ["bravo>alpha": ["--bytes-per-day", "120000"]])
        try net.startAll()
        let sent = try net.send([UInt8](repeating: 0x41, count: 30_000), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(sent, from: "alpha", to: ["bravo"]))
        _ = net.daemon("alpha").stop(timeoutSeconds: 10)
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        var before = try session(as: alpha.transport, in: net)
        let refusedBefore = try offerRefusal(100_000, on: &before)
        #expect(refusedBefore?.contains("bytes for the last 24 hours") == true, "\(refusedBefore ?? "accepted")")
        try before.send(.close(reason: .done))

        // A rotation with an overlap of a second: once it ended, only the new key is alpha's.
        let (rotated, overlapEnd) = try rotate("alpha", alpha, overlap: 1, in: net)
        #expect(eventually(timeoutSeconds: 10) { Timestamp.now() > overlapEnd })
        var after = try session(as: rotated.transport, in: net)
        let refusedAfter = try offerRefusal(100_000, on: &after)
        #expect(refusedAfter?.contains("bytes for the last 24 hours") == true, "rotating reset the volume: \(refusedAfter ?? "accepted")")
        // What still fits is taken.
        #expect(try offerRefusal(1_000, on: &after) == nil)
    }

    @Test("packages-per-minute: a peer that rotates its keys does not get a fresh allowance", .timeLimit(.minutes(2)))
    func rateSurvivesRotation() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], importOptions: ["bravo>alpha": ["--packages-per-minute", "1"]])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        var before = try session(as: alpha.transport, in: net)
        #expect(try offerRefusal(100_000, on: &before) == nil, "the minute's one package")
        let refusedBefore = try offerRefusal(100_000, on: &before)
        #expect(refusedBefore?.contains("packages per minute") == true, "\(refusedBefore ?? "accepted")")
        try before.send(.close(reason: .done))

        let (rotated, _) = try rotate("alpha", alpha, overlap: 3_600, in: net)
        var after = try session(as: rotated.transport, in: net)
        let refusedAfter = try offerRefusal(100_000, on: &after)
        #expect(refusedAfter?.contains("packages per minute") == true, "rotating refilled the bucket: \(refusedAfter ?? "accepted")")
    }
}
