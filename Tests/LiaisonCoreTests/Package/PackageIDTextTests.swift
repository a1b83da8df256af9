import LiaisonCore
import Testing

@Suite("Package ids as operators type them: whole or shortened")
struct PackageIDTextTests {
    static let whole = "0123456789abcdef0123456789abcdef"

    @Test("a whole id parses in either case to the same id")
    func wholeIDs() throws {
        let lower = try PackageIDText.parse(Self.whole)
        let upper = try PackageIDText.parse(Self.whole.uppercased())
        #expect(lower == .whole(try PackageID(parsing: Self.whole)))
        #expect(upper == lower)
    }

    @Test("8 to 31 hex digits are a prefix, kept in lower case", arguments: [8, 9, 16, 31])
    func prefixes(length: Int) throws {
        let typed = String(Self.whole.uppercased().prefix(length))
        #expect(try PackageIDText.parse(typed) == .prefix(String(Self.whole.prefix(length))))
    }

    @Test("too short, too long, not hex or not ASCII is refused with what was typed",
          arguments: ["", "0123456", "\(whole)0", "0123456g", "0123456789abcdeg0123456789abcdef",
                      "01234567 ", "0x012345678", "０１２３４５６７", "0123456789abcdef0123456789abcde٣"])
    func refused(text: String) {
        #expect {
            try PackageIDText.parse(text)
        } throws: { error in
            guard let error = error as? CoreError, error.code == .invalidArgument else { return false }
            return error.message.contains("32 hexadecimal") && error.message.contains("\"\(text.prefix(40))\"")
        }
    }
}
