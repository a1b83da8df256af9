import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

@Suite("Revoked peers stay revoked")
struct RevokedPeersTests {
    @Test("a recorded revocation marks the peer revoked on every load, pinned peers included")
    func survivesReloads() throws {
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("keys"), withIntermediateDirectories: true)
        let home = NodeHome(path: dir.path)
        let configuration = try NodeConfiguration(parsing: try keysExample())
        let bravo = try #require(configuration.pinnedPeers.first { $0.name == "bravo" })
        #expect(try home.loadKeyring(configuration).peer(named: "bravo")?.revoked == false)
        try home.recordRevokedPeer(bravo.keys.identity)
        try home.recordRevokedPeer(bravo.keys.identity)   // idempotent
        let keyring = try home.loadKeyring(configuration)
        #expect(keyring.peer(named: "bravo")?.revoked == true)
        #expect(keyring.peer(named: "charlie")?.revoked == false)
        // A keyring rewrite (pinned peers are never written) does not undo it.
        try home.saveKeyring(keyring, configuration: configuration)
        #expect(try home.loadKeyring(configuration).peer(named: "bravo")?.revoked == true)
        #expect(home.revokedPeerIdentities().count == 1)
    }
}
