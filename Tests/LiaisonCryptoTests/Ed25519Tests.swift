import LiaisonCrypto
import Testing

/// One Ed25519 vector from RFC 8032 section 7.1.
struct Ed25519Vector: Sendable, CustomTestStringConvertible {
    let name: String
    let seed: String
    let publicKey: String
    let message: String
    let signature: String

    var testDescription: String { name }
}

/// RFC 8032 section 7.1, copied from the RFC: TEST 1, TEST 2, TEST 3 and
/// TEST SHA(abc) (whose message is SHA-512("abc")).
let rfc8032Vectors: [Ed25519Vector] = [
    Ed25519Vector(
        name: "TEST 1",
        seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        message: "",
        signature: """
            e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155
            5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b
            """
    ),
    Ed25519Vector(
        name: "TEST 2",
        seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature: """
            92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da
            085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00
            """
    ),
    Ed25519Vector(
        name: "TEST 3",
        seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        message: "af82",
        signature: """
            6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac
            18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a
            """
    ),
    Ed25519Vector(
        name: "TEST SHA(abc)",
        seed: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        message: """
            ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a
            2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f
            """,
        signature: """
            dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589
            09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704
            """
    ),
]

@Suite("Ed25519 (RFC 8032 section 7.1)")
struct Ed25519Tests {
    // MARK: Known answers

    @Test("seed derives the published public key", arguments: rfc8032Vectors)
    func publicKeyFromSeed(_ vector: Ed25519Vector) throws {
        let key = try IdentitySecretKey(seed: .vector(hex: vector.seed))
        #expect(Hex.string(key.publicKey.rawRepresentation) == vector.publicKey)
    }

    @Test("signing reproduces the published signature", arguments: rfc8032Vectors)
    func signatureMatchesVector(_ vector: Ed25519Vector) throws {
        let key = try IdentitySecretKey(seed: .vector(hex: vector.seed))
        let message = Hex.bytes(vector.message)
        #expect(key.signature(for: message) == Hex.bytes(vector.signature))

        // The allocation-free variant writes the same 64 bytes.
        var buffer = [UInt8](repeating: 0xa5, count: IdentityPublicKey.signatureByteCount)
        message.withUnsafeBytes { m in
            buffer.withUnsafeMutableBytes { out in key.signature(for: m, into: out) }
        }
        #expect(buffer == Hex.bytes(vector.signature))
    }

    @Test("the published signature verifies under the published key", arguments: rfc8032Vectors)
    func vectorSignatureVerifies(_ vector: Ed25519Vector) throws {
        let publicKey = try IdentityPublicKey(rawRepresentation: Hex.bytes(vector.publicKey))
        let message = Hex.bytes(vector.message)
        let signature = Hex.bytes(vector.signature)
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(throws: Never.self) { try publicKey.verify(signature, for: message) }
    }

    @Test("seed() returns the seed the key was made from", arguments: rfc8032Vectors)
    func seedRoundTrip(_ vector: Ed25519Vector) throws {
        let key = try IdentitySecretKey(seed: .vector(hex: vector.seed))
        #expect(key.seed().testContents == Hex.bytes(vector.seed))
        let again = try IdentitySecretKey(seed: key.seed())
        #expect(again.publicKey == key.publicKey)
    }

    // MARK: Tampering

    /// Bits spread over R (bytes 0–31) and S (bytes 32–63), including the top bit of S.
    static let signatureBits = [0, 7, 100, 255, 256, 300, 400, 511]

    @Test("flipping a signature bit makes verification fail", arguments: rfc8032Vectors)
    func flippedSignatureBitFails(_ vector: Ed25519Vector) throws {
        let publicKey = try IdentityPublicKey(rawRepresentation: Hex.bytes(vector.publicKey))
        let message = Hex.bytes(vector.message)
        let signature = Hex.bytes(vector.signature)
        for bit in Self.signatureBits {
            let forged = flippingBit(bit, of: signature)
            #expect(!publicKey.isValidSignature(forged, for: message), "signature bit \(bit)")
            let error = #expect(throws: CryptoError.self) { try publicKey.verify(forged, for: message) }
            #expect(error?.code == .signatureInvalid)
        }
    }

    @Test("flipping a message bit makes verification fail", arguments: rfc8032Vectors)
    func flippedMessageBitFails(_ vector: Ed25519Vector) throws {
        let publicKey = try IdentityPublicKey(rawRepresentation: Hex.bytes(vector.publicKey))
        let message = Hex.bytes(vector.message)
        let signature = Hex.bytes(vector.signature)

        var altered: [[UInt8]] = [message + [0x00], Array(message.dropLast())]
        if !message.isEmpty {
            let bits = message.count * 8
            altered += [0, 1, bits / 2, bits - 1].map { flippingBit($0, of: message) }
        }
        for other in altered where other != message {
            #expect(!publicKey.isValidSignature(signature, for: other), "message \(Hex.string(other))")
        }
    }

