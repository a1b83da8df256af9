import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

@Suite("A peer's keys across its rotation, and this node's own rotation on disk")
struct PeerRotationTests {
    private func card(_ secrets: NodeSecrets, now: Int64) throws -> NodeCard {
        try NodeCard(name: "alpha", secrets: secrets, addresses: ["127.0.0.1:7401"], validFrom: now, validUntil: now + 86_400)
    }

    @Test("a rotated record takes the new keys, keeps its attributes, and accepts the previous keys only until the overlap ends")
    func previousKeysExpire() throws {
        let now = Timestamp.now()
        let old = try F.secrets(seed: 1), new = try F.secrets(seed: 2)
        var record = PeerRecord(name: "alpha", card: try card(old, now: now), trust: .trusted, added: now)
        record.communities = ["NATO"]
        record.organisation = "Example Agency"
        var keyring = try Keyring(peers: [record])
        try keyring.rotate(named: "alpha", to: try card(new, now: now), overlapUntil: now + 3_600)
        let rotated = try #require(keyring.peer(named: "alpha"))
        #expect(rotated.keys == new.publicKeys && rotated.previousKeys == old.publicKeys && rotated.logFingerprint == old.publicKeys.fingerprint)
        #expect(rotated.trust == .trusted && rotated.communities == ["NATO"] && rotated.organisation == "Example Agency")
        #expect(rotated.hasIdentity(old.identity.publicKey, at: now) && rotated.hasIdentity(new.identity.publicKey, at: now))
        #expect(rotated.hasTransportKey(old.transport.publicKey.rawRepresentation, at: now))
        #expect(!rotated.hasIdentity(old.identity.publicKey, at: now + 3_600))
        #expect(!rotated.hasTransportKey(old.transport.publicKey.rawRepresentation, at: now + 3_600))
        #expect(rotated.hasIdentity(new.identity.publicKey, at: now + 3_600))
        // Packages signed by the previous key verify during the overlap, naming that key.
        #expect(keyring.sender(withIdentity: old.identity.publicKey.rawRepresentation)?.identity == old.identity.publicKey)
        #expect(keyring.sender(withIdentity: new.identity.publicKey.rawRepresentation)?.name == "alpha")

        // The keyring file keeps it all; a load after the overlap drops the previous keys.
        let reparsed = try Keyring(parsing: keyring.rendered(excluding: []))
        #expect(reparsed.peer(named: "alpha") == rotated)
        var expired = rotated
        expired.previousUntil = now - 1
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("keys"), withIntermediateDirectories: true)
        let home = NodeHome(path: dir.path)
        let configuration = NodeConfiguration(name: "bravo", created: now, listen: [], publicKeys: try F.secrets(seed: 9).publicKeys, protection: .none)
        try home.saveKeyring(try Keyring(peers: [expired]), configuration: configuration)
        let loaded = try #require(try home.loadKeyring(configuration).peer(named: "alpha"))
        #expect(loaded.previousKeys == nil && loaded.previousUntil == nil && loaded.keys == new.publicKeys)
        #expect(loaded.logFingerprint == old.publicKeys.fingerprint)
        #expect(try Keyring(peers: [expired]).sender(withIdentity: old.identity.publicKey.rawRepresentation) == nil)

        // A package that arrived during the overlap is still read with the retired key
        // after it (as of its arrival), never one that arrived later; a revoked one is refused.
        try home.recordPeerRotation(peer: expired, previous: old.identity.publicKey, until: now - 1)
        let reloaded = try home.loadKeyring(configuration)
        let oldKey = old.identity.publicKey.rawRepresentation
        #expect(home.senders(asOf: now - 10, keyring: reloaded).sender(withIdentity: oldKey)?.name == "alpha")
        #expect(home.senders(asOf: now, keyring: reloaded).sender(withIdentity: oldKey) == nil)
        #expect(home.senders(asOf: now, keyring: reloaded).sender(withIdentity: new.identity.publicKey.rawRepresentation)?.name == "alpha")

