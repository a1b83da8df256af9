/// Why a TOML document (or a value in it) was rejected, and where.
///
/// Parse errors always carry a 1-based line and column. Errors raised later
/// by config loaders through `TOMLTable`'s typed accessors carry the position
/// of the offending key when the table came from the parser, and line 0 when
/// no position is known (e.g. a table built in code).
package struct TOMLError: Error, Equatable, CustomStringConvertible {
    /// 1-based line of the problem, or 0 if unknown.
    package var line: Int
    /// 1-based column (in Unicode scalars) of the problem, or 0 if unknown.
    package var column: Int
    /// Human-readable explanation of what is wrong.
    package var reason: String

    /// Creates an error.
    package init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `line 3, column 9: expected '=' after key "name"`, or just the reason
    /// when the position is unknown.
    package var description: String {
        line > 0 ? "line \(line), column \(column): \(reason)" : reason
    }
}

/// A strict parser for the TOML subset used by Liaison configuration files.
///
/// Accepted: comments, bare and quoted keys, `[table]` and `[a.b]` headers,
/// `[[array.of.tables]]`, single-line basic and literal strings, decimal
/// 64-bit integers, booleans and (multi-line) arrays. Everything else in
/// TOML — floats, dates, inline tables, multi-line strings, dotted keys — is
/// rejected with an error naming the construct, so a config file never means
/// something the loader did not understand.
///
/// The input is untrusted (users edit these files by hand), so the parser
/// bounds document size and nesting depth and never traps on any input.
package enum TOMLParser {
    /// Largest accepted document, in UTF-8 bytes (1 MiB). Configuration files
    /// are tiny; anything bigger is a mistake or an attack.
    package static let maximumDocumentBytes = 1 << 20

    /// Deepest accepted nesting of arrays, and of table header components.
    /// Bounds recursion so hostile input cannot exhaust the stack.
    package static let maximumNestingDepth = 32

    /// Parses `text` into its root table.
    package static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        try checkSize(text.utf8.count)
        var parser = TOMLParserState(bytes: Array(text.utf8))
        return try parser.parseDocument()
    }

    /// Parses raw file contents, rejecting invalid UTF-8 with a position
    /// instead of silently replacing it as `String(decoding:)` would.
    package static func parse(utf8 bytes: [UInt8]) throws(TOMLError) -> TOMLTable {
        try checkSize(bytes.count)
        // Decoding replaces every invalid sequence with U+FFFD, whose
        // encoding can never equal the invalid bytes it replaced, so the
        // first differing byte is exactly where the input stops being UTF-8.
        let decoded = String(decoding: bytes, as: UTF8.self).utf8
        var index = 0
        for (original, repaired) in zip(bytes, decoded) {
            if original != repaired { break }
            index += 1
        }
        var parser = TOMLParserState(bytes: bytes)
        if index < bytes.count || decoded.count != bytes.count {
            throw parser.fail("the document is not valid UTF-8", at: parser.mark(atOffset: index))
        }
        return try parser.parseDocument()
    }

    private static func checkSize(_ count: Int) throws(TOMLError) {
        guard count <= maximumDocumentBytes else {
            throw TOMLError(
                line: 1,
                column: 1,
                reason: "the document is \(count) bytes, larger than the "
                    + "\(maximumDocumentBytes)-byte (1 MiB) limit"
            )
        }
    }
}

// MARK: - Parser state

/// A remembered location, cheap to take: the column is only computed when
/// an error or a key position actually needs it, which keeps long lines
/// (e.g. a huge array) linear to parse.
private struct Mark {
    var offset: Int
    var line: Int
    var lineStart: Int
}

/// A table under construction. A class so headers can hold on to the table
/// they select while later headers add siblings; converted to value-type
/// `TOMLTable`s once the whole document is read.
private final class Node {
    enum Item {
        case value(TOMLValue)
        case table(Node)
        case tableArray(NodeList)
    }

