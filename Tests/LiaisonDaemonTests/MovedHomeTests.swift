import Foundation
import LiaisonTestSupport
import Testing

/// A node's home moved (or restored) under another path, its daemon stopped
/// first: liaison.db names package files relative to the home, so the packages
/// it received open and the packages it queued are delivered from the new place.
@Suite("A moved home", .serialized)
struct MovedHomeTests {
    @Test("a home moved while stopped opens what it received and delivers what it queued, from files in the new place")
    func movedHome() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        var rng = SeededBytes(seed: 11)
        // Both too large for a row: each lives in a file under a home.
        let received = rng.next(200_000), queued = rng.next(150_000)
        let receivedID = try net.send(received, from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(receivedID, from: "alpha", to: ["bravo"]))
        let queuedID = try net.send(queued, from: "alpha", to: ["charlie"])
        #expect(net.daemon("alpha").stop() == 0)
        #expect(net.daemon("bravo").stop() == 0)

        let alpha = net.home("alpha") + "-moved", bravo = net.home("bravo") + "-moved"
        #expect(rename(net.home("alpha"), alpha) == 0)
        #expect(rename(net.home("bravo"), bravo) == 0)

        let movedAlpha = DaemonProcess(home: alpha), movedBravo = DaemonProcess(home: bravo)
        defer { _ = movedAlpha.stop(); _ = movedBravo.stop() }
        try movedBravo.start()
        let out = net.dir.file("received.out")
        try net.expect(["inbox", "get", receivedID, "--home", bravo, "--out", out])
        let opened = FileManager.default.contents(atPath: out).map(Array.init)
        #expect(opened == received ? true : false, "the package received before the move did not open: \(movedBravo.log.suffix(2000))")

        try movedAlpha.start()
        try net.daemon("charlie").start()
        #expect(try eventually(timeoutSeconds: 30) { try net.deliveryStates(queuedID, atHome: alpha)["charlie"] == "delivered" }, "the package queued before the move was not delivered: \(movedAlpha.log.suffix(2000))")
        let delivered = try net.fetch(queuedID, at: "charlie")
        #expect(delivered == queued ? true : false, "charlie did not get the package queued before the move")
        for daemon in [movedAlpha, movedBravo] {
            #expect(!daemon.log.contains("No such file"), "a daemon looked for a file at the old path: \(daemon.log.suffix(2000))")
        }
    }
}
