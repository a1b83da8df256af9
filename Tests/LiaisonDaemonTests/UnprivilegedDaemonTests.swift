import Foundation
import LiaisonTestSupport
import Testing

/// Daemons as they are deployed: an unprivileged user (systemd's `User=liaison`, the
/// container's `USER liaison`), with no capability a socket option could need.
@Suite("Daemons run by an unprivileged user", .serialized)
struct UnprivilegedDaemonTests {
    @Test("they dial, accept and deliver, and bare or reset connections do not stop them")
    func deliverAsUnprivilegedUser() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.runUnprivileged("alpha", uid: 23401)
        try net.runUnprivileged("bravo", uid: 23402)
        try net.startAll()
        // A connection that says nothing and one reset at once: neither may end the listener.
        for _ in 0..<20 {
            let bare = try LoopbackSocket.connect(port: net.ports["bravo"]!)
            let reset = try LoopbackSocket.connect(port: net.ports["bravo"]!)
            reset.resetOnClose()
            withExtendedLifetime((bare, reset)) {}
        }
        let id = try net.send(Array("to bravo, from users without privilege".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]), "\(net.daemon("alpha").log.suffix(1500))")
        #expect(net.daemon("alpha").isRunning && net.daemon("bravo").isRunning, "\(net.daemon("bravo").log.suffix(1500))")
        #expect(!net.daemon("alpha").log.contains("permission denied") && !net.daemon("bravo").log.contains("setsockopt"),
                "\(net.daemon("alpha").log.suffix(1500))\(net.daemon("bravo").log.suffix(1500))")
        // And the other way, bravo dialling alpha.
        let back = try net.send(Array("and back".utf8), from: "bravo", to: ["alpha"])
        #expect(try net.waitDelivered(back, from: "bravo", to: ["alpha"]))
    }
}
