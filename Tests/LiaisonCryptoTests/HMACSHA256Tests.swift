import LiaisonCrypto
import Testing

/// One HMAC-SHA-256 test case from RFC 4231 section 4.
struct HMACVector: Sendable, CustomTestStringConvertible {
    let name: String
    let key: [UInt8]
    let data: [UInt8]
    /// The published HMAC-SHA-256; for test case 5 only its 128-bit prefix is published.
    let mac: String

    var testDescription: String { name }
}

/// RFC 4231 section 4, test cases 1–7 (keys, data and HMAC-SHA-256 copied from the RFC).
let rfc4231Vectors: [HMACVector] = [
    HMACVector(
        name: "test case 1",
        key: [UInt8](repeating: 0x0b, count: 20),
        data: Array("Hi There".utf8),
        mac: "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    ),
    HMACVector(
        name: "test case 2 (key shorter than the output)",
        key: Array("Jefe".utf8),
        data: Array("what do ya want for nothing?".utf8),
        mac: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    ),
    HMACVector(
        name: "test case 3",
        key: [UInt8](repeating: 0xaa, count: 20),
        data: [UInt8](repeating: 0xdd, count: 50),
        mac: "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
    ),
    HMACVector(
        name: "test case 4",
        key: Hex.bytes("0102030405060708090a0b0c0d0e0f10111213141516171819"),
        data: [UInt8](repeating: 0xcd, count: 50),
        mac: "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
    ),
    HMACVector(
        name: "test case 5 (truncated to 128 bits)",
        key: [UInt8](repeating: 0x0c, count: 20),
        data: Array("Test With Truncation".utf8),
        mac: "a3b6167473100ee06e0c796c2955552b"
    ),
    HMACVector(
        name: "test case 6 (131-byte key)",
        key: [UInt8](repeating: 0xaa, count: 131),
        data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
        mac: "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    ),
    HMACVector(
        name: "test case 7 (131-byte key, long data)",
        key: [UInt8](repeating: 0xaa, count: 131),
        data: Array(("This is a test using a larger than block-size key and a larger than block-size data. "
            + "The key needs to be hashed before being used by the HMAC algorithm.").utf8),
        mac: "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
    ),
]

@Suite("HMAC-SHA-256 (RFC 4231)")
struct HMACSHA256Tests {
    @Test("one-shot MAC matches the published value", arguments: rfc4231Vectors)
    func oneShot(_ vector: HMACVector) {
        let mac = HMACSHA256.authenticationCode(key: vector.key, message: vector.data)
        #expect(mac.count == HMACSHA256.byteCount)
        let expected = Hex.bytes(vector.mac)
        // Test case 5 publishes only the first 128 bits: compare that prefix.
        #expect(Array(mac.prefix(expected.count)) == expected)
    }

    @Test("streaming in uneven pieces gives the same MAC", arguments: rfc4231Vectors)
    func streaming(_ vector: HMACVector) {
        let expected = Hex.bytes(vector.mac)
        for pieceSize in [1, 3, 7, 64] {
            var mac = vector.key.withUnsafeBytes { HMACSHA256(key: $0) }
            var offset = 0
            while offset < vector.data.count {
                let end = min(offset + pieceSize, vector.data.count)
                vector.data[offset..<end].withUnsafeBytes { mac.update($0) }
                offset = end
            }
            mac.update(UnsafeRawBufferPointer(start: nil, count: 0))  // empty updates are harmless
            let result = mac.finalize()
            #expect(Array(result.prefix(expected.count)) == expected, "pieces of \(pieceSize)")
        }
    }

    @Test("finalizeSecret() yields the same MAC in secure storage", arguments: rfc4231Vectors)
    func secretFinalisation(_ vector: HMACVector) {
        var mac = vector.key.withUnsafeBytes { HMACSHA256(key: $0) }
        vector.data.withUnsafeBytes { mac.update($0) }
        let secret = mac.finalizeSecret()
        #expect(secret.count == HMACSHA256.byteCount)
        let expected = Hex.bytes(vector.mac)
        #expect(Array(secret.testContents.prefix(expected.count)) == expected)
    }

    @Test("a different key or message changes the MAC")
    func sensitivity() {
        let vector = rfc4231Vectors[0]
        let base = HMACSHA256.authenticationCode(key: vector.key, message: vector.data)
        let otherKey = HMACSHA256.authenticationCode(key: flippingBit(0, of: vector.key), message: vector.data)
        let otherMessage = HMACSHA256.authenticationCode(key: vector.key, message: flippingBit(0, of: vector.data))
        #expect(base != otherKey)
        #expect(base != otherMessage)
    }

    @Test("empty keys and messages are accepted")
    func empty() {
        // HMAC-SHA-256 with an empty key over an empty message.
        let mac = HMACSHA256.authenticationCode(key: [], message: [])
        #expect(Hex.string(mac) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }
}