    var keys: [String] = []
    var items: [String: Item] = [:]
    var positions: [String: TOMLPosition] = [:]
    /// Where the table was defined (or implicitly created).
    var origin: TOMLPosition?
    /// True once a `[header]` names this table exactly; a second such
    /// header is an error, but a table created implicitly as the parent of
    /// `[a.b]` may still be defined later by `[a]`.
    var definedByHeader: Bool
    /// How messages refer to this table, e.g. `table [node]`.
    let name: String

    init(name: String, origin: TOMLPosition?, definedByHeader: Bool) {
        self.name = name
        self.origin = origin
        self.definedByHeader = definedByHeader
    }

    func insert(_ key: String, _ item: Item, at position: TOMLPosition) {
        keys.append(key)
        items[key] = item
        positions[key] = position
    }
}

/// The tables of one `[[name]]` array. A class so appending an element does
/// not copy the array out of and back into the parent's dictionary, which
/// would make many `[[peer]]` sections quadratic.
private final class NodeList {
    var nodes: [Node]
    init(_ nodes: [Node]) { self.nodes = nodes }
}

private enum Byte {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22  // "
    static let hash: UInt8 = 0x23  // #
    static let apostrophe: UInt8 = 0x27  // '
    static let plus: UInt8 = 0x2B
    static let comma: UInt8 = 0x2C
    static let minus: UInt8 = 0x2D
    static let dot: UInt8 = 0x2E
    static let colon: UInt8 = 0x3A
    static let equals: UInt8 = 0x3D
    static let leftBracket: UInt8 = 0x5B
    static let backslash: UInt8 = 0x5C
    static let rightBracket: UInt8 = 0x5D
    static let underscore: UInt8 = 0x5F
    static let leftBrace: UInt8 = 0x7B
    static let delete: UInt8 = 0x7F

    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    /// Bare keys: `A-Z a-z 0-9 _ -`.
    static func isBareKey(_ b: UInt8) -> Bool {
        isDigit(b) || isLetter(b) || b == underscore || b == minus
    }
    /// Characters that can make up an unquoted value token, including the
    /// ones only floats and dates use, so those are reported as such rather
    /// than as a confusing "unexpected character" halfway through.
    static func isToken(_ b: UInt8) -> Bool {
        isBareKey(b) || b == plus || b == dot || b == colon
    }
    /// TOML forbids these raw in strings and comments (tab is allowed).
    static func isControl(_ b: UInt8) -> Bool {
        (b < 0x20 && b != tab) || b == delete
    }
    static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: UInt32(b - 0x30)
        case 0x41...0x46: UInt32(b - 0x41 + 10)
        case 0x61...0x66: UInt32(b - 0x61 + 10)
        default: nil
        }
    }
}

/// The mutable cursor and tree of one parse. All indexing goes through
/// `peek`, which bounds-checks, so malformed input cannot trap.
private struct TOMLParserState {
    let bytes: [UInt8]
    var offset = 0
    var line = 1
    var lineStart = 0
    let root = Node(name: "the top level", origin: nil, definedByHeader: true)
    /// The table that key/value lines currently go into.
    var current: Node

    init(bytes: [UInt8]) {
        self.bytes = bytes
        self.current = root
    }

    // MARK: Positions and errors

    var mark: Mark { Mark(offset: offset, line: line, lineStart: lineStart) }

    /// A mark for an arbitrary offset, found by rescanning from the start;
    /// only used for one-off errors detected before parsing.
    func mark(atOffset target: Int) -> Mark {
        var m = Mark(offset: target, line: 1, lineStart: 0)
        var i = 0
        while i < target && i < bytes.count {
            if bytes[i] == Byte.lf {
                m.line += 1
                m.lineStart = i + 1
            }
            i += 1
        }
        return m
    }

