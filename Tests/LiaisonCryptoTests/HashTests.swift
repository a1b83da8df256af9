import LiaisonCrypto
import Testing

@Suite("Hashes: SHA-256, SHA-512, BLAKE2b")
struct HashTests {
    static let abc = Array("abc".utf8)

    // MARK: SHA-256 (FIPS 180-4 examples)

    @Test("SHA-256 of \"abc\" and of the empty string")
    func sha256() {
        #expect(Hex.string(SHA256.hash(Self.abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.string(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.byteCount == 32)
    }

    @Test("SHA-256 streaming matches one-shot")
    func sha256Streaming() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let oneShot = SHA256.hash(data)
        for pieceSize in [1, 5, 63, 64, 65, 299] {
            var hash = SHA256()
            var offset = 0
            while offset < data.count {
                let end = min(offset + pieceSize, data.count)
                hash.update(Array(data[offset..<end]))
                offset = end
            }
            #expect(hash.finalize() == oneShot, "pieces of \(pieceSize)")
        }

        var abc = SHA256()
        abc.update(Array("a".utf8))
        abc.update([])
        abc.update(Array("bc".utf8))
        #expect(Hex.string(abc.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    // MARK: SHA-512 (FIPS 180-4 examples)

    @Test("SHA-512 of \"abc\"")
    func sha512() {
        let expected = """
            ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
            2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f
            """
        #expect(Hex.string(SHA512.hash(Self.abc)) == expected)
        #expect(Hex.string(Self.abc.withUnsafeBytes { SHA512.hash($0) }) == expected)
        #expect(SHA512.byteCount == 64)
    }

    @Test("SHA-512 of the empty string")
    func sha512Empty() {
        let expected = """
            cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
            47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e
            """
        #expect(Hex.string(SHA512.hash([])) == expected)
        #expect(Hex.string(SHA512.hash(UnsafeRawBufferPointer(start: nil, count: 0))) == expected)
    }

    // MARK: BLAKE2b

    @Test("BLAKE2b-512 of \"abc\" (RFC 7693 appendix A)")
    func blake2b512() {
        let expected = """
            ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
            7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923
            """
        #expect(Hex.string(BLAKE2b.hash(Self.abc, outputByteCount: 64)) == expected)
        #expect(Hex.string(Self.abc.withUnsafeBytes { BLAKE2b.hash($0, outputByteCount: 64) }) == expected)
    }

    @Test("BLAKE2b-256 of the empty string (the default output length)")
    func blake2b256Empty() {
        let expected = "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"
        #expect(Hex.string(BLAKE2b.hash([])) == expected)
        #expect(Hex.string(BLAKE2b.hash([], outputByteCount: 32)) == expected)
        #expect(Hex.string(BLAKE2b.hash(UnsafeRawBufferPointer(start: nil, count: 0))) == expected)
    }

    @Test("keyed BLAKE2b-512 (BLAKE2 reference KAT: key 00..3f, empty input)")
    func blake2bKeyed() {
        let key = (0..<64).map { UInt8($0) }
        // The key is only read while the state is initialised.
        let digest = key.withUnsafeBytes { k in
            var hash = BLAKE2b(outputByteCount: 64, key: k)
            hash.update([])
            return hash.finalize()
        }
        let expected = """
            10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786\
            b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568
            """
        #expect(Hex.string(digest) == expected)
    }

    @Test("BLAKE2b streaming, labels and secret finalisation agree with one-shot")
    func blake2bStreaming() {
        let oneShot = BLAKE2b.hash(Self.abc, outputByteCount: 64)

        var pieces = BLAKE2b(outputByteCount: 64)
        pieces.update(Array("a".utf8))
        pieces.update([])
        pieces.update(Array("bc".utf8))
        #expect(pieces.finalize() == oneShot)

        var labelled = BLAKE2b(outputByteCount: 64)
        labelled.update(label: "abc")
        #expect(labelled.finalize() == oneShot)

        var secret = BLAKE2b(outputByteCount: 64)
        secret.update(Self.abc)
        let derived = secret.finalizeSecret()
        #expect(derived.count == 64)
        #expect(derived.testContents == oneShot)
    }

    @Test("BLAKE2b output length is part of the hash", arguments: [16, 20, 32, 48, 64])
    func blake2bLengths(_ length: Int) {
        let digest = BLAKE2b.hash(Self.abc, outputByteCount: length)
        #expect(digest.count == length)
        if length != 64 {
            // Not a truncation of the 64-byte digest: the length is a parameter.
            #expect(digest != Array(BLAKE2b.hash(Self.abc, outputByteCount: 64).prefix(length)))
        }
    }

    @Test("BLAKE2b output range")
    func blake2bRange() {
        #expect(BLAKE2b.minimumOutputByteCount == 16)
        #expect(BLAKE2b.maximumOutputByteCount == 64)
    }
}
