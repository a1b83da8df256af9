import LiaisonCore
import Testing

@Suite("A string cut to a number of UTF-8 bytes")
struct UTF8PrefixTests {
    @Test("whole characters only, the longest that fit", arguments: [
        ("liaison-commit-thread", 15, "liaison-commit-"),
        ("short", 15, "short"),
        ("", 3, ""),
        ("ééé", 5, "éé"),                  // 2 + 2 fit; a third "é" would end at byte 6
        ("aé€", 4, "aé"),                   // "€" is 3 bytes: it never half fits
        ("e\u{301}x", 2, ""),               // "é" as e + combining accent is one 3-byte character
        ("abcdefghijklmné-z", 15, "abcdefghijklmn"),   // after a character that does not fit, nothing more
    ])
    func cuts(text: String, limit: Int, expected: String) {
        let cut = text.prefix(utf8Bytes: limit)
        #expect(cut == expected)
        #expect(cut.utf8.count <= limit)
    }
}
