/// Character rules shared by signed notes, key names and checkpoints
/// (C2SP signed-note "Format").
enum NoteSyntax {
    /// The em dash (U+2014) and space that begin every signature line.
    static let signatureLinePrefix: [UInt8] = Array("\u{2014} ".utf8)
    static let newline = UInt8(ascii: "\n")

    /// True when `bytes` are valid UTF-8 with no ASCII control character other
    /// than newline, as every signed note must be.
    static func isValidNoteText(_ bytes: some Collection<UInt8>) -> Bool {
        guard !bytes.contains(where: { $0 < 0x20 && $0 != newline }) else { return false }
        // Decoding replaces every invalid sequence with U+FFFD, so a round trip
        // that changes the bytes means the input was not valid UTF-8.
        let decoded = String(decoding: bytes, as: UTF8.self)
        return decoded.utf8.elementsEqual(bytes)
    }

    /// True for a key name: non-empty, no Unicode space, no plus sign (signed-note
    /// "Key names"), and, because a name sits inside a note, no control character.
    static func isValidKeyName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { scalar in
            scalar == "+" || scalar.properties.isWhitespace || scalar.value < 0x20
        }
    }

    /// ASCII decimal as C2SP notes write numbers (tree sizes, proof indices): no sign,
    /// no leading zero unless the value is 0, and it fits in `Int`; nil otherwise.
    static func decimal(_ digits: some Collection<UInt8>) -> Int? {
        guard let first = digits.first, digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        guard first != UInt8(ascii: "0") || digits.count == 1 else { return nil }
        var value = 0
        for digit in digits {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(digit - 0x30))
            guard !o1, !o2 else { return nil }
            value = sum
        }
        return value
    }

    /// Throws ``AuditError/Code/invalidKeyName`` unless `name` is a valid key name.
    static func checkKeyName(_ name: String) throws {
        guard isValidKeyName(name) else {
            throw AuditError(
                .invalidKeyName,
                "a key name must be non-empty and contain no spaces, '+' or control characters (e.g. example.com/log); choose another name"
            )
        }
    }
}