    @Test("flipping a public-key bit makes the key invalid or verification fail", arguments: rfc8032Vectors)
    func flippedKeyBitFails(_ vector: Ed25519Vector) throws {
        let keyBytes = Hex.bytes(vector.publicKey)
        let message = Hex.bytes(vector.message)
        let signature = Hex.bytes(vector.signature)
        for bit in [0, 1, 64, 128, 200, 254, 255] {
            let altered = flippingBit(bit, of: keyBytes)
            do {
                let key = try IdentityPublicKey(rawRepresentation: altered)
                #expect(!key.isValidSignature(signature, for: message), "key bit \(bit)")
            } catch let error as CryptoError {
                #expect(error.code == .invalidPublicKey, "key bit \(bit)")
            }
        }
    }

    @Test("a signature by another key does not verify")
    func wrongKeyFails() throws {
        let signer = try IdentitySecretKey(seed: .vector(hex: rfc8032Vectors[0].seed))
        let other = try IdentityPublicKey(rawRepresentation: Hex.bytes(rfc8032Vectors[1].publicKey))
        let message = Array("liaison".utf8)
        #expect(!other.isValidSignature(signer.signature(for: message), for: message))
    }

    @Test("signatures of the wrong length are rejected, not trapped on", arguments: [0, 1, 63, 65, 128])
    func wrongSignatureLength(_ length: Int) throws {
        let vector = rfc8032Vectors[1]
        let publicKey = try IdentityPublicKey(rawRepresentation: Hex.bytes(vector.publicKey))
        var signature = Hex.bytes(vector.signature)
        if length <= signature.count {
            signature = Array(signature.prefix(length))
        } else {
            signature += [UInt8](repeating: 0, count: length - signature.count)
        }
        let message = Hex.bytes(vector.message)
        #expect(!publicKey.isValidSignature(signature, for: message))
        let error = #expect(throws: CryptoError.self) { try publicKey.verify(signature, for: message) }
        #expect(error?.code == .signatureInvalid)
    }

    // MARK: Key validation

    @Test("public keys of the wrong length are rejected", arguments: [0, 31, 33, 64])
    func publicKeyWrongLength(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try IdentityPublicKey(rawRepresentation: [UInt8](repeating: 0x42, count: length))
        }
        #expect(error?.code == .invalidLength)
    }

    @Test(
        "small-order points are rejected as public keys",
        arguments: [
            // y = 0: a point of order 4 (also the all-zero encoding).
            "0000000000000000000000000000000000000000000000000000000000000000",
            // y = 1: the neutral element.
            "0100000000000000000000000000000000000000000000000000000000000000",
            // y = p - 1: the point of order 2.
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ]
    )
    func smallOrderPublicKeyRejected(_ encoded: String) {
        let error = #expect(throws: CryptoError.self) {
            try IdentityPublicKey(rawRepresentation: Hex.bytes(encoded))
        }
        #expect(error?.code == .invalidPublicKey)
    }

    @Test("every RFC 8032 public key is accepted", arguments: rfc8032Vectors)
    func vectorPublicKeysAccepted(_ vector: Ed25519Vector) throws {
        let key = try LogPublicKey(rawRepresentation: Hex.bytes(vector.publicKey))
        #expect(Hex.string(key.rawRepresentation) == vector.publicKey)
    }

    @Test("seeds of the wrong length are rejected", arguments: [0, 16, 31, 33, 64])
    func seedWrongLength(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try IdentitySecretKey(seed: .vector([UInt8](repeating: 7, count: length)))
        }
        #expect(error?.code == .invalidLength)
    }

    // MARK: Behaviour

    @Test("random keys sign and verify, and differ from each other")
    func randomKeys() throws {
        let a = try LogSecretKey()
        let b = try LogSecretKey()
        #expect(a.publicKey != b.publicKey)
        #expect(a.publicKey.rawRepresentation.count == LogPublicKey.byteCount)

        let message = Array("checkpoint 42".utf8)
        let signature = a.signature(for: message)
        #expect(signature.count == LogPublicKey.signatureByteCount)
        #expect(a.publicKey.isValidSignature(signature, for: message))
        #expect(!b.publicKey.isValidSignature(signature, for: message))

        // Re-parsing the raw public key gives an equal, working key.
        let reparsed = try LogPublicKey(rawRepresentation: a.publicKey.rawRepresentation)
        #expect(reparsed == a.publicKey)
        #expect(reparsed.isValidSignature(signature, for: message))
    }

    @Test("signing is deterministic")
    func deterministic() throws {
        let key = try IdentitySecretKey()
        let message = Array("same input, same signature".utf8)
        #expect(key.signature(for: message) == key.signature(for: message))
    }

    @Test("sizes are the Ed25519 ones")
    func sizes() {
        #expect(IdentityPublicKey.byteCount == 32)
        #expect(IdentityPublicKey.signatureByteCount == 64)
        #expect(IdentitySecretKey.seedByteCount == 32)
    }
}
