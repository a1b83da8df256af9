import Foundation
import LiaisonTestSupport
import Testing

/// A peer that cannot be reached: a failed dial puts everything due for it on its
/// backoff in one commit, not only the batch of 64 the sender had taken (which
/// left the rest to a dial each, a commit per package every time).
@Suite("An unreachable peer with a long queue", .serialized)
struct UnreachablePeerTests {
    @Test("2,000 packages queued for a peer that hangs up during the handshake are all put on their backoff by one failed dial, not 64 a dial; nothing is lost",
          .timeLimit(.minutes(3)))
    func dialsPerRound() throws {
        let net = try DaemonNetwork(["alice", "bob"])
        // bob's address takes connections and closes them at once: no handshake ever completes.
        let listener = try LoopbackSocket.Listener(port: net.ports["bob"]!)
        try net.daemon("alice").start()
        for round in 0..<20 {
            let files = (0..<100).map { net.dir.write("p-\(round)-\($0)", Array("indicator \(round)-\($0)".utf8)) }
            try net.expect(["send"] + files + ["--home", net.home("alice"), "--to", "bob", "--tlp", "GREEN"])
            while let socket = try? listener.accept(timeoutSeconds: 0) { _ = socket }   // hung up on as it goes
        }
        // One failed dial puts every due package on its backoff: within a few ticks of
        // the last send every package has been tried once (a sender taking 64 a dial,
        // a dial a tick, would need 16 s for 2,000). Nothing is lost.
        func attempts() throws -> [Int] {
            let outbox = try net.expect(["outbox", "list", "--home", net.home("alice"), "--limit", "5000", "--json"])
            let items = try JSONSerialization.jsonObject(with: Data(outbox.stdout.utf8)) as? [[String: Any]] ?? []
            return items.flatMap { ($0["deliveries"] as? [[String: Any]] ?? []).compactMap { $0["attempts"] as? Int } }
        }
        var tried: [Int] = []
        let deadline = Date().addingTimeInterval(4)
        while Date() < deadline {
            while let socket = try? listener.accept(timeoutSeconds: 0) { _ = socket }
            tried = try attempts()
            if tried.count == 2000 && tried.allSatisfy({ $0 >= 1 }) { break }
            usleep(200_000)
        }
        #expect(tried.count == 2000, "\(tried.count) deliveries in the outbox")
        #expect(tried.filter { $0 == 0 }.isEmpty, "\(tried.filter { $0 == 0 }.count) of 2,000 never tried within 4 s of the last send")
        // Then the dials over 4 s of retries (backoff 1–2 s): at most one a scheduler tick.
        var dials = 0
        let window = Date().addingTimeInterval(4)
        while Date() < window, dials < 1000 {
            if let socket = try? listener.accept(timeoutSeconds: 1) { _ = socket; dials += 1 }
        }
        #expect(dials >= 1 && dials <= 16, "\(dials) dials in 4 s")
    }
}
