import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import LiaisonWire
import Testing

/// A witness asked again for a tree it already cosigned (a requester that lost its
/// line) signs it again under the audit entry that stands for it: a partner asking
/// over and over cannot add an entry each time.
@Suite("A checkpoint cosigned again", .serialized)
struct RepeatedCosignatureTests {
    @Test("the same checkpoint asked for three times is cosigned three times and recorded once", .timeLimit(.minutes(2)))
    func recordedOnce() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()   // signs a checkpoint at start; bravo is not up to cosign it
        #expect(net.daemon("alpha").stop() == 0)
        let stored = try #require(try AuditLog(readingOnly: net.home("alpha") + "/audit.db").checkpoints().last)
        try net.daemon("bravo").start()

        var alpha = try ProtocolClient(port: net.ports["bravo"]!)
        try alpha.handshake(local: try ProtocolClient.secrets(home: net.home("alpha")).transport,
                            remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
        for oldSize in [0, stored.size, stored.size] {
            try alpha.send(.witnessRequest(note: stored.note.bytes, oldSize: UInt64(oldSize), proof: []))
            let answer = try alpha.receive()
            guard case .witnessCosignature = answer else { Issue.record("asked from \(oldSize): \(answer)"); return }
        }
        let cosigned = try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"])
        #expect(cosigned.count == 1 && cosigned.first?.details["size"] == String(stored.size), "\(cosigned)")
    }
}
