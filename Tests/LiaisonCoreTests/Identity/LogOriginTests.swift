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
/// (a partner added after a rotation filed the node's log under its new
/// fingerprint and refused to witness it), and an earlier unsigned `log-name`
/// line withdrawn because any partner could claim another's log.
@Suite("Log origins: a rotated node's card proves its log's name")
struct LogOriginTests {
    let first: NodeSecrets
    let current: NodeSecrets
    let origin: LogOrigin

    init() throws {
        first = try F.secrets(seed: 1)
        current = try rotated(first, seed: 2)
        origin = LogOrigin(.init(signing: first.identity, log: first.publicKeys.log), holder: current.publicKeys.identity, log: current.log)
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
        #expect(parsed.fingerprint == current.publicKeys.fingerprint && parsed.logFingerprint == first.publicKeys.fingerprint)
        #expect(try LogOrigin(parsing: origin.encoded) == origin)
        #expect(try LogOrigin.FirstKeyProof(parsing: origin.proof.encoded) == origin.proof)
        #expect(origin.vouches(log: first.publicKeys.log, holder: current.publicKeys.identity))
        // A card without it (a node that never rotated) is named after itself, as before.
        let plain = try self.card(first, origin: nil)
        #expect(!plain.encoded.contains("log-origin") && plain.logFingerprint == plain.fingerprint)
    }

