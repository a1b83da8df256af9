import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// A revocation takes every key the partner held: the card it gave before a
/// rotation must not bring it back under another name.
@Suite("Revoking a partner that rotated", .serialized)
struct RevokedChainTests {
    @Test("after bravo rotates and alpha revokes it, bravo's pre-rotation card is refused, and both keys are on file as revoked",
          .timeLimit(.minutes(3)))
    func preRotationCardStaysRevoked() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let before = try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys
        try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("bravo")])
        let after = try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys
        #expect(after.identity != before.identity)
        // alpha takes the rotation over the transport (bravo tells its partners).
        #expect(eventually(timeoutSeconds: 30) {
            ((try? net.expect(["peers", "show", "bravo", "--home", net.home("alpha"), "--json"]).stdout) ?? "").contains(after.fingerprint.description)
        }, "alpha never took bravo's rotation")

        try net.expect(["peers", "revoke", "bravo", "--yes", "--home", net.home("alpha")])
        let revoked = NodeHome(path: net.home("alpha")).revokedPeerIdentities()
        #expect(revoked.contains(KeyText.encode(after.identity)) && revoked.contains(KeyText.encode(before.identity)), "\(revoked)")

        // The card bravo handed out before it rotated (still within its validity).
        let again = try net.cli.run(["peers", "import", net.dir.file("bravo.card"), "--name", "bravo2", "--trust", "partner",
                                     "--home", net.home("alpha")])
        #expect(again.status == 65 && again.stderr.contains("was revoked on this node"), "\(again.status) \(again.stdout)\(again.stderr)")
        #expect(try net.cli.run(["peers", "show", "bravo2", "--home", net.home("alpha")]).status == 66)
    }
}
