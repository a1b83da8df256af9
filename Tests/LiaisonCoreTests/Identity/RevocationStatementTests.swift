import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

@Suite("Revocation statements: a node revoking its own identity key")
struct RevocationStatementTests {
    private func statement(reason: String = "key compromised") throws -> (RevocationStatement, IdentitySecretKey) {
        let key = try F.secrets(seed: 1).identity
        return (try RevocationStatement(revoking: key, at: F.now, reason: reason), key)
    }

    @Test("a statement round-trips through its binary and text forms and verifies with its own key")
    func roundTrip() throws {
        let (s, key) = try statement()
        let decoded = try RevocationStatement(decoding: s.encoded)
        #expect(decoded == s)
        #expect(decoded.verify(identity: key.publicKey))
        #expect(decoded.fingerprint == NodeFingerprint(identity: key.publicKey))
        #expect(try RevocationStatement(text: s.text) == s)
        #expect(s.text.contains("reason: key compromised\n"))
        // An empty reason and a reason of exactly the limit are fine.
        for reason in ["", String(repeating: "x", count: RevocationStatement.maximumReasonLength), String(repeating: "é", count: 127)] {
            let (t, k) = try statement(reason: reason)
            #expect(try RevocationStatement(decoding: t.encoded).verify(identity: k.publicKey))
        }
    }

    @Test("the signature is domain-separated: it is not a plain signature of the fields")
    func domainSeparated() throws {
        let (s, _) = try statement()
        #expect(s.body.starts(with: Array("liaison revocation v1\n".utf8)))
    }

    @Test("a statement signed by another key does not verify, for either key")
    func wrongKey() throws {
        let (s, key) = try statement()
        let other = try F.secrets(seed: 2).identity
        #expect(!s.verify(identity: other.publicKey))
        // Another key's signature over a statement naming `key` (a forgery).
        var forged = s.body
        forged += other.signature(for: s.body)
        let decoded = try RevocationStatement(decoding: forged)
        #expect(!decoded.verify(identity: key.publicKey))
        #expect(!decoded.verify(identity: other.publicKey))
    }

    @Test("any changed byte of the body or signature breaks verification or parsing")
    func tampered() throws {
        let (s, key) = try statement()
        let bytes = s.encoded
        for index in bytes.indices {
            var changed = bytes
            changed[index] ^= 0x01
            guard let decoded = try? RevocationStatement(decoding: changed) else { continue }
            #expect(!decoded.verify(identity: key.publicKey), "byte \(index) changed yet the statement verifies")
        }
        // Editing a readable line of the text form is refused even though the statement line is intact.
        let edited = s.text.replacingOccurrences(of: "reason: key compromised", with: "reason: routine rotation")
        #expect(throws: CoreError(.malformedRevocation, "")) { try RevocationStatement(text: edited) }
    }

    @Test("truncated, extended, oversized and unprintable statements are refused with identity.malformed-revocation")
    func malformed() throws {
        let (s, _) = try statement()
        let bytes = s.encoded
        for length in 0..<bytes.count {
            #expect(throws: CoreError(.malformedRevocation, "")) { try RevocationStatement(decoding: Array(bytes.prefix(length))) }
        }
        #expect(throws: CoreError(.malformedRevocation, "")) { try RevocationStatement(decoding: bytes + [0]) }
        #expect(throws: CoreError(.malformedRevocation, "")) { try RevocationStatement(text: "") }
        #expect(throws: CoreError(.malformedRevocation, "")) { try RevocationStatement(text: "statement: %%%\n") }
        let key = try F.secrets(seed: 1).identity
        #expect(throws: CoreError(.invalidArgument, "")) {
            try RevocationStatement(revoking: key, at: F.now, reason: String(repeating: "x", count: 201))
        }
        #expect(throws: CoreError(.invalidArgument, "")) { try RevocationStatement(revoking: key, at: F.now, reason: "two\nlines") }
        #expect(throws: CoreError(.invalidArgument, "")) {
            try RevocationStatement(revoking: key, at: F.now, reason: String(repeating: "é", count: 128))
        }
        #expect(throws: CoreError(.invalidArgument, "")) { try RevocationStatement(revoking: key, at: F.now, reason: "bell\u{07}") }
    }

    @Test("the statement file marks the home revoked and keeps the first statement")
    func homeFile() throws {
        let directory = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.path + "/keys", withIntermediateDirectories: true)
        let home = NodeHome(path: directory.path)
        #expect(!home.isRevoked)
        #expect(try home.revocation() == nil)
        try home.ensureNotRevoked("sends packages")
        let (s, key) = try statement()
        try home.saveRevocation(s)
        #expect(home.isRevoked)
        try home.saveRevocation(try RevocationStatement(revoking: key, at: F.now + 5, reason: "second"))
        #expect(try home.revocation() == s)
        #expect(throws: CoreError(.nodeRevoked, "")) { try home.ensureNotRevoked("sends packages") }
    }

    @Test("a statement dated outside 2020…9999 is refused however well signed")
    func absurdTime() throws {
        let key = try IdentitySecretKey()
        let genuine = try RevocationStatement(revoking: key, at: 1_800_000_000, reason: "test")
        /// `genuine` re-dated to `at` and signed again by its key.
        func redated(_ at: Int64) -> [UInt8] {
            var body = Array(genuine.body)
            let timeOffset = body.count - (1 + 4) - 8   // before the reason ("test", with its length byte)
            for i in 0..<8 { body[timeOffset + i] = UInt8(truncatingIfNeeded: UInt64(bitPattern: at) >> (56 - 8 * UInt64(i))) }
            return body + key.signature(for: body)
        }
        // The control: a plausible time, re-dated the same way, is accepted as dated.
        #expect(try RevocationStatement(decoding: redated(1_900_000_000)).revokedAt == 1_900_000_000)
        for at in [Int64(0), 1_500_000_000, 253_402_300_800, Int64.max] {
            // This node refuses to sign such a time (its clock is broken)…
            #expect(throws: CoreError.self, "\(at)") { try RevocationStatement(revoking: key, at: at, reason: "test") }
            // …and a statement carrying one, however well signed, is refused on decoding.
            #expect(throws: CoreError.self, "\(at)") { try RevocationStatement(decoding: redated(at)) }
        }
        #expect(try RevocationStatement(decoding: genuine.encoded) == genuine)
    }
}
