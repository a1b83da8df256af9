import LiaisonCrypto
import Testing

/// One single-step X25519 vector from RFC 7748 section 5.2.
struct X25519Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let scalar: String
    let uCoordinate: String
    let output: String

    var testDescription: String { name }
}

/// RFC 7748 section 5.2, the two single-step vectors, copied from the RFC. The
/// second u-coordinate has its top bit set, which X25519 must ignore.
let rfc7748Vectors: [X25519Vector] = [
    X25519Vector(
        name: "vector 1",
        scalar: "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
        uCoordinate: "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
        output: "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
    ),
    X25519Vector(
        name: "vector 2",
        scalar: "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
        uCoordinate: "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
        output: "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
    ),
]

/// RFC 7748 section 6.1 Diffie-Hellman example.
enum RFC7748DiffieHellman {
    static let alicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    static let alicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    static let bobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
    static let bobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
    static let sharedSecret = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
}

/// u-coordinates of low order (the list from https://cr.yp.to/ecdh.html#validate
/// that libsodium rejects): every shared secret with them is predictable.
let x25519LowOrderPoints: [String] = [
    // 0 (order 4); also the all-zero key.
    "0000000000000000000000000000000000000000000000000000000000000000",
    // 1 (order 1).
    "0100000000000000000000000000000000000000000000000000000000000000",
    // Order 8.
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    // Order 8.
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
    // p - 1 (order 2).
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    // p, a non-canonical 0.
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    // p + 1, a non-canonical 1.
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
]

@Suite("X25519 (RFC 7748)")
struct X25519Tests {
    // MARK: Known answers

    @Test("section 5.2 single-step vectors", arguments: rfc7748Vectors)
    func singleStep(_ vector: X25519Vector) throws {
        let key = try X25519SecretKey<EphemeralRole>(rawSecret: .vector(hex: vector.scalar))
        let output = try key.sharedSecret(withRaw: Hex.bytes(vector.uCoordinate))
        #expect(Hex.string(output.testContents) == vector.output)
    }

    @Test("section 6.1: private keys give the published public keys")
    func diffieHellmanPublicKeys() throws {
        let alice = try EncryptionSecretKey(rawSecret: .vector(hex: RFC7748DiffieHellman.alicePrivate))
        let bob = try TransportSecretKey(rawSecret: .vector(hex: RFC7748DiffieHellman.bobPrivate))
        #expect(Hex.string(alice.publicKey.rawRepresentation) == RFC7748DiffieHellman.alicePublic)
        #expect(Hex.string(bob.publicKey.rawRepresentation) == RFC7748DiffieHellman.bobPublic)
    }

    @Test("section 6.1: both sides compute the published shared secret K")
    func diffieHellmanSharedSecret() throws {
        let alice = try EncryptionSecretKey(rawSecret: .vector(hex: RFC7748DiffieHellman.alicePrivate))
        let bob = try X25519SecretKey<EphemeralRole>(rawSecret: .vector(hex: RFC7748DiffieHellman.bobPrivate))

        let aliceSide = try alice.sharedSecret(withRaw: Hex.bytes(RFC7748DiffieHellman.bobPublic))
        let bobSide = try bob.sharedSecret(withRaw: Hex.bytes(RFC7748DiffieHellman.alicePublic))
        #expect(Hex.string(aliceSide.testContents) == RFC7748DiffieHellman.sharedSecret)
        #expect(Hex.string(bobSide.testContents) == RFC7748DiffieHellman.sharedSecret)

        // The typed path (validated public keys, across roles) agrees.
        let bobPublic = try X25519PublicKey<EphemeralRole>(rawRepresentation: Hex.bytes(RFC7748DiffieHellman.bobPublic))
        let typed = try alice.sharedSecret(with: bobPublic)
        #expect(typed.constantTimeEquals(aliceSide))
        #expect(try bob.sharedSecret(with: alice.publicKey).constantTimeEquals(aliceSide))
    }

    @Test("rawSecret() returns the scalar the key was made from")
    func rawSecretRoundTrip() throws {
        let alice = try EncryptionSecretKey(rawSecret: .vector(hex: RFC7748DiffieHellman.alicePrivate))
        #expect(Hex.string(alice.rawSecret().testContents) == RFC7748DiffieHellman.alicePrivate)
        let again = try EncryptionSecretKey(rawSecret: alice.rawSecret())
        #expect(again.publicKey == alice.publicKey)
    }

    // MARK: Low-order points