    /// Converts a mark to line/column, counting Unicode scalars (every byte
    /// that is not a UTF-8 continuation byte starts one).
    func position(_ m: Mark) -> TOMLPosition {
        var column = 1
        var i = m.lineStart
        while i < m.offset && i < bytes.count {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return TOMLPosition(line: m.line, column: column)
    }

    func fail(_ reason: String, at m: Mark? = nil) -> TOMLError {
        let p = position(m ?? mark)
        return TOMLError(line: p.line, column: p.column, reason: reason)
    }

    func peek(_ ahead: Int = 0) -> UInt8? {
        let i = offset + ahead
        return i < bytes.count ? bytes[i] : nil
    }

    /// Describes the character at the cursor for messages: `'x'` for
    /// printable ASCII, `U+XXXX` otherwise (so control characters and odd
    /// Unicode are visible), `end of file` past the end.
    func describeCurrent() -> String {
        guard let b = peek() else { return "end of file" }
        if b > 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        if b == Byte.space { return "a space" }
        if b < 0x80 { return "character \(hex(UInt32(b)))" }
        // Decode one scalar; `bytes` is valid UTF-8 except when the raw
        // entry point is about to reject it, so fall back to the byte.
        var length = 1
        while length < 4, let next = peek(length), next & 0xC0 == 0x80 { length += 1 }
        let end = min(offset + length, bytes.count)
        let text = String(decoding: bytes[offset..<end], as: UTF8.self)
        if let scalar = text.unicodeScalars.first {
            return "'\(text)' (\(hex(scalar.value)))"
        }
        return "byte \(hex(UInt32(b)))"
    }

    // MARK: Document structure

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        if let nul = bytes.firstIndex(of: 0) {
            throw fail("NUL bytes are not allowed in a TOML document", at: mark(atOffset: nul))
        }
        // Tolerate a UTF-8 byte order mark, which some editors add.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { offset = 3 }

        while let b = peek() {
            switch b {
            case Byte.space, Byte.tab:
                offset += 1
            case Byte.hash:
                try skipComment()
            case Byte.lf, Byte.cr:
                try consumeNewline()
            case Byte.leftBracket:
                try parseHeader()
                try expectEndOfLine(after: "the table header")
            default:
                try parseKeyValue()
            }
        }
        return Self.convert(root)
    }

    mutating func skipSpaces() {
        while let b = peek(), b == Byte.space || b == Byte.tab { offset += 1 }
    }

    mutating func consumeNewline() throws(TOMLError) {
        if peek() == Byte.cr {
            guard peek(1) == Byte.lf else {
                throw fail("a carriage return must be followed by a line feed")
            }
            offset += 2
        } else {
            offset += 1
        }
        line += 1
        lineStart = offset
    }

    /// Skips from `#` to (not including) the end of the line.
    mutating func skipComment() throws(TOMLError) {
        offset += 1
        while let b = peek(), b != Byte.lf, b != Byte.cr {
            if Byte.isControl(b) {
                throw fail("control character \(hex(UInt32(b))) is not allowed in a comment")
            }
            offset += 1
        }
    }

    /// Skips whitespace, comments and newlines; arrays may span lines.
    mutating func skipBlank() throws(TOMLError) {
        while let b = peek() {
            switch b {
            case Byte.space, Byte.tab: offset += 1
            case Byte.hash: try skipComment()
            case Byte.lf, Byte.cr: try consumeNewline()
            default: return
            }
        }
    }

    /// After a value or header only a comment may follow on the same line.
    mutating func expectEndOfLine(after what: String) throws(TOMLError) {
        skipSpaces()
        if peek() == Byte.hash { try skipComment() }
        guard let b = peek() else { return }
        guard b == Byte.lf || b == Byte.cr else {
            throw fail(
                "unexpected \(describeCurrent()) after \(what); "
                    + "expected a comment or the end of the line"
            )
        }
        try consumeNewline()
    }

    // MARK: Keys

