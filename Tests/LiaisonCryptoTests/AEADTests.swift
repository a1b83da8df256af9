import LiaisonCrypto
import Testing

/// A published AEAD vector.
struct AEADVector: Sendable, CustomTestStringConvertible {
    let name: String
    let algorithm: AEADAlgorithm
    let key: String
    let nonce: String
    let aad: String
    let plaintext: [UInt8]
    let ciphertext: String
    let tag: String

    var testDescription: String { name }
    var sealed: [UInt8] { Hex.bytes(ciphertext) + Hex.bytes(tag) }
}

private let sunscreen = Array(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8
)

/// draft-irtf-cfrg-xchacha-03 appendix A.3.1, copied from the draft.
let xChaCha20Poly1305Vector = AEADVector(
    name: "XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 A.3.1)",
    algorithm: .xChaCha20Poly1305,
    key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    nonce: "404142434445464748494a4b4c4d4e4f5051525354555657",
    aad: "50515253c0c1c2c3c4c5c6c7",
    plaintext: sunscreen,
    ciphertext: """
        bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb
        731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452
        2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9
        21f9664c97637da9768812f615c68b13b52e
        """,
    tag: "c0875924c1c7987947deafd8780acf49"
)

/// RFC 8439 section 2.8.2, copied from the RFC.
let chaCha20Poly1305Vector = AEADVector(
    name: "ChaCha20-Poly1305 IETF (RFC 8439 2.8.2)",
    algorithm: .chaCha20Poly1305IETF,
    key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    nonce: "070000004041424344454647",
    aad: "50515253c0c1c2c3c4c5c6c7",
    plaintext: sunscreen,
    ciphertext: """
        d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6
        3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36
        92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc
        3ff4def08e4b7a9de576d26586cec64b6116
        """,
    tag: "1ae10b594f09e26a7e902ecbd0600691"
)

let aeadVectors = [xChaCha20Poly1305Vector, chaCha20Poly1305Vector]

/// One way of altering a sealed message in transit.
enum Tampering: Sendable, CaseIterable, CustomTestStringConvertible {
    case firstCiphertextByte, middleCiphertextByte, lastCiphertextByte
    case firstTagByte, lastTagByte
    case firstNonceByte, lastNonceByte
    case firstAADByte, lastAADByte, aadDropped, aadExtended
    case tagTruncated, shorterThanTag

    var testDescription: String { "\(self)" }

    /// Applies the alteration to (sealed message, nonce, AAD).
    func apply(sealed: inout [UInt8], nonce: inout [UInt8], aad: inout [UInt8], plaintextCount: Int) {
        switch self {
        case .firstCiphertextByte: sealed[0] ^= 0x01
        case .middleCiphertextByte: sealed[plaintextCount / 2] ^= 0x80
        case .lastCiphertextByte: sealed[plaintextCount - 1] ^= 0x10
        case .firstTagByte: sealed[plaintextCount] ^= 0x01
        case .lastTagByte: sealed[sealed.count - 1] ^= 0x80
        case .firstNonceByte: nonce[0] ^= 0x01
        case .lastNonceByte: nonce[nonce.count - 1] ^= 0x80
        case .firstAADByte: aad[0] ^= 0x01
        case .lastAADByte: aad[aad.count - 1] ^= 0x80
        case .aadDropped: aad = []
        case .aadExtended: aad.append(0x00)
        case .tagTruncated: sealed.removeLast()
        case .shorterThanTag: sealed = Array(sealed.prefix(15))
        }
    }
}

@Suite("AEAD (XChaCha20-Poly1305 and ChaCha20-Poly1305 IETF)")
struct AEADTests {
    // MARK: Known answers

    @Test("sealing reproduces the published ciphertext and tag", arguments: aeadVectors)
    func sealMatchesVector(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        let sealed = try vector.algorithm.seal(
            vector.plaintext, key: key, nonce: Hex.bytes(vector.nonce), authenticating: Hex.bytes(vector.aad))
        #expect(sealed.count == vector.plaintext.count + vector.algorithm.tagByteCount)
        #expect(Hex.string(sealed.prefix(vector.plaintext.count)) == Hex.string(Hex.bytes(vector.ciphertext)))
        #expect(Hex.string(sealed.suffix(16)) == vector.tag)
    }

    @Test("opening the published ciphertext gives the plaintext", arguments: aeadVectors)
    func openMatchesVector(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        let opened = try vector.algorithm.open(
            vector.sealed, key: key, nonce: Hex.bytes(vector.nonce), authenticating: Hex.bytes(vector.aad))
        #expect(opened == vector.plaintext)
    }

