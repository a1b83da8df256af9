import LiaisonAudit
import LiaisonCrypto
import Testing

@Suite("NoteVerifierKey (signed-note vkeys)")
struct NoteVerifierKeyTests {
    @Test(
        "published verifier keys parse and format back",
        arguments: [
            (NoteVectors.peterKey, "PeterNeumann", UInt32(0xc74f_20a3), NoteSignatureType.ed25519),
            (NoteVectors.enochKey, "EnochRoot", 0xaf0c_fe78, .ed25519),
            (NoteVectors.plusKey, "TEST", 0x7997_405c, .ed25519),
            (NoteVectors.remoraCosignatureKey, "remora.n621.de", 0xda77_ade7, .cosignatureV1),
        ]
    )
    func published(text: String, name: String, keyID: UInt32, type: NoteSignatureType) throws {
        let key = try NoteVerifierKey(parsing: text)
        #expect(key.name == name)
        #expect(key.keyID == keyID)
        #expect(key.type == type)
        #expect(key.description == text)
    }

    @Test("the key built from the Go signer key's seed is the published verifier key")
    func fromSecretKey() throws {
        let secret = try NoteVectors.peterSecretKey()
        let key = try NoteVerifierKey(name: "PeterNeumann", type: .ed25519, publicKey: secret.publicKey)
        #expect(key.description == NoteVectors.peterKey)
        #expect(try NoteSigner(name: "PeterNeumann", secretKey: secret).verifierKey == key)
    }

    @Test("the key ID is SHA-256(name ‖ \\n ‖ type ‖ key)[0..<4] and depends on the type")
    func keyIDDependsOnType() throws {
        let secret = try NoteVectors.rfc8032Test1Key()
        let plain = try NoteVerifierKey(name: "witness.example.com/w1", type: .ed25519, publicKey: secret.publicKey)
        let cosigning = try NoteVerifierKey(name: "witness.example.com/w1", type: .cosignatureV1, publicKey: secret.publicKey)
        #expect(plain.keyID != cosigning.keyID)
        let digest = SHA256.hash(Array("witness.example.com/w1\n".utf8) + [0x04] + secret.publicKey.rawRepresentation)
        #expect(cosigning.keyID == digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
    }

    /// golang.org/x/mod/sumdb/note `TestNewVerifier`: every proper substring and
    /// every single-byte increment of the published key is refused.
    @Test("every substring and every byte increment of the published key is refused")
    func manglings() {
        let bytes = Array(NoteVectors.peterKey.utf8)
        var refused = 0
        var accepted: [String] = []
        func check(_ candidate: [UInt8]) {
            let text = String(decoding: candidate, as: UTF8.self)
            if (try? NoteVerifierKey(parsing: text)) == nil { refused += 1 } else { accepted.append(text) }
        }
        for i in 0...bytes.count {
            for j in (i + 1)..<(bytes.count + 1) where i != 0 || j != bytes.count {
                check(Array(bytes[i..<j]))
            }
        }
        for i in bytes.indices {
            var changed = bytes
            changed[i] &+= 1
            check(changed)
        }
        #expect(accepted.isEmpty, "accepted: \(accepted)")
        #expect(refused > 2000)
    }

    @Test(
        "specific bad keys are refused with the expected code",
        arguments: [
            // From Go's TestNewVerifier: wrong key length, unknown algorithm (both with adjusted key IDs).
            ("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==", AuditError.Code.malformedVerifierKey),
            ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .unsupportedSignatureType),
            // From transparency-dev/formats TestCoSigV1NewVerifier.
            ("bananas.sigstore.dev+12344556", .malformedVerifierKey),
            ("rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!", .malformedVerifierKey),
            ("rekor.sigstore.dev+12345678+AwEB", .unsupportedSignatureType),
            ("rekor.sigstore.dev+NOT_A_NUMBER+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .malformedVerifierKey),
            // Wrong key ID, bad names, non-canonical encodings, not a curve point.
            ("PeterNeumann+00000000+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .verifierKeyIDMismatch),
            ("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .malformedVerifierKey),
            ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .malformedVerifierKey),
            ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", .malformedVerifierKey),
            ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n", .malformedVerifierKey),
            ("PeterNeumann+c74f20a3+", .malformedVerifierKey),
        ]
    )
    func badKeys(text: String, code: AuditError.Code) {
        let error = #expect(throws: AuditError.self) { try NoteVerifierKey(parsing: text) }
        #expect(error?.code == code)
    }

    @Test("a key that is not a valid Ed25519 point is refused even with a matching key ID")
    func notACurvePoint() throws {
        // All-zero bytes encode a small-order point; libsodium refuses it.
        let zero = [UInt8](repeating: 0, count: 32)
        let id = SHA256.hash(Array("log\n".utf8) + [0x01] + zero).prefix(4).map { TestBytes.hexString([$0]) }.joined()
        let text = "log+\(id)+\(TestBytes.base64String([0x01] + zero))"
        let error = #expect(throws: AuditError.self) { try NoteVerifierKey(parsing: text) }
        #expect(error?.code == .malformedVerifierKey)
    }

    @Test("upper-case key IDs are accepted, as Go does, and written back in lower case")
    func upperCaseKeyID() throws {
        let key = try NoteVerifierKey(parsing: "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        #expect(key.description == NoteVectors.peterKey)
    }

    @Test("invalid key names are refused", arguments: ["", "a b", "a+b", "tab\there", "nbsp\u{00A0}x", "line\nbreak", "ideographic\u{3000}space"])
    func badNames(name: String) throws {
        let publicKey = try NoteVectors.rfc8032Test1Key().publicKey
        let error = #expect(throws: AuditError.self) { try NoteVerifierKey(name: name, type: .ed25519, publicKey: publicKey) }
        #expect(error?.code == .invalidKeyName)
    }

    @Test("a verifier set refuses two keys with the same name and key ID")
    func ambiguous() throws {
        let peter = try NoteVerifierKey(parsing: NoteVectors.peterKey)
        let enoch = try NoteVerifierKey(parsing: NoteVectors.enochKey)
        let error = #expect(throws: AuditError.self) { try NoteVerifierSet([enoch, peter, enoch]) }
        #expect(error?.code == .ambiguousVerifierKey)

        let set = try NoteVerifierSet([peter, enoch])
        #expect(set.key(name: "PeterNeumann", keyID: 0xc74f_20a3) == peter)
        #expect(set.key(name: "PeterNeumann", keyID: 0xc74f_20a4) == nil)
        #expect(set.key(name: "PeterNeuman", keyID: 0xc74f_20a3) == nil)
    }
}