    /// Reads a bare or quoted key; `what` names it in messages.
    mutating func parseKey(what: String) throws(TOMLError) -> String {
        guard let b = peek() else { throw fail("expected \(what), found end of file") }
        switch b {
        case Byte.quote:
            if peek(1) == Byte.quote && peek(2) == Byte.quote {
                throw fail("multi-line strings cannot be used as \(what)")
            }
            return try parseBasicString()
        case Byte.apostrophe:
            if peek(1) == Byte.apostrophe && peek(2) == Byte.apostrophe {
                throw fail("multi-line strings cannot be used as \(what)")
            }
            return try parseLiteralString()
        case _ where Byte.isBareKey(b):
            let start = offset
            while let c = peek(), Byte.isBareKey(c) { offset += 1 }
            return String(decoding: bytes[start..<offset], as: UTF8.self)
        default:
            throw fail(
                "expected \(what), found \(describeCurrent()) "
                    + "(bare keys may only contain A-Z, a-z, 0-9, '_' and '-'; quote other keys)"
            )
        }
    }

    mutating func parseKeyValue() throws(TOMLError) {
        let keyMark = mark
        let key = try parseKey(what: "a key")
        let shown = displayKey(key)
        skipSpaces()
        if peek() == Byte.dot {
            throw fail(
                "dotted keys are not supported (after key \(shown)); "
                    + "put the key under a [table] header instead"
            )
        }
        guard peek() == Byte.equals else {
            throw fail("expected '=' after key \(shown), found \(describeCurrent())")
        }
        offset += 1
        skipSpaces()
        // Checked before the value so the error points at the key itself.
        if current.items[key] != nil {
            let first = current.positions[key].map { " (first defined at line \($0.line))" } ?? ""
            throw fail("duplicate key \(shown) in \(current.name)\(first)", at: keyMark)
        }
        let value = try parseValue(depth: 0, context: "key \(shown)")
        current.insert(key, .value(value), at: position(keyMark))
        try expectEndOfLine(after: "the value of key \(shown)")
    }

    // MARK: Table headers

    mutating func parseHeader() throws(TOMLError) {
        let open = mark
        offset += 1
        let isArray = peek() == Byte.leftBracket
        if isArray { offset += 1 }
        var path: [String] = []
        while true {
            skipSpaces()
            path.append(try parseKey(what: "a table name"))
            if path.count > TOMLParser.maximumNestingDepth {
                throw fail(
                    "table header is nested deeper than "
                        + "\(TOMLParser.maximumNestingDepth) levels",
                    at: open
                )
            }
            skipSpaces()
            guard peek() == Byte.dot else { break }
            offset += 1
        }
        let closing = isArray ? "]]" : "]"
        guard peek() == Byte.rightBracket, !isArray || peek(1) == Byte.rightBracket else {
            throw fail("expected '\(closing)' to close the table header, found \(describeCurrent())")
        }
        offset += isArray ? 2 : 1
        try define(path: path, isArray: isArray, at: open)
    }

