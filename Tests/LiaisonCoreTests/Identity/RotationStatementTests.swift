import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

@Suite("Rotation statements: the previous identity key signing the new card")
struct RotationStatementTests {
    /// A statement by `seed 1`'s identity about a card of `seed 3`'s keys.
    private func statement(addresses: [String] = ["127.0.0.1:7401"]) throws -> (RotationStatement, previous: NodeSecrets, next: NodeSecrets) {
        let previous = try F.secrets(seed: 1), next = try F.secrets(seed: 3)
        let card = try NodeCard(name: "alpha", secrets: next, addresses: addresses, validFrom: F.now, validUntil: F.now + 365 * 86_400)
        return (try RotationStatement(previous: previous.identity, card: card, rotatedAt: F.now, overlapUntil: F.now + 14 * 86_400), previous, next)
    }

    @Test("a statement round-trips through its binary and text forms and verifies with the previous key")
    func roundTrip() throws {
        let (s, previous, next) = try statement()
        let decoded = try RotationStatement(decoding: s.encoded, now: F.now)
        #expect(decoded == s)
        #expect(decoded.verify(previousIdentity: previous.identity.publicKey))
        #expect(decoded.previousFingerprint == previous.publicKeys.fingerprint && decoded.fingerprint == next.publicKeys.fingerprint)
        #expect(decoded.card.keys == next.publicKeys && decoded.overlapUntil == F.now + 14 * 86_400)
        #expect(try RotationStatement(text: s.text, now: F.now) == s)
        #expect(s.body.starts(with: Array("liaison key-rotation v1\n".utf8)))
        // The largest card a statement may carry still fits a session message.
        #expect(RotationStatement.maximumByteCount < 65_535 - 16 - 3)
    }

    @Test("a statement signed by another key, or checked against the new key, does not verify")
    func wrongKey() throws {
        let (s, previous, next) = try statement()
        let other = try F.secrets(seed: 2).identity
        #expect(!s.verify(previousIdentity: other.publicKey))
        #expect(!s.verify(previousIdentity: next.identity.publicKey))
        let forged = try RotationStatement(decoding: s.body + other.signature(for: s.body), now: F.now)
        #expect(!forged.verify(previousIdentity: previous.identity.publicKey))
        #expect(!forged.verify(previousIdentity: other.publicKey))
        // A card that keeps the identity key is not a rotation.
        let same = try NodeCard(name: "alpha", secrets: previous, addresses: [], validFrom: F.now, validUntil: F.now + 86_400)
        #expect(throws: CoreError(.invalidArgument, "")) {
            try RotationStatement(previous: previous.identity, card: same, rotatedAt: F.now, overlapUntil: F.now + 60)
        }
    }

    @Test("any changed byte breaks verification or parsing; an edited text form is refused")
    func tampered() throws {
        let (s, previous, _) = try statement()
        let bytes = s.encoded
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x01
            guard let decoded = try? RotationStatement(decoding: changed, now: F.now) else { continue }
            #expect(!decoded.verify(previousIdentity: previous.identity.publicKey), "byte \(index) changed yet the statement verifies")
        }
        let edited = s.text.replacingOccurrences(of: "overlap-until: ", with: "overlap-until: 2")
        #expect(throws: CoreError(.malformedRotation, "")) { try RotationStatement(text: edited, now: F.now) }
    }

    @Test("truncated, extended, oversized, expired and unbounded statements are refused with identity.malformed-rotation")
    func malformed() throws {
        let (s, previous, next) = try statement()
        let bytes = s.encoded
        for length in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: CoreError(.malformedRotation, "")) { try RotationStatement(decoding: Array(bytes.prefix(length)), now: F.now) }
        }
        #expect(throws: CoreError(.malformedRotation, "")) { try RotationStatement(decoding: bytes + [0], now: F.now) }
        #expect(throws: CoreError(.malformedRotation, "")) {
            try RotationStatement(decoding: bytes + [UInt8](repeating: 0, count: RotationStatement.maximumByteCount), now: F.now)
        }
        #expect(throws: CoreError(.malformedRotation, "")) { try RotationStatement(text: "statement: %%%\n", now: F.now) }
        // The new card must still be valid when the statement is read.
        #expect(throws: CoreError(.malformedRotation, "")) { try RotationStatement(decoding: bytes, now: F.now + 366 * 86_400) }
        // An overlap longer than the maximum, or none, cannot be signed.
        for until in [F.now, F.now + RotationStatement.maximumOverlapSeconds + 1] {
            #expect(throws: CoreError(.invalidArgument, "")) {
                try RotationStatement(previous: previous.identity, card: s.card, rotatedAt: F.now, overlapUntil: until)
            }
        }
        // A card too large for a statement (many long addresses) cannot be signed either.
        let long = (0..<16).map { "host-\($0)-" + String(repeating: "a", count: 230) + ".example:7401" }
        let big = try NodeCard(name: "alpha", secrets: next, addresses: long, validFrom: F.now, validUntil: F.now + 86_400)
        #expect(throws: CoreError(.invalidArgument, "")) {
            try RotationStatement(previous: previous.identity, card: big, rotatedAt: F.now, overlapUntil: F.now + 60)
        }
    }
}
