/// One line of `liaison audit query --json`: `{"index":N,"leaf":<leaf>}`, the
/// entry's index and its leaf byte for byte. Printed by `audit query`, and read
/// back by `audit check-proof`, which takes such a line as the entry.
struct AuditQueryLine: Equatable {
    /// The entry's index in the log.
    let index: Int
    /// The leaf's canonical bytes, exactly as the log holds them.
    let leaf: [UInt8]

    private static let head = Array(#"{"index":"#.utf8)
    private static let middle = Array(#","leaf":"#.utf8)

    init(index: Int, leaf: [UInt8]) {
        self.index = index
        self.leaf = leaf
    }

    /// The line as printed, without a line end.
    var text: String { #"{"index":\#(index),"leaf":"# + String(decoding: leaf, as: UTF8.self) + "}" }

    /// Whether `bytes` begin as such a line does (whatever follows).
    static func looksLikeOne(_ bytes: [UInt8]) -> Bool { bytes.starts(with: head) }

    /// Parses exactly one such line, as ``text`` renders it: no line end, no space,
    /// the index in decimal without leading zeros, a non-empty leaf. Nil otherwise.
    /// The leaf is not checked here: whoever uses it decodes or hashes it.
    init?(parsing line: [UInt8]) {
        guard line.starts(with: Self.head), line.last == UInt8(ascii: "}") else { return nil }
        let digits = line[Self.head.count...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard (1...18).contains(digits.count), digits.count == 1 || digits.first != UInt8(ascii: "0"),
              let index = Int(String(decoding: digits, as: UTF8.self)) else { return nil }
        let leafStart = Self.head.count + digits.count + Self.middle.count
        guard line[(Self.head.count + digits.count)...].starts(with: Self.middle), leafStart < line.count - 1 else { return nil }
        self.init(index: index, leaf: Array(line[leafStart..<(line.count - 1)]))
    }
}
