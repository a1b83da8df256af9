import Foundation
import LiaisonTestSupport
import Testing

/// `status` says why a peer's queue waits and which partners are still to be told
/// of this node's own key changes.
@Suite("status: what waits, and why", .serialized)
struct StatusWaitingTests {
    @Test("a queue waiting on an unreachable peer shows its error; partners not told of a rotation are named")
    func waiting() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "retry-initial-seconds = 30\nretry-maximum-seconds = 60\n")
        try net.daemon("alpha").start()
        _ = try net.send(Array("while bravo is away".utf8), from: "alpha", to: ["bravo"])
        func status() throws -> [String: Any] {
            let out = try net.expect(["status", "--home", net.home("alpha"), "--json"]).stdout
            return try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] ?? [:]
        }
        func bravo() throws -> [String: Any] {
            (try status()["peers"] as? [[String: Any]])?.first { $0["name"] as? String == "bravo" } ?? [:]
        }
        #expect(eventually(timeoutSeconds: 20) { ((try? bravo())?["queueError"] as? String)?.hasPrefix("unreachable: cannot connect") == true },
                "\((try? bravo()) ?? [:])")
        try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("alpha")])
        #expect(try status()["rotationNotTold"] as? [String] == ["bravo"])
        let text = try net.expect(["status", "--home", net.home("alpha")]).stdout
        #expect(text.contains("not yet told of the key rotation: bravo") && text.contains("queue waits: unreachable: cannot connect"), "\(text)")
        // Once bravo is back and told, nothing is said.
        try net.daemon("bravo").start()
        #expect(eventually(timeoutSeconds: 40) { (try? status())?["rotationNotTold"] == nil }, "\((try? status()) ?? [:])")
    }
}