    @Test("low-order public keys are rejected when parsed", arguments: x25519LowOrderPoints)
    func lowOrderPublicKeyRejected(_ point: String) {
        let error = #expect(throws: CryptoError.self) {
            try EncryptionPublicKey(rawRepresentation: Hex.bytes(point))
        }
        // p and p + 1 are refused first for their encoding (u not below p).
        #expect(error?.code == (point.hasPrefix("ed") || point.hasPrefix("ee") ? .invalidPublicKey : .lowOrderPoint), "\(point)")
    }

    @Test("a key is taken only in its canonical encoding: the same point under other bytes is refused")
    func nonCanonicalEncodingRefused() throws {
        let key = try X25519SecretKey<PackageEncryptionRole>().publicKey.rawRepresentation
        #expect(try EncryptionPublicKey(rawRepresentation: key).rawRepresentation == key)
        var topBit = key
        topBit[31] |= 0x80
        #expect(throws: CryptoError.self) { try EncryptionPublicKey(rawRepresentation: topBit) }
        // u = p + 2 reads as 2 (mod p): refused, while 2 itself is an ordinary point.
        let two = [UInt8](repeating: 0, count: 31).reduce(into: [2]) { $0.append($1) }
        #expect(try EncryptionPublicKey(rawRepresentation: two).rawRepresentation == two)
        let pPlusTwo = Hex.bytes("efffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f")
        let error = #expect(throws: CryptoError.self) { try EncryptionPublicKey(rawRepresentation: pPlusTwo) }
        #expect(error?.code == .invalidPublicKey)
    }

    @Test("low-order public keys are rejected with the top bit set too", arguments: x25519LowOrderPoints)
    func lowOrderPublicKeyHighBitRejected(_ point: String) {
        var bytes = Hex.bytes(point)
        bytes[31] |= 0x80
        let error = #expect(throws: CryptoError.self) {
            try TransportPublicKey(rawRepresentation: bytes)
        }
        // Refused for the encoding before the point is looked at.
        #expect(error?.code == .invalidPublicKey)
    }

    /// `sharedSecret(withRaw:)` builds its result with the throwing
    /// `SecureBytes.init(count:protection:initialise:)`. Run in a child process so
    /// that a crash on that error path fails this test instead of the whole run.
    @Test("low-order raw peer keys are rejected by sharedSecret(withRaw:)")
    func lowOrderRawPeerRejected() async {
        await #expect(processExitsWith: .success) {
            let key = try X25519SecretKey<TransportRole>()
            for point in x25519LowOrderPoints {
                do {
                    _ = try key.sharedSecret(withRaw: Hex.bytes(point))
                    preconditionFailure("low-order point \(point) was accepted")
                } catch let error as CryptoError {
                    precondition(error.code == .lowOrderPoint, "wrong error \(error) for \(point)")
                }
            }
        }
    }

    @Test("the RFC and random public keys are accepted when parsed (an RFC vector's u with its top bit set is not a public key's encoding)")
    func validPublicKeysAccepted() throws {
        for encoded in [RFC7748DiffieHellman.alicePublic, RFC7748DiffieHellman.bobPublic] + rfc7748Vectors.map(\.uCoordinate) {
            var bytes = Hex.bytes(encoded)
            if bytes[31] & 0x80 != 0 {
                #expect(throws: CryptoError.self) { try EncryptionPublicKey(rawRepresentation: bytes) }
                bytes[31] &= 0x7F
            }
            let key = try EncryptionPublicKey(rawRepresentation: bytes)
            #expect(key.rawRepresentation == bytes)
        }
        let random = try TransportSecretKey(protection: .wiped)
        let parsed = try TransportPublicKey(rawRepresentation: random.publicKey.rawRepresentation)
        #expect(parsed == random.publicKey)
    }

    // MARK: Lengths

    @Test("public keys of the wrong length are rejected", arguments: [0, 31, 33, 64])
    func publicKeyWrongLength(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try EncryptionPublicKey(rawRepresentation: [UInt8](repeating: 9, count: length))
        }
        #expect(error?.code == .invalidLength)
    }

    @Test("raw peer keys of the wrong length are rejected", arguments: [0, 31, 33, 64])
    func rawPeerWrongLength(_ length: Int) throws {
        let key = try EncryptionSecretKey(protection: .wiped)
        let error = #expect(throws: CryptoError.self) {
            try key.sharedSecret(withRaw: [UInt8](repeating: 9, count: length))
        }
        #expect(error?.code == .invalidLength)
    }

    @Test("secret scalars of the wrong length are rejected", arguments: [0, 16, 31, 33, 64])
    func secretWrongLength(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try EncryptionSecretKey(rawSecret: .vector([UInt8](repeating: 1, count: length)))
        }
        #expect(error?.code == .invalidLength)
    }

    // MARK: Behaviour

    @Test("random key pairs agree on a shared secret", arguments: [SecureBytes.Protection.guarded, .wiped])
    func randomAgreement(_ protection: SecureBytes.Protection) throws {
        let a = try TransportSecretKey(protection: protection)
        let b = try X25519SecretKey<EphemeralRole>(protection: protection)
        #expect(a.publicKey.rawRepresentation != b.publicKey.rawRepresentation)

        let ab = try a.sharedSecret(with: b.publicKey)
        let ba = try b.sharedSecret(with: a.publicKey)
        #expect(ab.count == 32)
        #expect(ab.constantTimeEquals(ba))
        #expect(ab.testContents != [UInt8](repeating: 0, count: 32))

        let c = try TransportSecretKey(protection: protection)
        let cb = try c.sharedSecret(with: b.publicKey)
        #expect(!cb.constantTimeEquals(ab))
    }

    @Test("sizes are the X25519 ones")
    func sizes() {
        #expect(EncryptionPublicKey.byteCount == 32)
        #expect(EncryptionSecretKey.byteCount == 32)
    }
}
