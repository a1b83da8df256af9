import LiaisonCrypto
import Testing

@Suite("Sodium utilities and CryptoError")
struct SodiumTests {
    @Test("the libsodium version is reported")
    func version() {
        let parts = Sodium.version.split(separator: ".")
        #expect(parts.count >= 2)
        #expect(parts.allSatisfy { Int($0) != nil })
    }

    @Test("randomBytes returns the requested number of bytes", arguments: [0, 1, 16, 24, 1000])
    func randomBytes(_ count: Int) throws {
        let a = try Sodium.randomBytes(count: count)
        #expect(a.count == count)
        if count >= 16 {
            #expect(a != (try Sodium.randomBytes(count: count)))
        }
    }

    @Test("randomBytes(into:) fills the whole buffer")
    func randomBytesInto() throws {
        var buffer = [UInt8](repeating: 0, count: 64)
        try buffer.withUnsafeMutableBytes { try Sodium.randomBytes(into: $0) }
        #expect(buffer != [UInt8](repeating: 0, count: 64))
        // An empty buffer is not an error.
        try Sodium.randomBytes(into: UnsafeMutableRawBufferPointer(start: nil, count: 0))
    }

    @Test("uniformRandom stays below its bound")
    func uniformRandom() throws {
        for bound: UInt32 in [1, 2, 3, 10, 1000] {
            for _ in 0..<50 {
                #expect(try Sodium.uniformRandom(bound) < bound)
            }
        }
    }

    @Test("constantTimeEquals on public arrays")
    func constantTimeEquals() {
        #expect(Sodium.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(Sodium.constantTimeEquals([], []))
        #expect(!Sodium.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Sodium.constantTimeEquals([0, 2, 3], [1, 2, 3]))
        #expect(!Sodium.constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(!Sodium.constantTimeEquals([], [0]))
    }

    @Test("wipe zeroes a buffer")
    func wipe() {
        var bytes = [UInt8](repeating: 0xaa, count: 48)
        bytes.withUnsafeMutableBytes { Sodium.wipe($0) }
        #expect(bytes == [UInt8](repeating: 0, count: 48))
        Sodium.wipe(UnsafeMutableRawBufferPointer(start: nil, count: 0))
    }

    @Test("error codes have stable raw values")
    func errorCodes() {
        #expect(CryptoError.Code.libraryUnavailable.rawValue == "crypto.library-unavailable")
        #expect(CryptoError.Code.invalidLength.rawValue == "crypto.invalid-length")
        #expect(CryptoError.Code.lowOrderPoint.rawValue == "crypto.low-order-point")
        #expect(CryptoError.Code.invalidPublicKey.rawValue == "crypto.invalid-public-key")
        #expect(CryptoError.Code.authenticationFailed.rawValue == "crypto.authentication-failed")
        #expect(CryptoError.Code.signatureInvalid.rawValue == "crypto.signature-invalid")
        #expect(CryptoError.Code.allocationFailed.rawValue == "crypto.allocation-failed")
        #expect(CryptoError.Code.keyDerivationFailed.rawValue == "crypto.key-derivation-failed")
        #expect(CryptoError.Code.invalidParameters.rawValue == "crypto.invalid-parameters")
        #expect(CryptoError.Code.operationFailed.rawValue == "crypto.operation-failed")
    }

    @Test("errors compare by code and describe themselves without secrets")
    func errorEqualityAndDescription() throws {
        let short = #expect(throws: CryptoError.self) { try SymmetricKey(SecureBytes.vector([1, 2, 3])) }
        let long = #expect(throws: CryptoError.self) { try SymmetricKey(SecureBytes.vector([UInt8](repeating: 0xab, count: 40))) }
        let nonce = #expect(throws: CryptoError.self) {
            try AEADAlgorithm.xChaCha20Poly1305.seal([], key: SymmetricKey.random(), nonce: [])
        }
        // Different contexts, same code: equal and hash alike.
        #expect(short == long)
        #expect(short?.hashValue == long?.hashValue)
        #expect(short == nonce)
        #expect(short?.description.hasSuffix("[crypto.invalid-length]") == true)
        #expect(long?.description.contains("abab") == false)

        let invalidKey = #expect(throws: CryptoError.self) { try IdentityPublicKey(rawRepresentation: [UInt8](repeating: 0, count: 32)) }
        #expect(invalidKey != short)
        #expect(invalidKey?.description.hasSuffix("[crypto.invalid-public-key]") == true)
    }
}