    /// Selects (creating as needed) the table a header names, enforcing
    /// TOML's rules: a table is defined once, a value is never reused as a
    /// table, and `[[x]]` only extends arrays that `[[x]]` created.
    mutating func define(path: [String], isArray: Bool, at open: Mark) throws(TOMLError) {
        let here = position(open)
        let dotted = path.map(TOMLWriter.renderKey).joined(separator: ".")
        let header = isArray ? "[[\(dotted)]]" : "[\(dotted)]"
        guard let last = path.last else {
            throw fail("expected a table name", at: open)
        }

        // Walk to the parent, creating implicit tables and descending into
        // the newest element of arrays of tables, as TOML specifies.
        var node = root
        for (depth, component) in path.dropLast().enumerated() {
            switch node.items[component] {
            case nil:
                let prefix = path.prefix(depth + 1).map(TOMLWriter.renderKey).joined(separator: ".")
                let child = Node(name: "table [\(prefix)]", origin: here, definedByHeader: false)
                node.insert(component, .table(child), at: here)
                node = child
            case .table(let child):
                node = child
            case .tableArray(let list):
                guard let newest = list.nodes.last else {
                    throw fail("internal error: empty array of tables", at: open)
                }
                node = newest
            case .value:
                throw fail(
                    "cannot define \(header): key \(displayKey(component)) in \(node.name) "
                        + "is already defined as a value\(firstLine(node, component))",
                    at: open
                )
            }
        }

        switch node.items[last] {
        case nil:
            let child = Node(name: "table \(header)", origin: here, definedByHeader: true)
            node.insert(last, isArray ? .tableArray(NodeList([child])) : .table(child), at: here)
            current = child
        case .table(let existing):
            if isArray {
                throw fail(
                    "cannot define \(header) as an array of tables: "
                        + "[\(dotted)] is already a table\(firstLine(node, last))",
                    at: open
                )
            }
            if existing.definedByHeader {
                throw fail("table \(header) is defined twice\(firstLine(node, last))", at: open)
            }
            existing.definedByHeader = true
            existing.origin = here
            current = existing
        case .tableArray(let list):
            guard isArray else {
                throw fail(
                    "cannot define table \(header): it is already an array of tables "
                        + "([[\(dotted)]])\(firstLine(node, last))",
                    at: open
                )
            }
            let child = Node(name: "table \(header)", origin: here, definedByHeader: true)
            list.nodes.append(child)
            current = child
        case .value:
            throw fail(
                "cannot redefine key \(displayKey(last)) in \(node.name) as table \(header): "
                    + "it is already defined as a value\(firstLine(node, last))",
                at: open
            )
        }
    }

    private func firstLine(_ node: Node, _ key: String) -> String {
        node.positions[key].map { " (first defined at line \($0.line))" } ?? ""
    }

    // MARK: Values

    mutating func parseValue(depth: Int, context: String) throws(TOMLError) -> TOMLValue {
        guard let b = peek() else { throw fail("missing value for \(context)") }
        switch b {
        case Byte.lf, Byte.cr, Byte.hash, Byte.comma, Byte.rightBracket:
            throw fail("missing value for \(context)")
        case Byte.quote:
            if peek(1) == Byte.quote && peek(2) == Byte.quote {
                throw fail(
                    "multi-line strings (\"\"\") are not supported; "
                        + "use a single-line string with \\n escapes"
                )
            }
            return .string(try parseBasicString())
        case Byte.apostrophe:
            if peek(1) == Byte.apostrophe && peek(2) == Byte.apostrophe {
                throw fail("multi-line literal strings (''') are not supported")
            }
            return .string(try parseLiteralString())
        case Byte.leftBracket:
            return try parseArray(depth: depth + 1)
        case Byte.leftBrace:
            throw fail("inline tables ({ ... }) are not supported; use a [table] header instead")
        case _ where Byte.isDigit(b) || b == Byte.plus || b == Byte.minus:
            return .integer(try parseInteger())
        case _ where Byte.isLetter(b):
            let start = mark
            let token = scanToken()
            switch token {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            case "inf", "nan": throw fail("floating-point values are not supported", at: start)
            default:
                throw fail(
                    "invalid value \(excerpt(token)) for \(context); strings must be quoted",
                    at: start
                )
            }
        default:
            throw fail("invalid value for \(context): unexpected \(describeCurrent())")
        }
    }

    /// Reads a run of value-token characters (see `Byte.isToken`).
    mutating func scanToken() -> String {
        let start = offset
        while let b = peek(), Byte.isToken(b) { offset += 1 }
        return String(decoding: bytes[start..<offset], as: UTF8.self)
    }

