import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

private let validUntil: Int64 = F.now + 365 * 86_400

/// A node's keys after a rotation: a new identity, encryption and transport key, the same log key.
private func rotated(_ first: NodeSecrets, seed: UInt64) throws -> NodeSecrets {
    let fresh = try F.secrets(seed: seed)
    return NodeSecrets(identity: fresh.identity, encryption: fresh.encryption, transport: fresh.transport, log: first.log)
}

/// `card`'s text with its body changed by `change` and signed again by `key`, as the card's holder could.
private func resigned(_ card: NodeCard, by key: IdentitySecretKey, _ change: (String) -> String) -> String {
    let body = change(String(card.encoded.split(separator: "\n").dropLast().joined(separator: "\n") + "\n"))
    return body + "signature: \(Data(key.signature(for: Array(("liaison/node-card/v1\n" + body).utf8))).base64EncodedString())\n"
}

/// The proof of a rotated node's log name on its card: found missing in review
/// (a partner added after a rotation named the node's log after its new
/// fingerprint and refused to witness it). An earlier unsigned `log-name` line was
/// withdrawn because any partner could claim another's log; a version that filed
/// the peer by the name it proved was withdrawn because a copied line let a node
/// take another's place (and have its first key revoked with it).
@Suite("Log origins: a rotated node's card proves its log's name")
struct LogOriginTests {
    let first: NodeSecrets
    let current: NodeSecrets
    let origin: LogOrigin

    init() throws {
        first = try F.secrets(seed: 1)
        current = try rotated(first, seed: 2)
        origin = LogOrigin(signing: first.identity, log: first.publicKeys.log)
    }

    /// Dave's card, signed by him, carrying alpha's proof (copied whole) and `logKey` as its log key.
    private func daveCard(_ dave: NodeSecrets, logKey: LogPublicKey) throws -> String {
        resigned(try card(dave, origin: nil), by: dave.identity) {
            $0.replacingOccurrences(of: "log: \(KeyText.encode(dave.publicKeys.log))\n",
                                    with: "log: \(KeyText.encode(logKey))\nlog-origin: \(origin.encoded)\n")
        }
    }

    private func card(_ secrets: NodeSecrets, origin: LogOrigin?) throws -> NodeCard {
        try NodeCard(name: "alpha", secrets: secrets, addresses: ["127.0.0.1:7401"], validFrom: F.now, validUntil: validUntil, logOrigin: origin)
    }

    @Test("a rotated card carries the proof after its log key, and parses back to the first fingerprint")
    func roundTrip() throws {
        let card = try card(current, origin: origin)
        let lines = card.encoded.split(separator: "\n").map(String.init)
        #expect(lines[5].hasPrefix("log: ") && lines[6] == "log-origin: \(origin.encoded)")
        let parsed = try NodeCard(parsing: card.encoded, now: F.now + 60)
        #expect(parsed == card && parsed.logOrigin == origin)
        #expect(parsed.fingerprint == current.publicKeys.fingerprint && parsed.auditLogFingerprint == first.publicKeys.fingerprint)
        #expect(try LogOrigin(parsing: origin.encoded) == origin && origin.vouches(for: first.publicKeys.log))
        // A card without it (a node that never rotated) is named after itself, as before.
        let plain = try self.card(first, origin: nil)
        #expect(!plain.encoded.contains("log-origin") && plain.auditLogFingerprint == plain.fingerprint)
    }

