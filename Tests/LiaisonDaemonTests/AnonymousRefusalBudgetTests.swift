import Foundation
import LiaisonAudit
import LiaisonTestSupport
import LiaisonWire
import Testing

/// Refused handshakes that anyone can cause without a peer's keys are recorded
/// within a budget of their own (one every 10 s, bursts of 60): a flood of them
/// cannot grow the audit log by more than a few MiB a day, nor use up the budget
/// of refusals that only an authenticated peer can cause.
@Suite("Audit budget for refusals anyone can cause", .serialized)
struct AnonymousRefusalBudgetTests {
    @Test("120 garbage handshakes leave at most the burst of entries; a partner's refused handshake is still recorded, and delivery goes on",
          .timeLimit(.minutes(2)))
    func garbageFlood() throws {
        // The per-source limit out of the way: one source sends the whole flood.
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "retry-initial-seconds = 1\nhandshakes-per-second = 10000\nhandshake-burst = 10000\n")
        try net.daemon("bravo").start()
        let port = net.ports["bravo"]!
        var rng = SeededBytes(seed: 11)
        let started = Date()
        for _ in 0..<120 {
            let socket = try LoopbackSocket.connect(port: port)
            try socket.sendFrame(rng.next(96))   // the size of a message 1, undecryptable
            _ = socket.closedByPeer(within: 2)
        }
        // A partner's message 1 with its clock 10 minutes ahead: refused, and recorded.
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravo = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let (_, ahead) = try ProtocolClient.message1(local: alpha.transport, remote: bravo.transport,
                                                     timestamp: ProtocolClient.nowNanos() + 600 * 1_000_000_000)
        let client = try ProtocolClient(port: port)
        try client.socket.sendFrame(ahead)
        #expect(client.socket.readsNothing(within: 2))

        try net.daemon("alpha").start()
        let id = try net.send(Array("business as usual".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"], timeoutSeconds: 20))

        let rejected = try net.auditEvents("bravo").filter { $0.kind == .handshakeRejected }
        let garbage = rejected.filter { $0.reason?.hasPrefix("handshake.undecryptable") == true }
        let allowed = 60 + Int(Date().timeIntervalSince(started) / 10) + 1
        #expect(garbage.count >= 50 && garbage.count <= allowed, "\(garbage.count) garbage handshakes recorded (at most \(allowed) allowed)")
        #expect(rejected.contains { $0.reason?.hasPrefix("handshake.clock-ahead") == true && $0.peerName == "alpha" })
        // The log lines are limited likewise (the same burst); the metrics count every one.
        let logged = net.daemon("bravo").log.components(separatedBy: "does not decrypt with this node's transport key").count - 1
        #expect(logged >= 50 && logged <= allowed, "\(logged) refusals logged (at most \(allowed) allowed)")
    }
}