    /// Parses a decimal integer, diagnosing the number-like things TOML
    /// allows but this subset does not (floats, dates, hex) by name.
    mutating func parseInteger() throws(TOMLError) -> Int64 {
        let start = mark
        let token = scanToken()
        let text = excerpt(token)
        var digits = Substring(token)
        var negative = false
        if let sign = digits.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            digits = digits.dropFirst()
        }
        let utf8 = Array(digits.utf8)

        let looksLikeDate =
            utf8.count >= 5 && token.first != "+" && token.first != "-"
            && utf8.prefix(4).allSatisfy(Byte.isDigit) && utf8[4] == Byte.minus
        if looksLikeDate || utf8.contains(Byte.colon) {
            throw fail(
                "dates and times are not supported as bare values (\(text)); "
                    + "quote them as a string",
                at: start
            )
        }
        if digits.hasPrefix("0x") || digits.hasPrefix("0o") || digits.hasPrefix("0b") {
            throw fail(
                "only decimal integers are supported (\(text) is hexadecimal, octal or binary)",
                at: start
            )
        }
        if digits == "inf" || digits == "nan" || utf8.contains(Byte.dot)
            || (utf8.first.map(Byte.isDigit) == true && digits.contains(where: { $0 == "e" || $0 == "E" }))
        {
            throw fail("floating-point values like \(text) are not supported; use an integer", at: start)
        }
        guard let first = utf8.first, Byte.isDigit(first) else {
            throw fail("invalid integer \(text): expected a digit after the sign", at: start)
        }
        if first == 0x30 && utf8.count > 1 {
            throw fail("invalid integer \(text): leading zeros are not allowed", at: start)
        }