    @Test("another node cannot put its own log key under the name")
    func claimRefused() throws {
        // Dave copies alpha's proof into his own card, with his own log key, and signs it.
        let dave = try F.secrets(seed: 7)
        let claimed = try daveCard(dave, logKey: dave.publicKeys.log)
        #expect(claimed.contains("log-origin: "))
        do {
            _ = try NodeCard(parsing: claimed, now: F.now + 60)
            Issue.record("a card putting another log key under alpha's log name was accepted")
        } catch let error as CoreError { #expect(error.code == .cardSignatureInvalid) }
        #expect(throws: CoreError(.invalidArgument, "")) { try card(dave, origin: origin) }
    }

    @Test("a copied proof with the victim's log key names the victim's log, and takes nothing from it")
    func copyTakesNothing() throws {
        // Dave copies alpha's log key and proof (both public) into his own card.
        let dave = try F.secrets(seed: 7)
        let copied = try daveCard(dave, logKey: first.publicKeys.log)
        let card = try NodeCard(parsing: copied, now: F.now + 60)
        let daveRecord = PeerRecord(name: "dave", card: card, trust: .partner, added: F.now)
        // Checkpoints under that name must verify with alpha's log key, which dave cannot
        // sign with; he is filed, limited and revoked under his own fingerprint.
        #expect(daveRecord.auditLogFingerprint == first.publicKeys.fingerprint && daveRecord.keys.log == first.publicKeys.log)
        #expect(daveRecord.logFingerprint == dave.publicKeys.fingerprint)
        let dir = TemporaryDirectory(prefix: "log-origin")
        #expect(NodeHome(path: dir.path).identitiesEverHeld(by: daveRecord) == [dave.publicKeys.identity])
        // Alpha's real card is still added beside him.
        let keyring = try Keyring(peers: [daveRecord, PeerRecord(name: "alpha", card: try self.card(current, origin: origin), trust: .partner, added: F.now)])
        #expect(keyring.peers.map(\.name) == ["dave", "alpha"])
    }

    @Test("an altered proof, one naming the card's own key, or one out of place is refused")
    func alteredRefused() throws {
        let card = try card(current, origin: origin)
        var bytes = origin.signature
        bytes[5] ^= 1
        let forged = resigned(card, by: current.identity) {
            $0.replacingOccurrences(of: Data(origin.signature).base64EncodedString(), with: Data(bytes).base64EncodedString())
        }
        #expect(throws: CoreError(.cardSignatureInvalid, "")) { try NodeCard(parsing: forged, now: F.now + 60) }
        let own = LogOrigin(signing: current.identity, log: current.publicKeys.log)
        let selfNamed = resigned(card, by: current.identity) { $0.replacingOccurrences(of: origin.encoded, with: own.encoded) }
        do {
            _ = try NodeCard(parsing: selfNamed, now: F.now + 60)
            Issue.record("a proof naming the card's own key was accepted")
        } catch let error as CoreError { #expect(error.code == .malformedCard) }
        #expect(throws: CoreError(.invalidArgument, "")) { try self.card(current, origin: own) }
        // After the addresses, not after the log key: not the canonical order.
        let moved = resigned(card, by: current.identity) {
            $0.replacingOccurrences(of: "log-origin: \(origin.encoded)\n", with: "")
                .replacingOccurrences(of: "valid-from:", with: "log-origin: \(origin.encoded)\nvalid-from:")
        }
        #expect(throws: CoreError(.malformedCard, "")) { try NodeCard(parsing: moved, now: F.now + 60) }
        let x25519 = "x25519:" + String(origin.encoded.dropFirst("ed25519:".count))
        for text in ["", origin.encoded + " ", origin.encoded.replacingOccurrences(of: " ", with: "  "), x25519] {
            #expect(throws: CoreError(.malformedCard, "")) { try LogOrigin(parsing: text) }
        }
    }

    @Test("a peer added from such a card names its log after the first fingerprint, and is filed by its own")
    func peerFromCard() throws {
        let card = try card(current, origin: origin)
        let peer = PeerRecord(name: "alpha", card: card, trust: .partner, added: F.now)
        #expect(peer.auditLogFingerprint == first.publicKeys.fingerprint && peer.logFingerprint == current.publicKeys.fingerprint)
        let text = try Keyring(peers: [peer]).rendered(excluding: [])
        #expect(text.contains("audit-log-name = \"\(first.publicKeys.fingerprint)\"") && !text.contains("\nlog-name ="))
        #expect(try Keyring(parsing: text).peers == [peer])
        // After its next rotation, its log keeps the name.
        let later = try rotated(first, seed: 3)
        let next = peer.rotated(to: try self.card(later, origin: origin), overlapUntil: F.now + 3600)
        #expect(next.auditLogFingerprint == first.publicKeys.fingerprint && next.logFingerprint == current.publicKeys.fingerprint)
    }
}
