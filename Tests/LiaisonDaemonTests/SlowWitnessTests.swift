import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonTestSupport
import LiaisonWire
import Testing

/// A witness that answers the handshake and then sends a byte now and then never
/// lets the idle timeout fire (it counts bytes, not whole messages). Its request
/// is cut at the idle timeout all the same, and the checkpointer goes on.
@Suite("A witness that trickles its answer", .serialized)
struct SlowWitnessTests {
    /// Sends the start of a frame, then a byte every half second (never idle, never a
    /// whole message) for at most 12 s; whether the daemon closed the connection meanwhile.
    static func trickledUntilCut(_ socket: LoopbackSocket) throws -> Bool {
        try socket.send([0x00, 0x40])
        for _ in 0..<24 {
            if (try? socket.send([0x00])) == nil || socket.closedByPeer(within: 0.5) { return true }
        }
        return false
    }

    @Test("a witness answering a byte at a time is cut at the idle timeout, and the next checkpoint is still asked for", .timeLimit(.minutes(2)))
    func tricklingWitness() throws {
        let net = try DaemonNetwork(["alice", "bob"], tunables: "retry-initial-seconds = 1\nidle-timeout-seconds = 3\n",
                                    audit: "checkpoint-interval-seconds = 1\n")
        // bob's daemon never starts: this peer answers on bob's address with bob's keys.
        let listener = try LoopbackSocket.Listener(port: net.ports["bob"]!)
        let bob = try ProtocolClient.secrets(home: net.home("bob"))
        try net.daemon("alice").start()

        func witnessRequest() throws -> (socket: LoopbackSocket, size: Int) {
            var peer = try HandDrivenPeer.accept(on: listener, as: bob)
            guard case .witnessRequest(let note, _, _) = try peer.receive() else {
                throw CoreError(.invalidArgument, "alice sent something other than a witness request")
            }
            return (peer.socket, try Checkpoint(parsing: try SignedNote(parsing: note).text).size)
        }

        let (slow, firstSize) = try witnessRequest()
        #expect(try Self.trickledUntilCut(slow), "alice still waited for the witness after 12 s")
        #expect(eventually(timeoutSeconds: 5) { net.daemon("alice").log.contains("witness bob did not answer the request for checkpoint \(firstSize) within 3 s") },
                "\(net.daemon("alice").log.suffix(1500))")

        // The checkpointer was not held: the log grows, and the next checkpoint is asked for.
        try net.expect(["peers", "set", "bob", "--home", net.home("alice"), "--organisation", "Somewhere Else"])
        var next = 0
        for _ in 0..<5 where next <= firstSize {
            next = (try? witnessRequest().size) ?? next
        }
        #expect(next > firstSize, "no later checkpoint was sent to the witness")
    }

    @Test("a partner answering this node's rotation a byte at a time is cut at the idle timeout, on every path that tells it",
          .timeLimit(.minutes(2)))
    func tricklingRotationAnswer() throws {
        let net = try DaemonNetwork(["alice", "bob"], tunables: "retry-initial-seconds = 1\nidle-timeout-seconds = 3\n",
                                    audit: "checkpoint-interval-seconds = 1\n")
        // bob's daemon never starts: this peer answers on bob's address with bob's keys.
        let listener = try LoopbackSocket.Listener(port: net.ports["bob"]!)
        let bob = try ProtocolClient.secrets(home: net.home("bob"))
        try net.daemon("alice").start()

        // The operator rotates alice's keys; alice tells bob at once, with its previous keys.
        let rotated = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var report: CLIRunner.Result?
        DispatchQueue.global().async {
            report = try? net.cli.run(["keys", "rotate", "--yes", "--home", net.home("alice"), "--json"])
            rotated.signal()
        }

        // Each dial that carries the rotation gets its answer a byte every half second
        // (never idle, never a whole message). Other dials (witness requests sent
        // before the rotation) are closed at once.
        var cutRotations = 0
        for _ in 0..<20 where cutRotations < 2 {
            guard var peer = try? HandDrivenPeer.accept(on: listener, as: bob, timeoutSeconds: 10),
                  case .rotation? = try? peer.receive() else { continue }
            let cut = try Self.trickledUntilCut(peer.socket)
            #expect(cut, "alice still waited for bob's answer to its rotation after 12 s")
            guard cut else { break }
            cutRotations += 1
        }
        // The first was the operator's `keys rotate`, which answers; the second a later
        // dial (a witness request or the rotation retrier) that tells bob first.
        #expect(cutRotations == 2)
        #expect(rotated.wait(timeout: .now() + 20) == .success, "`keys rotate` did not answer")
        let answer = try #require(report)
        #expect(answer.status == 0, "\(answer.stderr)")
        let shown = try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any] ?? [:]
        #expect((shown["unreached"] as? [[String: Any]])?.map { $0["peer"] as? String } == ["bob"], "\(answer.stdout)")
    }
}