        var value: Int64 = 0
        for (i, b) in utf8.enumerated() {
            if b == Byte.underscore {
                // TOML: each underscore must sit between two digits.
                let next = i + 1 < utf8.count ? utf8[i + 1] : 0
                guard i > 0, Byte.isDigit(utf8[i - 1]), Byte.isDigit(next) else {
                    throw fail(
                        "invalid integer \(text): '_' must be between two digits",
                        at: start
                    )
                }
                continue
            }
            guard Byte.isDigit(b) else {
                throw fail("invalid integer \(text): unexpected character", at: start)
            }
            // Accumulate towards the sign so Int64.min is representable.
            let digit = Int64(b - 0x30)
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) =
                negative
                ? shifted.subtractingReportingOverflow(digit)
                : shifted.addingReportingOverflow(digit)
            if o1 || o2 {
                throw fail(
                    "integer overflow: \(text) does not fit in a signed 64-bit integer",
                    at: start
                )
            }
            value = next
        }
        return value
    }

    /// Parses a single-line `"..."` string, decoding escapes.
    mutating func parseBasicString() throws(TOMLError) -> String {
        let open = mark
        offset += 1
        var out: [UInt8] = []
        while true {
            guard let b = peek() else {
                throw fail("unterminated string: missing closing '\"' before end of file", at: open)
            }
            switch b {
            case Byte.quote:
                offset += 1
                // Only whole UTF-8 sequences and encoded scalars were
                // appended, so this decodes losslessly.
                return String(decoding: out, as: UTF8.self)
            case Byte.backslash:
                try parseEscape(into: &out, stringStart: open)
            case Byte.lf, Byte.cr:
                throw fail("unterminated string: missing closing '\"' before end of line", at: open)
            case _ where Byte.isControl(b):
                throw fail("control character \(hex(UInt32(b))) must be escaped in a string")
            default:
                out.append(b)
                offset += 1
            }
        }
    }

    mutating func parseEscape(into out: inout [UInt8], stringStart: Mark) throws(TOMLError) {
        let escape = mark
        offset += 1
        guard let e = peek(), e != Byte.lf, e != Byte.cr else {
            throw fail("unterminated string: missing closing '\"'", at: stringStart)
        }
        offset += 1
        switch e {
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "r"): out.append(0x0D)
        case Byte.quote: out.append(Byte.quote)
        case Byte.backslash: out.append(Byte.backslash)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = e == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<count {
                // At most 8 hex digits, so `value` cannot overflow 32 bits.
                guard let h = peek(), let v = Byte.hexValue(h) else {
                    throw fail(
                        "invalid escape: \\\(Character(Unicode.Scalar(e))) must be followed by "
                            + "exactly \(count) hexadecimal digits",
                        at: escape
                    )
                }
                value = value << 4 | v
                offset += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw fail(
                    "invalid escape: \(hex(value)) is not a Unicode scalar value",
                    at: escape
                )
            }
            out.append(contentsOf: scalar.utf8)
        default:
            offset -= 1
            throw fail(
                "invalid escape sequence '\\' followed by \(describeCurrent()) in string",
                at: escape
            )
        }
    }

    /// Parses a single-line `'...'` string (no escapes).
    mutating func parseLiteralString() throws(TOMLError) -> String {
        let open = mark
        offset += 1
        let start = offset
        while true {
            guard let b = peek() else {
                throw fail("unterminated string: missing closing \"'\" before end of file", at: open)
            }
            switch b {
            case Byte.apostrophe:
                let text = String(decoding: bytes[start..<offset], as: UTF8.self)
                offset += 1
                return text
            case Byte.lf, Byte.cr:
                throw fail("unterminated string: missing closing \"'\" before end of line", at: open)
            case _ where Byte.isControl(b):
                throw fail("control character \(hex(UInt32(b))) is not allowed in a literal string")
            default:
                offset += 1
            }
        }
    }

    /// Parses `[ ... ]`, which may span lines and contain comments and a
    /// trailing comma. `depth` counts enclosing arrays including this one.
    mutating func parseArray(depth: Int) throws(TOMLError) -> TOMLValue {
        if depth > TOMLParser.maximumNestingDepth {
            throw fail("arrays are nested deeper than \(TOMLParser.maximumNestingDepth) levels")
        }
        let open = mark
        offset += 1
        var elements: [TOMLValue] = []
        while true {
            try skipBlank()
            guard let b = peek() else {
                throw fail("unterminated array: missing ']' before end of file", at: open)
            }
            if b == Byte.rightBracket {
                offset += 1
                return .array(elements)
            }
            elements.append(try parseValue(depth: depth, context: "an array element"))
            try skipBlank()
            guard let after = peek() else {
                throw fail("unterminated array: missing ']' before end of file", at: open)
            }
            switch after {
            case Byte.comma:
                offset += 1
            case Byte.rightBracket:
                offset += 1
                return .array(elements)
            default:
                throw fail("expected ',' or ']' after an array element, found \(describeCurrent())")
            }
        }
    }

    // MARK: Output

    /// Turns the builder tree into value-type tables, carrying positions.
    static func convert(_ node: Node) -> TOMLTable {
        var table = TOMLTable()
        table.origin = node.origin
        for key in node.keys {
            switch node.items[key] {
            case .value(let value)?:
                table[key] = value
            case .table(let child)?:
                table[key] = .table(convert(child))
            case .tableArray(let list)?:
                table[key] = .array(list.nodes.map { .table(convert($0)) })
            case nil:
                continue
            }
            if let p = node.positions[key] { table.setPosition(p, of: key) }
        }
        return table
    }
}

// MARK: - Message helpers

/// `U+000B`-style rendering of a code point.
private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16, uppercase: true)
    return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
}

/// Quotes a key for messages, escaping anything unprintable and shortening
/// absurdly long keys so an error message stays readable.
private func displayKey(_ key: String) -> String {
    let short = key.unicodeScalars.count > 64 ? String(key.unicodeScalars.prefix(64)) + "…" : key
    return TOMLWriter.quote(short)
}

/// Shortens a token for messages; tokens can be up to 1 MiB long.
private func excerpt(_ token: String) -> String {
    token.utf8.count > 40 ? "'\(token.prefix(40))…'" : "'\(token)'"
}
