@testable import LiaisonAudit
import Testing

/// The strict base64 that every C2SP field goes through.
@Suite("Base64 (RFC 4648 section 4, strict)")
struct Base64Tests {
    /// RFC 4648 section 10.
    static let rfc4648: [(String, String)] = [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ]

    @Test("RFC 4648 test vectors encode and decode", arguments: rfc4648)
    func vectors(plain: String, encoded: String) {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("all 256 byte values and lengths 0…70 round trip and match Foundation")
    func roundTrip() {
        var rng = SeededGenerator(seed: 64)
        for length in 0...70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let text = Base64.encode(bytes)
            #expect(text == TestBytes.base64String(bytes))
            #expect(Base64.decode(text) == bytes)
        }
        let all = Array(UInt8.min...UInt8.max)
        #expect(Base64.decode(Base64.encode(all)) == all)
    }

    @Test(
        "non-canonical or foreign encodings are refused",
        arguments: [
            "Zg", "Zg=", "Zm8", "Zh==", "Zm9=", "Zg==Zg==", "=Zg=", "Z===", "====", "Zm9v\n", "Zm 9v", " Zm9v",
            "Zm-v", "Zm_v", "Zm9vYg=a", "Zm9vY===", "Zm9v=", "Zm9\u{00E9}",
        ]
    )
    func refused(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }
}