    @Test("another node cannot claim the log, with its own log key or with the copied one")
    func claimRefused() throws {
        let dave = try F.secrets(seed: 7)
        let daveCard = try card(dave, origin: nil)
        /// Dave's card with `log` as its log key and alpha's proof, signed by dave's identity.
        func claim(log: LogPublicKey) -> String {
            resigned(daveCard, by: dave.identity) {
                $0.replacingOccurrences(of: "log: \(KeyText.encode(dave.publicKeys.log))\n",
                                        with: "log: \(KeyText.encode(log))\nlog-origin: \(origin.encoded)\n")
            }
        }
        // His own log key: alpha's first key vouched for another.
        // Alpha's log key and proof copied whole (both are public): that log key named alpha's identity, not his.
        for log in [dave.publicKeys.log, first.publicKeys.log] {
            let claimed = claim(log: log)
            #expect(claimed.contains("log-origin: "))
            do {
                _ = try NodeCard(parsing: claimed, now: F.now + 60)
                Issue.record("a card claiming alpha's log was accepted")
            } catch let error as CoreError { #expect(error.code == .cardSignatureInvalid) }
        }
        #expect(!origin.vouches(log: first.publicKeys.log, holder: dave.publicKeys.identity))
        #expect(!origin.vouches(log: dave.publicKeys.log, holder: current.publicKeys.identity))
        // Nor can he make such a card, or one with a proof he made himself with his own log key.
        #expect(throws: CoreError.self) { try card(dave, origin: origin) }
        let own = LogOrigin(origin.proof, holder: dave.publicKeys.identity, log: dave.log)
        #expect(throws: CoreError.self) { try card(dave, origin: own) }
    }

    @Test("an altered proof, one naming the card's own key, or one out of place is refused")
    func alteredRefused() throws {
        let card = try card(current, origin: origin)
        for signature in [origin.proof.signature, origin.holderSignature] {
            var bytes = signature
            bytes[5] ^= 1
            let forged = resigned(card, by: current.identity) {
                $0.replacingOccurrences(of: Data(signature).base64EncodedString(), with: Data(bytes).base64EncodedString())
            }
            #expect(throws: CoreError.self) { try NodeCard(parsing: forged, now: F.now + 60) }
        }
        let own = LogOrigin(.init(signing: current.identity, log: current.publicKeys.log), holder: current.publicKeys.identity, log: current.log)
        let selfNamed = resigned(card, by: current.identity) { $0.replacingOccurrences(of: origin.encoded, with: own.encoded) }
        do {
            _ = try NodeCard(parsing: selfNamed, now: F.now + 60)
            Issue.record("a proof naming the card's own key was accepted")
        } catch let error as CoreError { #expect(error.code == .malformedCard) }
        #expect(throws: CoreError.self) { try self.card(current, origin: own) }
        // After the addresses, not after the log key: not the canonical order.
        let moved = resigned(card, by: current.identity) {
            $0.replacingOccurrences(of: "log-origin: \(origin.encoded)\n", with: "")
                .replacingOccurrences(of: "valid-from:", with: "log-origin: \(origin.encoded)\nvalid-from:")
        }
        #expect(throws: CoreError.self) { try NodeCard(parsing: moved, now: F.now + 60) }
        let x25519 = "x25519:" + String(origin.encoded.dropFirst("ed25519:".count))
        for text in ["", origin.encoded + " ", origin.encoded.replacingOccurrences(of: " ", with: "  "), origin.proof.encoded, x25519] {
            #expect(throws: CoreError.self) { try LogOrigin(parsing: text) }
        }
    }

    @Test("a peer added from such a card is known by its log's name, and keeps the first key for revocation")
    func peerFromCard() throws {
        let card = try card(current, origin: origin)
        let peer = PeerRecord(name: "alpha", card: card, trust: .partner, added: F.now)
        #expect(peer.logFingerprint == first.publicKeys.fingerprint && peer.logIdentity == first.publicKeys.identity)
        let keyring = try Keyring(peers: [peer])
        let text = keyring.rendered(excluding: [])
        #expect(text.contains("log-name = \"\(first.publicKeys.fingerprint)\"") && text.contains("log-identity = \"\(KeyText.encode(first.publicKeys.identity))\""))
        let parsed = try Keyring(parsing: text)
        #expect(parsed.peers == [peer])
        // A hand-edited log-identity that is not log-name's key is refused.
        let other = try F.secrets(seed: 9)
        #expect(throws: CoreError.self) {
            try Keyring(parsing: text.replacingOccurrences(of: KeyText.encode(first.publicKeys.identity), with: KeyText.encode(other.publicKeys.identity)))
        }
        let dir = TemporaryDirectory(prefix: "log-origin")
        #expect(NodeHome(path: dir.path).identitiesEverHeld(by: peer) == [current.publicKeys.identity, first.publicKeys.identity])
    }

    @Test("a keyring holds one peer per log name")
    func oneLogName() throws {
        let card = try card(current, origin: origin)
        var keyring = try Keyring(peers: [PeerRecord(name: "alpha", card: card, trust: .partner, added: F.now)])
        // The first card of the same node, under another name: the log it began is already here.
        let firstCard = try self.card(first, origin: nil)
        #expect(throws: CoreError.self) { try keyring.add(PeerRecord(name: "alpha-old", card: firstCard, trust: .partner, added: F.now)) }
        // A later card of the same log (another rotation), under another name.
        let third = try rotated(first, seed: 3)
        let later = try self.card(third, origin: LogOrigin(origin.proof, holder: third.publicKeys.identity, log: third.log))
        #expect(throws: CoreError.self) { try keyring.add(PeerRecord(name: "alpha-new", card: later, trust: .partner, added: F.now)) }
        #expect(keyring.peers.map(\.name) == ["alpha"])
        // And the other way: the first card in the keyring, the rotated one added.
        var other = try Keyring(peers: [PeerRecord(name: "alpha-old", card: firstCard, trust: .partner, added: F.now)])
        #expect(throws: CoreError.self) { try other.add(PeerRecord(name: "alpha", card: card, trust: .partner, added: F.now)) }
        try other.add(PeerRecord(name: "bravo", card: try self.card(try F.secrets(seed: 4), origin: nil), trust: .partner, added: F.now))
        #expect(other.peers.map(\.name) == ["alpha-old", "bravo"])
        // A file written before the check (or a pinned peer beside an imported one) still loads.
        let both = try Keyring(peers: [PeerRecord(name: "alpha-old", card: firstCard, trust: .partner, added: F.now),
                                       PeerRecord(name: "alpha", card: card, trust: .partner, added: F.now)])
        #expect(try Keyring(parsing: both.rendered(excluding: [])).peers.count == 2)
    }

    @Test("revoking the first key revokes a peer known by it, and refuses its cards")
    func firstKeyRevoked() throws {
        let dir = TemporaryDirectory(prefix: "log-origin")
        let home = NodeHome(path: dir.path)
        try FileManager.default.createDirectory(atPath: dir.path + "/keys", withIntermediateDirectories: true)
        let card = try card(current, origin: origin)
        let keyring = try Keyring(peers: [PeerRecord(name: "alpha", card: card, trust: .partner, added: F.now)])
        #expect(home.peer(everHolding: first.publicKeys.identity, in: keyring)?.name == "alpha")
        try home.recordRevokedPeer(first.publicKeys.identity)
        #expect(try home.applyingRevocations(to: keyring).peer(named: "alpha")?.revoked == true)
        #expect(throws: CoreError.self) { try home.ensureNotRevokedPeer(card) }
    }
}