    @Test("openSecret gives the plaintext in secure storage", arguments: aeadVectors)
    func openSecretMatchesVector(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        for protection in [SecureBytes.Protection.wiped, .guarded] {
            let opened = try vector.algorithm.openSecret(
                vector.sealed, key: key, nonce: Hex.bytes(vector.nonce), authenticating: Hex.bytes(vector.aad),
                protection: protection)
            #expect(opened.testContents == vector.plaintext)
        }
    }

    @Test("the buffer API seals in place (output aliasing the plaintext)", arguments: aeadVectors)
    func sealInPlace(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        let nonce = Hex.bytes(vector.nonce)
        let aad = Hex.bytes(vector.aad)
        let count = vector.plaintext.count
        var buffer = vector.plaintext + [UInt8](repeating: 0, count: vector.algorithm.tagByteCount)
        let written = try buffer.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws -> Int in
            try nonce.withUnsafeBytes { n in
                try aad.withUnsafeBytes { a in
                    try vector.algorithm.seal(
                        UnsafeRawBufferPointer(rebasing: buffer[0..<count]), key: key, nonce: n, authenticating: a,
                        into: buffer)
                }
            }
        }
        #expect(written == count + 16)
        #expect(buffer == vector.sealed)
    }

    // MARK: Tampering

    @Test("any alteration is reported as an authentication failure", arguments: aeadVectors, Tampering.allCases)
    func tampering(_ vector: AEADVector, _ tampering: Tampering) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        var sealed = vector.sealed
        var nonce = Hex.bytes(vector.nonce)
        var aad = Hex.bytes(vector.aad)
        tampering.apply(sealed: &sealed, nonce: &nonce, aad: &aad, plaintextCount: vector.plaintext.count)

        let error = #expect(throws: CryptoError.self) {
            try vector.algorithm.open(sealed, key: key, nonce: nonce, authenticating: aad)
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test("a wrong key is reported as an authentication failure", arguments: aeadVectors)
    func wrongKey(_ vector: AEADVector) throws {
        var keyBytes = Hex.bytes(vector.key)
        keyBytes[31] ^= 0x01
        let key = try SymmetricKey(SecureBytes.vector(keyBytes))
        let error = #expect(throws: CryptoError.self) {
            try vector.algorithm.open(vector.sealed, key: key, nonce: Hex.bytes(vector.nonce), authenticating: Hex.bytes(vector.aad))
        }
        #expect(error?.code == .authenticationFailed)
    }

    @Test("a failed open leaves the output buffer zeroed", arguments: aeadVectors)
    func failedOpenZeroesOutput(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        var sealed = vector.sealed
        sealed[sealed.count - 1] ^= 0x01
        let nonce = Hex.bytes(vector.nonce)
        let aad = Hex.bytes(vector.aad)
        var output = [UInt8](repeating: 0xa5, count: vector.plaintext.count)

        let error = #expect(throws: CryptoError.self) {
            try sealed.withUnsafeBytes { c in
                try nonce.withUnsafeBytes { n in
                    try aad.withUnsafeBytes { a in
                        try output.withUnsafeMutableBytes { o in
                            try vector.algorithm.open(c, key: key, nonce: n, authenticating: a, into: o)
                        }
                    }
                }
            }
        }
        #expect(error?.code == .authenticationFailed)
        #expect(output == [UInt8](repeating: 0, count: vector.plaintext.count))
    }

    /// `openSecret` builds its result with the throwing
    /// `SecureBytes.init(count:protection:initialise:)`. Run in a child process so
    /// that a crash on that error path fails this test instead of the whole run.
    @Test("openSecret reports a tampered message as an authentication failure")
    func openSecretTampered() async {
        await #expect(processExitsWith: .success) {
            for vector in aeadVectors {
                let key = try SymmetricKey.vector(hex: vector.key)
                var sealed = vector.sealed
                sealed[0] ^= 0x01
                for protection in [SecureBytes.Protection.wiped, .guarded] {
                    do {
                        _ = try vector.algorithm.openSecret(
                            sealed, key: key, nonce: Hex.bytes(vector.nonce), authenticating: Hex.bytes(vector.aad),
                            protection: protection)
                        preconditionFailure("tampered message opened")
                    } catch let error as CryptoError {
                        precondition(error.code == .authenticationFailed, "wrong error \(error)")
                    }
                }
            }
        }
    }

    @Test("openSecret rejects a message shorter than its tag", arguments: aeadVectors)
    func openSecretTooShort(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        let error = #expect(throws: CryptoError.self) {
            try vector.algorithm.openSecret(
                Array(vector.sealed.prefix(15)), key: key, nonce: Hex.bytes(vector.nonce), authenticating: Hex.bytes(vector.aad))
        }
        #expect(error?.code == .authenticationFailed)
    }

    // MARK: Parameters

    @Test("nonce and tag sizes")
    func sizes() {
        #expect(AEADAlgorithm.xChaCha20Poly1305.nonceByteCount == 24)
        #expect(AEADAlgorithm.chaCha20Poly1305IETF.nonceByteCount == 12)
        #expect(AEADAlgorithm.xChaCha20Poly1305.tagByteCount == 16)
        #expect(AEADAlgorithm.chaCha20Poly1305IETF.tagByteCount == 16)
    }

    @Test("nonces of the wrong length are rejected", arguments: aeadVectors)
    func wrongNonceLength(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        let expected = vector.algorithm.nonceByteCount
        for length in [0, expected - 1, expected + 1, 32] {
            let nonce = [UInt8](repeating: 0x40, count: length)
            let sealError = #expect(throws: CryptoError.self) {
                try vector.algorithm.seal(vector.plaintext, key: key, nonce: nonce)
            }
            #expect(sealError?.code == .invalidLength, "seal, nonce of \(length) bytes")
            let openError = #expect(throws: CryptoError.self) {
                try vector.algorithm.open(vector.sealed, key: key, nonce: nonce, authenticating: Hex.bytes(vector.aad))
            }
            #expect(openError?.code == .invalidLength, "open, nonce of \(length) bytes")
        }
    }

    @Test("output buffers that are too small are rejected", arguments: aeadVectors)
    func outputTooSmall(_ vector: AEADVector) throws {
        let key = try SymmetricKey.vector(hex: vector.key)
        let nonce = Hex.bytes(vector.nonce)
        let sealed = vector.sealed
        var small = [UInt8](repeating: 0, count: vector.plaintext.count - 1)

        let sealError = #expect(throws: CryptoError.self) {
            try vector.plaintext.withUnsafeBytes { p in
                try nonce.withUnsafeBytes { n in
                    try small.withUnsafeMutableBytes { o in
                        try vector.algorithm.seal(p, key: key, nonce: n, authenticating: UnsafeRawBufferPointer(start: nil, count: 0), into: o)
                    }
                }
            }
        }
        #expect(sealError?.code == .invalidLength)

        let openError = #expect(throws: CryptoError.self) {
            try sealed.withUnsafeBytes { c in
                try nonce.withUnsafeBytes { n in
                    try small.withUnsafeMutableBytes { o in
                        try vector.algorithm.open(c, key: key, nonce: n, authenticating: UnsafeRawBufferPointer(start: nil, count: 0), into: o)
                    }
                }
            }
        }
        #expect(openError?.code == .invalidLength)
    }

    // MARK: Behaviour

    @Test("round trips, including empty plaintext and empty AAD", arguments: [AEADAlgorithm.xChaCha20Poly1305, .chaCha20Poly1305IETF])
    func roundTrip(_ algorithm: AEADAlgorithm) throws {
        let key = try SymmetricKey.random()
        let nonce = try Sodium.randomBytes(count: algorithm.nonceByteCount)
        for (plaintext, aad) in [([UInt8](), [UInt8]()), ([], Array("header".utf8)), (Array("payload".utf8), []),
                                 ([UInt8](repeating: 0x5a, count: 1000), Array("header".utf8))] {
            let sealed = try algorithm.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
            #expect(sealed.count == plaintext.count + 16)
            #expect(try algorithm.open(sealed, key: key, nonce: nonce, authenticating: aad) == plaintext)
            #expect(try algorithm.openSecret(sealed, key: key, nonce: nonce, authenticating: aad).testContents == plaintext)
        }
    }

    @Test("the two constructions are not interchangeable")
    func algorithmsDiffer() throws {
        // Same key, same 12-byte prefix of the nonce: different ciphertexts.
        let key = try SymmetricKey.vector(hex: xChaCha20Poly1305Vector.key)
        let x = try AEADAlgorithm.xChaCha20Poly1305.seal(sunscreen, key: key, nonce: [UInt8](repeating: 7, count: 24))
        let c = try AEADAlgorithm.chaCha20Poly1305IETF.seal(sunscreen, key: key, nonce: [UInt8](repeating: 7, count: 12))
        #expect(x != c)
    }
}

@Suite("SymmetricKey")
struct SymmetricKeyTests {
    @Test("only 32-byte keys are accepted", arguments: [0, 16, 31, 33, 64])
    func wrongLength(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try SymmetricKey(SecureBytes.vector([UInt8](repeating: 1, count: length)))
        }
        #expect(error?.code == .invalidLength)
    }

    @Test("random keys are 32 bytes and differ; equality is by content")
    func randomAndEquality() throws {
        let a = try SymmetricKey.random()
        let b = try SymmetricKey.random()
        #expect(a.testContents.count == SymmetricKey.byteCount)
        #expect(!a.constantTimeEquals(b))
        let copy = try SymmetricKey(SecureBytes.vector(a.testContents))
        #expect(a.constantTimeEquals(copy))
    }
}
