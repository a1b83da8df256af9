import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing
@testable import LiaisonDaemon

@Suite("audit query --peer: the keys a peer's entries are filed under")
struct AuditPeerKeysTests {
    let directory = TemporaryDirectory(prefix: "liaison-peer-keys")

    /// bravo rotated twice (K0 → K1 → K2), both overlaps over: the keyring holds K2
    /// and its first fingerprint, and the rotations file K0 and K1.
    private func twiceRotated() throws -> (Keyring, NodeHome, [NodeFingerprint]) {
        let secrets = try (0..<3).map { _ in try NodeSecrets.generate() }
        let now = Timestamp.now()
        let card = try NodeCard(name: "bravo", secrets: secrets[2], addresses: [], validFrom: now, validUntil: now + 86_400)
        var record = PeerRecord(name: "bravo", card: card, trust: .partner, added: now - 1000)
        record.logName = secrets[0].publicKeys.fingerprint
        let home = NodeHome(path: directory.path)
        try FileManager.default.createDirectory(atPath: directory.path + "/keys", withIntermediateDirectories: true)
        try home.recordPeerRotation(peer: record, previous: secrets[0].publicKeys.identity, until: now - 500)
        try home.recordPeerRotation(peer: record, previous: secrets[1].publicKeys.identity, until: now - 100)
        return (try Keyring(peers: [record]), home, secrets.map(\.publicKeys.fingerprint))
    }

    @Test("a name stands for every key the peer had, the one between two rotations included")
    func everyKey() throws {
        let (keyring, home, fingerprints) = try twiceRotated()
        let keys = try ControlHandlers.fingerprints(ofPeer: "bravo", in: keyring, retired: home.retiredPeerKeys())
        #expect(Set(keys) == Set(fingerprints.map(\.description)))
    }

    @Test("a fingerprint stands for itself; a mistyped one says so; an unknown name says how to find a removed peer's")
    func fingerprintsAndUnknownNames() throws {
        let (keyring, home, fingerprints) = try twiceRotated()
        let retired = home.retiredPeerKeys()
        #expect(try ControlHandlers.fingerprints(ofPeer: fingerprints[1].description, in: keyring, retired: retired) == [fingerprints[1].description])
        var mistyped = Array(fingerprints[1].description)
        mistyped[3] = mistyped[3] == "a" ? "b" : "a"
        #expect(throws: CoreError(.malformedFingerprint, "")) {
            try ControlHandlers.fingerprints(ofPeer: String(mistyped), in: keyring, retired: retired)
        }
        let unknown = thrownCoreError { try ControlHandlers.fingerprints(ofPeer: "charlie", in: keyring, retired: retired) }
        #expect(unknown?.code == .unknownPeer && unknown?.message.contains("peer.removed") == true)
    }
}

/// The CoreError `body` throws, if any.
private func thrownCoreError<T>(_ body: () throws -> T) -> CoreError? {
    do { _ = try body(); return nil } catch let error as CoreError { return error } catch { return nil }
}
