import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonTestSupport
import LiaisonWire
import Testing

/// A small package stays `queued` while it is in flight, so the sender's expiry
/// sweep can close it between the recipient's acceptance and the receipt's
/// arrival. Here the recipient is a hand-driven peer on loopback that holds its
/// receipt until the sweep has run.
@Suite("Expiry while a receipt is on the way")
struct ExpiryRaceTests {
    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("a copy swept as expired while its receipt was on the way ends delivered: the receipt is stored and the log has both entries",
          .timeLimit(.minutes(10)))
    func receiptOutranksSweep() async throws {
        let net = try DaemonNetwork(["alice", "bob"])
        // bob's daemon never starts: this peer answers on bob's address with bob's keys.
        let bob = try LoopbackSocket.Listener(port: net.ports["bob"]!)
        let bobSecrets = try ProtocolClient.secrets(home: net.home("bob"))
        let alice = try ProtocolClient.publicKeys(home: net.home("alice"))
        try net.daemon("alice").start()
        // Long enough for alice to push it on a loaded machine; the test then waits for the sweep.
        let id = try net.send(Array("an indicator that expires in eight seconds".utf8), from: "alice", to: ["bob"], extra: ["--expires", "8s"])

        // alice may dial first to have a checkpoint witnessed: such sessions are hung up on.
        var delivery: (socket: LoopbackSocket, session: NoiseSession, packageID: PackageID, bytes: [UInt8])?
        for _ in 0..<5 where delivery == nil {
            let socket = try bob.accept(timeoutSeconds: 20)
            do {
                var responder = try NoiseIKResponder(localStatic: bobSecrets.transport, prologue: HandshakeHello.prologue)
                let (initiator, _) = try responder.readMessage1(try socket.receiveFrame())
                #expect(initiator == alice.transport.rawRepresentation)
                let (message2, noise) = try responder.writeMessage2(payload: HandshakeWelcome.encoded)
                try socket.sendFrame(message2)
                var session = noise
                if case .push(let packageID, _, let bytes) = try SessionMessage(decoding: try session.receiver.decrypt(try socket.receiveFrame())) {
                    delivery = (socket, session, packageID, bytes)
                }
            } catch {
                continue   // a connection alice gave up on (a witness request that timed out): take the next
            }
        }
        guard let delivery else {
            Issue.record("alice never pushed the package")
            return
        }
        let (socket, packageID, bytes) = (delivery.socket, delivery.packageID, delivery.bytes)
        var session = delivery.session
        #expect(packageID.description == id)
        var source = MemorySource(bytes)
        let header = try PackageOpener.readHeader(from: &source)

        // Accepted before it expired; the receipt waits until alice's sweep (once a second) has run.
        let acceptedAt = Timestamp.now()
        #expect(try eventually(timeoutSeconds: 30) { try net.deliveryStates(id, at: "alice")["bob"] == "expired" },
                "alice's sweep never marked the in-flight copy expired")
        let receipt = DeliveryReceipt(packageID: packageID, headerHash: header.hash, recipient: bobSecrets.identity,
                                      sender: alice.fingerprint, receivedAt: acceptedAt)
        try socket.sendFrame(try session.sender.encrypt(SessionMessage.receipt(receipt).encoded))

        #expect(try net.waitDelivered(id, from: "alice", to: ["bob"], timeoutSeconds: 20), "\(net.daemon("alice").log.suffix(2000))")
        let receipts = try net.expect(["receipts", "--home", net.home("alice"), "--json"]).stdout
        #expect(receipts.contains(id))
        let kinds = try net.auditEvents("alice").filter { $0.package == id }.map(\.kind)
        #expect(kinds.contains(.packageExpired))
        #expect(kinds.contains(.packageDelivered))
        // The delivery's entry names the receipt that closed it: the one sent here.
        let delivered = try #require(try net.auditEvents("alice").first { $0.package == id && $0.kind == .packageDelivered })
        #expect(delivered.details["receipt-signature"] == Data(receipt.signature).base64EncodedString(), "\(delivered.details)")
        #expect(delivered.details["received-at"] == Timestamp.iso8601(acceptedAt))
        #expect(delivered.details["receipt-signed-by"] == receipt.recipient.description)
    }
}
