import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// A partner that imported the card made after a node's rotation knows only its new
/// keys: the node strikes it off the rotation's pending list instead of dialling it
/// with the previous key, which it refuses, until the overlap ends.
@Suite("A partner that already holds the new keys", .serialized)
struct RotationPendingProbeTests {
    @Test("charlie imports bravo's post-rotation card: bravo delivers to it and no longer counts it as not told", .timeLimit(.minutes(3)))
    func newCardHolderIsReached() throws {
        let net = try DaemonNetwork(["bravo", "charlie"])
        try net.startAll()
        // charlie forgets bravo; bravo rotates; charlie then meets bravo by its new card alone.
        try net.expect(["peers", "remove", "bravo", "--home", net.home("charlie")])
        try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("bravo")])
        try net.expect(["peers", "add", net.home("bravo") + "/keys/card.txt", "--name", "bravo", "--trust", "partner",
                        "--address", "127.0.0.1:\(net.ports["bravo"]!)", "--home", net.home("charlie")])
        let id = try net.send(Array("after the rotation".utf8), from: "bravo", to: ["charlie"])
        #expect(try net.waitDelivered(id, from: "bravo", to: ["charlie"]), "\(net.daemon("bravo").log.suffix(1500))")
        #expect(NodeHome(path: net.home("bravo")).pendingRotationPeers().isEmpty)
        #expect(net.daemon("bravo").log.contains("charlie already holds this node's new keys"))
    }
}