        // A revoked previous key never comes back, even inside the overlap.
        try home.saveKeyring(try Keyring(peers: [rotated]), configuration: configuration)
        try home.recordRevokedPeer(old.identity.publicKey)
        let afterRevocation = try #require(try home.loadKeyring(configuration).peer(named: "alpha"))
        #expect(afterRevocation.previousKeys == nil && !afterRevocation.revoked)
        #expect(home.senders(asOf: now - 10, keyring: reloaded).sender(withIdentity: oldKey)?.isRevoked == true)
    }

    @Test("a retired key belongs to the peer that retired it, not to another node imported later under its name")
    func retiredKeyLineage() throws {
        let now = Timestamp.now()
        let old = try F.secrets(seed: 1)
        let rotated = PeerRecord(name: "alpha", card: try card(old, now: now), trust: .partner, added: now - 100)
            .rotated(to: try card(try F.secrets(seed: 2), now: now), overlapUntil: now + 60)
        let dir = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir.file("keys"), withIntermediateDirectories: true)
        let home = NodeHome(path: dir.path)
        try home.recordPeerRotation(peer: rotated, previous: old.identity.publicKey, until: now + 60)
        let oldKey = old.identity.publicKey
        #expect(home.peer(everHolding: oldKey, in: try Keyring(peers: [rotated]))?.name == "alpha")
        // alpha removed, and another node imported as "alpha": the old key is not its own.
        let stranger = PeerRecord(name: "alpha", card: try card(try F.secrets(seed: 5), now: now), trust: .partner, added: now)
        #expect(home.peer(everHolding: oldKey, in: try Keyring(peers: [stranger])) == nil)
        // A package that arrived under the old key still opens, credited to the alpha that left, not to the stranger.
        let sender = home.senders(asOf: now, keyring: try Keyring(peers: [stranger])).sender(withIdentity: oldKey.rawRepresentation)
        #expect(sender?.name == "alpha (removed)" && sender?.identity == oldKey && sender?.fingerprint != stranger.fingerprint)
        // A line from before lineages were written: only a record older than the key's retirement owns it.
        try "\(Timestamp.iso8601(now + 60)) alpha \(KeyText.encode(oldKey))\n".write(toFile: home.peerRotationsPath, atomically: true, encoding: .utf8)
        #expect(home.peer(everHolding: oldKey, in: try Keyring(peers: [rotated]))?.name == "alpha")
        let lateStranger = PeerRecord(name: "alpha", card: try card(try F.secrets(seed: 5), now: now), trust: .partner, added: now + 120)
        #expect(home.peer(everHolding: oldKey, in: try Keyring(peers: [lateStranger])) == nil)
    }

    @Test("a keyring refuses previous-key fields without their partners, and a rotation onto another peer's keys")
    func malformedRecords() throws {
        let now = Timestamp.now()
        let old = try F.secrets(seed: 1), other = try F.secrets(seed: 4)
        let rotated = PeerRecord(name: "alpha", card: try card(old, now: now), trust: .partner, added: now)
            .rotated(to: try card(try F.secrets(seed: 2), now: now), overlapUntil: now + 60)
        let text = try Keyring(peers: [rotated]).rendered(excluding: [])
        let noUntil = text.split(separator: "\n").filter { !$0.hasPrefix("previous-until") }.joined(separator: "\n")
        #expect(throws: CoreError.self) { try Keyring(parsing: noUntil) }
        let noIdentity = text.split(separator: "\n").filter { !$0.hasPrefix("previous-identity") }.joined(separator: "\n")
        #expect(throws: CoreError.self) { try Keyring(parsing: noIdentity) }
        var keyring = try Keyring(peers: [PeerRecord(name: "alpha", card: try card(old, now: now), trust: .partner, added: now),
                                          PeerRecord(name: "charlie", card: try card(other, now: now), trust: .partner, added: now)])
        #expect(throws: CoreError(.rotationRefused, "")) { try keyring.rotate(named: "alpha", to: try card(other, now: now), overlapUntil: now + 60) }
    }

    @Test("rotating this node's keys on disk: new key file, previous keys kept, liaison.toml updated in place, log name kept")
    func ownRotationOnDisk() throws {
        let dir = TemporaryDirectory()
        let home = NodeHome(path: dir.file("node"))
        let now = Timestamp.now()
        try home.create(name: "alpha", listen: ["127.0.0.1:7401"], passphrase: F.passphrase("correct horse"), now: now, parameters: F.fastArgon)
        let extra = "\n[daemon]\nretry-maximum-seconds = 2\n"
        try (try String(contentsOfFile: home.configurationPath, encoding: .utf8) + extra).write(toFile: home.configurationPath, atomically: true, encoding: .utf8)
        let configuration = try home.loadConfiguration()
        let passphrase = PassphraseSource(file: F.writeFile(Array("correct horse".utf8), to: dir.file("pass"), mode: 0o600))
        let (current, sealing) = try home.loadSecretsRetainingKey(configuration, passphrase: passphrase)
        let prepared = try home.prepareRotation(configuration, current: current, previous: { nil }, now: now, overlapSeconds: 86_400)
        let updated = try home.commitRotation(prepared, configuration: configuration, current: current, sealing: sealing)

        #expect(updated.publicKeys == prepared.secrets.publicKeys && updated.publicKeys.log == configuration.publicKeys.log)
        #expect(updated.logFingerprint == configuration.publicKeys.fingerprint && updated.daemon.retryMaximumSeconds == 2)
        #expect(try home.loadConfiguration().publicKeys == prepared.secrets.publicKeys)
        // The new key file opens with the same passphrase; the previous keys are kept with the overlap end.
        #expect(F.sameSecrets(try home.loadSecrets(try home.loadConfiguration(), passphrase: passphrase), prepared.secrets))
        let previous = try #require(try home.previousSecrets(sealing: sealing))
        #expect(F.sameSecrets(previous.secrets, current) && previous.overlapUntil == now + 86_400)
        #expect(try home.rotation()?.verify(previousIdentity: current.identity.publicKey) == true)
        #expect(try NodeCard(parsing: try String(contentsOfFile: home.rotationCardPath, encoding: .utf8), now: now).keys == updated.publicKeys)
        // Not again while the overlap is open: later (75), not a usage error.
        #expect(throws: CoreError(.keyChangeNotNow, "")) {
            try home.prepareRotation(updated, current: prepared.secrets, previous: { nil }, now: now + 10, overlapSeconds: 86_400)
        }

        // The card for partners added later proves the log's name; the statement's does not.
        let first = configuration.publicKeys.fingerprint
        let published = try NodeCard(parsing: try String(contentsOfFile: home.rotationCardPath, encoding: .utf8), now: now)
        #expect(published.auditLogFingerprint == first && prepared.statement.card.logOrigin == nil)
        #expect(try home.logOrigin(updated)?.fingerprint == first)
        // A node that rotated without the proof (an earlier release) makes it at its next
        // rotation from its previous keys, before they are replaced and the first key is gone.
        unlink(home.logOriginPath)
        let later = now + 86_400 + 10
        let second = try home.prepareRotation(updated, current: prepared.secrets, previous: { try home.previousSecrets(sealing: sealing)?.secrets },
                                              now: later, overlapSeconds: 60)
        let again = try home.commitRotation(second, configuration: updated, current: prepared.secrets, sealing: sealing)
        #expect(try again.logFingerprint == first && home.logOrigin(again)?.fingerprint == first)
        let secondCard = try NodeCard(parsing: try String(contentsOfFile: home.rotationCardPath, encoding: .utf8), now: later)
        #expect(secondCard.keys == again.publicKeys && secondCard.auditLogFingerprint == first)
        #expect(try home.card(again, secrets: second.secrets, now: later).auditLogFingerprint == first)
        // Once the first key is gone with the proof, a card cannot claim the log: it goes without.
        unlink(home.logOriginPath)
        #expect(try home.ensureLogOrigin(again) { [try #require(try home.previousSecrets(sealing: sealing)).secrets, second.secrets] } == nil)
        #expect(try home.card(again, secrets: second.secrets, now: later).logOrigin == nil)
    }

    @Test("a rotation cut off by a crash after its statement was written is finished on the next start, from either half-done state")
    func interruptedRotationIsFinished() throws {
        for keyFileSwapped in [false, true] {
            let dir = TemporaryDirectory()
            let home = NodeHome(path: dir.file("node"))
            let now = Timestamp.now()
            try home.create(name: "alpha", listen: ["127.0.0.1:7401"], passphrase: F.passphrase("correct horse"), now: now, parameters: F.fastArgon)
            let configuration = try home.loadConfiguration()
            let passphrase = PassphraseSource(file: F.writeFile(Array("correct horse".utf8), to: dir.file("pass"), mode: 0o600))
            let (current, sealing) = try home.loadSecretsRetainingKey(configuration, passphrase: passphrase)
            let keyFile = home.keyFilePath(configuration)
            let oldKeyFile = try Data(contentsOf: URL(fileURLWithPath: keyFile))
            let oldConfiguration = try String(contentsOfFile: home.configurationPath, encoding: .utf8)
            let prepared = try home.prepareRotation(configuration, current: current, previous: { nil }, now: now, overlapSeconds: 86_400)
            _ = try home.commitRotation(prepared, configuration: configuration, current: current, sealing: sealing)
            // Put the node back the way a crash would have left it: liaison.toml still names
            // the old keys, and the new key file either swapped in already or still beside it.
            if !keyFileSwapped {
                // Cut off right after the statement: both new files still beside their places.
                #expect(rename(keyFile, keyFile + ".next") == 0)
                #expect(rename(home.previousKeyFilePath, home.previousKeyFilePath + ".next") == 0)
                try oldKeyFile.write(to: URL(fileURLWithPath: keyFile))
                chmod(keyFile, 0o600)
            }
            try oldConfiguration.write(toFile: home.configurationPath, atomically: true, encoding: .utf8)
            let stale = try home.loadConfiguration()
            #expect(stale.publicKeys == current.publicKeys)
            if keyFileSwapped {
                #expect(throws: CoreError.self) { try home.loadSecrets(stale, passphrase: passphrase) }
            }

            let finished = try home.completingInterruptedRotation(stale)
            #expect(finished.publicKeys == prepared.secrets.publicKeys, "keyFileSwapped: \(keyFileSwapped)")
            #expect(try home.loadConfiguration().publicKeys == prepared.secrets.publicKeys)
            #expect(F.sameSecrets(try home.loadSecrets(finished, passphrase: passphrase), prepared.secrets))
            #expect(access(keyFile + ".next", F_OK) != 0 && access(home.previousKeyFilePath + ".next", F_OK) != 0)
            // The previous keys are in place, and they are the ones the rotation replaced.
            let previous = try #require(try home.previousSecrets(sealing: sealing))
            #expect(F.sameSecrets(previous.secrets, current))
            // Idempotent, and a node that never rotated is left alone.
            #expect(try home.completingInterruptedRotation(finished).publicKeys == finished.publicKeys)
        }
        let dir = TemporaryDirectory()
        let plain = NodeHome(path: dir.file("plain"))
        try plain.create(name: "bravo", listen: ["127.0.0.1:7402"], passphrase: nil, now: Timestamp.now(), parameters: F.fastArgon)
        let configuration = try plain.loadConfiguration()
        #expect(try plain.completingInterruptedRotation(configuration).publicKeys == configuration.publicKeys)
    }
}
