import Testing

@testable import LiaisonCore

/// Parses `text`, returning the error it fails with (or `nil` on success).
private func parseError(_ text: String) -> TOMLError? {
    do {
        _ = try TOMLParser.parse(text)
        return nil
    } catch {
        return error
    }
}

/// The example configuration from the design notes.
private let sampleConfiguration = """
    # comment
    [node]
    name = "alpha"          # trailing comment
    listen = ["127.0.0.1:7401", "[::1]:7401"]
    created = "2026-11-26T09:00:00Z"

    [keys]
    identity = "ed25519:AAAA..."
    protection = "argon2id"

    [policy]
    classifications = [
      "UNCLASSIFIED",
      "RESTRICTED",   # trailing comma allowed
    ]
    max-package-bytes = 1_073_741_824
    enabled = true

    [[peer]]
    name = "bravo"
    addresses = []

    [[peer]]
    name = "charlie"

    """

@Suite("TOML parser: accepted syntax")
struct TOMLParserAcceptanceTests {
    @Test func parsesSampleConfiguration() throws {
        let root = try TOMLParser.parse(sampleConfiguration)
        #expect(root.keys == ["node", "keys", "policy", "peer"])

        let node = try #require(try root.table("node"))
        #expect(try node.string("name") == "alpha")
        #expect(try node.stringArray("listen") == ["127.0.0.1:7401", "[::1]:7401"])
        #expect(try node.string("created") == "2026-11-26T09:00:00Z")

        let keys = try #require(try root.table("keys"))
        #expect(try keys.string("identity") == "ed25519:AAAA...")
        #expect(try keys.string("protection") == "argon2id")

        let policy = try #require(try root.table("policy"))
        #expect(try policy.stringArray("classifications") == ["UNCLASSIFIED", "RESTRICTED"])
        #expect(try policy.integer("max-package-bytes") == 1_073_741_824)
        #expect(try policy.boolean("enabled") == true)

        let peers = try #require(try root.tableArray("peer"))
        #expect(peers.count == 2)
        #expect(try peers[0].string("name") == "bravo")
        #expect(try peers[0].array("addresses") == [])
        #expect(try peers[1].string("name") == "charlie")
        #expect(try peers[1].string("addresses") == nil)
    }

    @Test func commentsBlankLinesAndLineEndings() throws {
        let text = "# leading\r\n\r\n   \t\n  a = 1 # one\r\n\t# indented comment\nb = \"#not a comment\" #c\n# last line without newline"
        let root = try TOMLParser.parse(text)
        #expect(root == ["a": 1, "b": "#not a comment"])
        #expect(try TOMLParser.parse("") == TOMLTable())
        #expect(try TOMLParser.parse("\n\n# only comments\n") == TOMLTable())
    }

    @Test func byteOrderMarkIsTolerated() throws {
        #expect(try TOMLParser.parse(utf8: [0xEF, 0xBB, 0xBF] + Array("a = 1\n".utf8)) == ["a": 1])
    }

    @Test func bareAndQuotedKeys() throws {
        let text = """
            bare_key-1 = 1
            1234 = 2
            "quoted key" = 3
            "ключ" = 4
            'literal "key"' = 5
            "" = 6
            "tab\\tkey" = 7
            """
        let root = try TOMLParser.parse(text)
        #expect(root.keys == ["bare_key-1", "1234", "quoted key", "ключ", "literal \"key\"", "", "tab\tkey"])
        #expect(root["\"\""] == nil)
        #expect(root[""] == 6)
    }

    @Test func basicStringEscapes() throws {
        let text = #"s = "q\" b\\ n\n t\t r\r b\b f\f u\u00E9 U\U0001F680 nul\u0000""#
        let root = try TOMLParser.parse(text)
        #expect(root["s"] == .string("q\" b\\ n\n t\t r\r b\u{08} f\u{0C} u\u{E9} U\u{1F680} nul\u{0}"))
        // Raw tabs and non-ASCII text are allowed unescaped.
        #expect(try TOMLParser.parse("s = \"a\tb ü 日本\"")["s"] == "a\tb ü 日本")
    }

    @Test func literalStrings() throws {
        let root = try TOMLParser.parse(#"path = 'C:\Users\n\u0041 "quoted"'"#)
        #expect(root["path"] == .string(#"C:\Users\n\u0041 "quoted""#))
        #expect(try TOMLParser.parse("e = ''")["e"] == "")
    }

    @Test(arguments: [
        ("0", Int64(0)), ("+0", 0), ("-0", 0), ("42", 42), ("+17", 17), ("-17", -17),
        ("1_000", 1000), ("1_2_3", 123), ("9_223_372_036_854_775_807", Int64.max),
        ("-9223372036854775808", Int64.min), ("1073741824", 1_073_741_824),
    ])
    func integers(text: String, expected: Int64) throws {
        #expect(try TOMLParser.parse("n = \(text)")["n"] == .integer(expected))
    }

    @Test func booleans() throws {
        let root = try TOMLParser.parse("t = true\nf = false\nlist = [true,false]")
        #expect(root == ["t": true, "f": false, "list": [true, false]])
    }

    @Test func arrays() throws {
        let text = """
            empty = []
            spaced = [ ]
            nested = [[1, 2], ["a", 'b'], [[]], []]
            mixed = [1, "two", true]
            multi = [
              # a comment before the first element
              1,   # after an element
              2
              ,
              3,
            ]
            blank = [

            ]
            """
        let root = try TOMLParser.parse(text)
        #expect(root["empty"] == [])
        #expect(root["spaced"] == [])
        #expect(root["nested"] == [[1, 2], ["a", "b"], [[]], []])
        #expect(root["mixed"] == [1, "two", true])
        #expect(root["multi"] == [1, 2, 3])
        #expect(root["blank"] == [])
    }

    @Test func tableHeaders() throws {
        let text = """
            top = 1
            [a.b]
            x = 1
            [ a . "c d" ]
            y = 2
            [a]
            z = 3
            ["quoted.name"]
            w = 4
            """
        let root = try TOMLParser.parse(text)
        let a = try #require(try root.table("a"))
        #expect(a == ["b": .table(["x": 1]), "c d": .table(["y": 2]), "z": 3])
        // `[a]` may come after `[a.b]` implicitly created it.
        #expect(a.keys == ["b", "c d", "z"])
        #expect(try root.table("quoted.name") == ["w": 4])
        #expect(root["top"] == 1)
    }

    @Test func arraysOfTables() throws {
        let text = """
            [[peer]]
            name = "bravo"
            [peer.tls]
            pin = "x"
            [[peer.address]]
            host = "h1"
            [[peer.address]]
            host = "h2"

            [[peer]]
            name = "charlie"
            [[peer.address]]
            host = "h3"

            [[group.members]]
            id = 1
            """
        let root = try TOMLParser.parse(text)
        let expected: TOMLTable = [
            "peer": [
                .table([
                    "name": "bravo",
                    "tls": .table(["pin": "x"]),
                    "address": [.table(["host": "h1"]), .table(["host": "h2"])],
                ]),
                .table(["name": "charlie", "address": [.table(["host": "h3"])]]),
            ],
            "group": .table(["members": [.table(["id": 1])]]),
        ]
        #expect(root == expected)
    }

    @Test func equalityIgnoresKeyOrder() throws {
        let a: TOMLTable = ["x": 1, "y": 2]
        let b: TOMLTable = ["y": 2, "x": 1]
        #expect(a == b)
        #expect(a.keys != b.keys)
        #expect(a != ["x": 1])
    }

    @Test func tableSubscriptMaintainsOrder() {
        var t = TOMLTable()
        t["b"] = 1
        t["a"] = 2
        t["b"] = 3
        #expect(t.keys == ["b", "a"])
        #expect(t["b"] == 3)
        t["b"] = nil
        #expect(t.keys == ["a"])
        #expect(t.count == 1)
        #expect(t.entries.map(\.key) == ["a"])
    }

    @Test func recordsSourcePositions() throws {
        let root = try TOMLParser.parse(sampleConfiguration)
        let node = try #require(try root.table("node"))
        #expect(node.origin == TOMLPosition(line: 2, column: 1))
        #expect(node.position(of: "name") == TOMLPosition(line: 3, column: 1))
        #expect(node.position(of: "listen") == TOMLPosition(line: 4, column: 1))
        let peers = try #require(try root.tableArray("peer"))
        #expect(peers[1].origin == TOMLPosition(line: 23, column: 1))
        #expect(peers[1].path == "peer[1]")
    }
}

@Suite("TOML tables: typed accessors")
struct TOMLTableAccessorTests {
    @Test func typeMismatchNamesKeyPathAndLine() throws {
        let root = try TOMLParser.parse(sampleConfiguration)
        let policy = try #require(try root.table("policy"))

        let notString = #expect(throws: TOMLError.self) { try policy.string("enabled") }
        #expect(notString?.line == 17)
        #expect(notString?.reason.contains("\"policy.enabled\"") == true)
        #expect(notString?.reason.contains("must be a string, but it is a boolean") == true)

        let notInt = #expect(throws: TOMLError.self) { try policy.integer("classifications") }
        #expect(notInt?.reason.contains("must be an integer") == true)

        let notBool = #expect(throws: TOMLError.self) { try policy.boolean("max-package-bytes") }
        #expect(notBool?.line == 16)

        let notTable = #expect(throws: TOMLError.self) { try root.table("peer") }
        #expect(notTable?.reason.contains("must be a table, but it is an array") == true)

        let notTables = #expect(throws: TOMLError.self) { try root.tableArray("node") }
        #expect(notTables?.reason.contains("array of tables") == true)

        let peers = try #require(try root.tableArray("peer"))
        let nested = #expect(throws: TOMLError.self) { try peers[0].stringArray("name") }
        #expect(nested?.reason.contains("\"peer[0].name\"") == true)
        #expect(nested?.line == 20)
    }

    @Test func stringArrayRejectsOtherElements() throws {
        let root = try TOMLParser.parse("list = [\"a\", 2]")
        let error = #expect(throws: TOMLError.self) { try root.stringArray("list") }
        #expect(error?.reason.contains("element 1 is an integer") == true)
        #expect(error?.description.hasPrefix("line 1, column 1: ") == true)
    }

    @Test func absentKeysAreNil() throws {
        let root = TOMLTable()
        #expect(try root.string("x") == nil)
        #expect(try root.integer("x") == nil)
        #expect(try root.boolean("x") == nil)
        #expect(try root.stringArray("x") == nil)
        #expect(try root.table("x") == nil)
        #expect(try root.tableArray("x") == nil)
        // An empty inline array counts as zero tables.
        #expect(try (["peer": []] as TOMLTable).tableArray("peer") == [])
    }

    @Test func rejectUnknownKeysPointsAtTheKey() throws {
        let root = try TOMLParser.parse("[node]\nname = \"a\"\nnmae = \"b\"\n")
        let node = try #require(try root.table("node"))
        #expect(throws: Never.self) { try node.rejectUnknownKeys(allowed: ["name", "nmae"]) }
        let error = #expect(throws: TOMLError.self) { try node.rejectUnknownKeys(allowed: ["name"]) }
        #expect(error == TOMLError(line: 3, column: 1, reason: "unknown key \"node.nmae\""))
    }

    @Test func errorForMissingKeyUsesTableHeader() throws {
        let root = try TOMLParser.parse("\n[keys]\nprotection = \"argon2id\"\n")
        let keys = try #require(try root.table("keys"))
        let error = keys.error(forKey: "identity", "missing required key \(keys.keyPath("identity"))")
        #expect(error.line == 2)
        #expect(error.description == "line 2, column 1: missing required key keys.identity")
    }

    @Test func errorWithoutPositionHasPlainDescription() {
        let table: TOMLTable = ["n": "x"]
        let error = #expect(throws: TOMLError.self) { try table.integer("n") }
        #expect(error?.line == 0)
        #expect(error?.description == "key \"n\" must be an integer, but it is a string")
    }

    @Test func errorDescriptionFormat() {
        let error = TOMLError(line: 3, column: 9, reason: "expected '=' after key \"name\"")
        #expect(error.description == "line 3, column 9: expected '=' after key \"name\"")
    }
}

@Suite("TOML writer")
struct TOMLWriterTests {
    @Test func rendersCanonicalDocument() throws {
        let root = try TOMLParser.parse(sampleConfiguration)
        let rendered = TOMLWriter.render(root, header: "Liaison node configuration\nGenerated file")
        let expected = """
            # Liaison node configuration
            # Generated file

            [node]
            name = "alpha"
            listen = ["127.0.0.1:7401", "[::1]:7401"]
            created = "2026-11-26T09:00:00Z"

            [keys]
            identity = "ed25519:AAAA..."
            protection = "argon2id"

            [policy]
            classifications = ["UNCLASSIFIED", "RESTRICTED"]
            max-package-bytes = 1073741824
            enabled = true

            [[peer]]
            name = "bravo"
            addresses = []

            [[peer]]
            name = "charlie"

            """
        #expect(rendered == expected)
        #expect(try TOMLParser.parse(rendered) == root)
    }

    @Test func plainKeysComeBeforeSections() throws {
        var root = TOMLTable()
        root["section"] = .table(["x": 1])
        root["late"] = "value"
        let rendered = TOMLWriter.render(root)
        #expect(rendered == "late = \"value\"\n\n[section]\nx = 1\n")
        #expect(try TOMLParser.parse(rendered) == root)
    }

    @Test func emptyInputs() throws {
        #expect(TOMLWriter.render(TOMLTable()) == "")
        #expect(TOMLWriter.render(TOMLTable(), header: "only a header\n") == "# only a header\n")
        #expect(TOMLWriter.render(["e": .table([:])]) == "[e]\n")
        #expect(try TOMLParser.parse("[e]\n") == ["e": .table([:])])
    }

    @Test func headerIsSanitisedIntoValidComments() throws {
        let rendered = TOMLWriter.render(["a": 1], header: "one\r\ntwo\u{07}bell\n\nlast")
        #expect(rendered == "# one\n# two\u{FFFD}bell\n#\n# last\n\na = 1\n")
        #expect(try TOMLParser.parse(rendered) == ["a": 1])
    }

    @Test func longArraysAreWrittenOnePerLine() throws {
        let names: [TOMLValue] = (0..<12).map { .string("CLASSIFICATION-\($0)") }
        let root: TOMLTable = ["list": .array(names)]
        let rendered = TOMLWriter.render(root)
        #expect(rendered.hasPrefix("list = [\n  \"CLASSIFICATION-0\",\n"))
        #expect(rendered.hasSuffix("  \"CLASSIFICATION-11\",\n]\n"))
        #expect(try TOMLParser.parse(rendered) == root)
    }

    @Test func keysAreQuotedOnlyWhenNeeded() {
        #expect(TOMLWriter.renderKey("max-package_bytes9") == "max-package_bytes9")
        #expect(TOMLWriter.renderKey("") == "\"\"")
        #expect(TOMLWriter.renderKey("a.b") == "\"a.b\"")
        #expect(TOMLWriter.renderKey("ключ") == "\"ключ\"")
        #expect(TOMLWriter.quote("a\"b\\c\n\u{1}\u{7F}") == #""a\"b\\c\n\u0001\u007F""#)
    }

    @Test func tablesWithOnlySubsectionsGetNoHeader() throws {
        let root: TOMLTable = ["outer": .table(["inner": .table(["v": 1])])]
        let rendered = TOMLWriter.render(root)
        #expect(rendered == "[outer.inner]\nv = 1\n")
        #expect(try TOMLParser.parse(rendered) == root)
    }

    @Test func roundTripsNestedStructureBuiltInCode() throws {
        var root: TOMLTable = ["title": "x", "empty": [], "nested": [[1, 2], ["a"], [], [[[]]]]]
        root["server"] = .table(["port": 7401, "deep": .table(["flag": true]), "after": -5])
        root["only-children"] = .table(["child": .table(["v": 1]), "list": [.table(["w": 2])]])
        root["empty-table"] = .table([:])
        root["weird key"] = .table(["ключ": "значение", "": "empty key"])
        root["peer"] = [
            .table([
                "name": "b",
                "address": [.table(["host": "h1"]), .table([:])],
                "tls": .table(["pin": "p"]),
            ]),
            .table([:]),
            .table(["name": "c", "address": [.table(["host": "h2"])]]),
        ]
        let rendered = TOMLWriter.render(root, header: "generated")
        let reparsed = try TOMLParser.parse(rendered)
        #expect(reparsed == root)
        // Writing the re-parsed table again is byte-for-byte stable.
        #expect(TOMLWriter.render(reparsed, header: "generated") == rendered)
    }

    static let trickyStrings: [String] = [
        "",
        "plain",
        "with \"double\" quotes",
        "with 'single' quotes",
        #"back\slash and trailing \"#,
        #"C:\Users\new\table"#,
        "line one\nline two",
        "crlf\r\nend",
        "tab\tand\u{0B}vertical tab",
        "control \u{01}\u{08}\u{0C}\u{1B}\u{1F}\u{7F}",
        "nul \u{0} inside",
        "unicode é ü ß 日本語 🚀 👩‍👩‍👧",
        "combining e\u{301} and \u{2028}separator\u{FEFF}",
        "# not a comment",
        "[not.a.table]",
        "key = \"value\"",
        #"\u0041 is not an escape here"#,
        "ends with newline\n",
        "\"\"\"",
        "'''",
    ]

    @Test(arguments: trickyStrings)
    func roundTripsTrickyStrings(text: String) throws {
        let root: TOMLTable = [
            "value": .string(text),
            "list": [.string(text), [.string(text)]],
            text: .string(text),
            "table": .table([text: .table([text: .string(text)])]),
            "tables": [.table([text: .string(text)])],
        ]
        let rendered = TOMLWriter.render(root, header: text)
        let reparsed = try TOMLParser.parse(rendered)
        #expect(reparsed == root, "rendered:\n\(rendered)")
        #expect(try reparsed.string("value") == text)
    }

    @Test func valuesOutsideTheSubsetFailLoudlyOnReload() {
        let root: TOMLTable = ["mixed": [.table(["a": 1]), 2]]
        let rendered = TOMLWriter.render(root)
        #expect(rendered == "mixed = [{ a = 1 }, 2]\n")
        #expect(parseError(rendered)?.reason.contains("inline tables") == true)
    }
}

/// One malformed document and what its error must say.
struct MalformedTOML: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let line: Int
    /// A phrase the error's reason must contain (case-insensitive).
    let mentions: String

    init(_ name: String, _ text: String, line: Int, _ mentions: String) {
        self.name = name
        self.text = text
        self.line = line
        self.mentions = mentions
    }

    var testDescription: String { name }
}

@Suite("TOML parser: rejected documents")
struct TOMLParserRejectionTests {
    static let corpus: [MalformedTOML] = [
        .init("missing equals", "[node]\n\nname \"alpha\"", line: 3, "expected '=' after key \"name\""),
        .init("missing value at end of line", "a = 1\nb =\nc = 2", line: 2, "missing value for key \"b\""),
        .init("missing value before comment", "a = # nothing", line: 1, "missing value"),
        .init("missing value at end of file", "a = ", line: 1, "missing value"),
        .init("missing key", "= 1", line: 1, "expected a key"),
        .init("non-ASCII bare key", "ключ = 1", line: 1, "expected a key"),
        .init("dotted key", "[node]\nsub.name = 1", line: 2, "dotted keys are not supported"),
        .init("duplicate key", "a = 1\nb = 2\na = 3", line: 3, "duplicate key \"a\""),
        .init("duplicate key in table", "[t]\nx = 1\n\"x\" = 2", line: 3, "duplicate key \"x\" in table [t]"),
        .init("duplicate of implicit table", "[a.b]\n[a]\nb = 1", line: 3, "duplicate key \"b\""),
        .init("table defined twice", "[a]\nx = 1\n[b]\n[a]\ny = 2", line: 4, "defined twice"),
        .init("dotted table defined twice", "[a.b]\n[a.b]", line: 2, "defined twice"),
        .init("key redefined as table", "a = 1\n[a]", line: 2, "already defined as a value"),
        .init("header through a value", "[t]\nv = \"x\"\n[t.v.w]", line: 3, "already defined as a value"),
        .init("table then array of tables", "[a]\n[[a]]", line: 2, "already a table"),
        .init("array of tables then table", "[[a]]\n[a]", line: 2, "already an array of tables"),
        .init("static array extended", "a = []\n[[a]]", line: 2, "already defined as a value"),
        .init("float", "x = 3.14", line: 1, "floating-point"),
        .init("float exponent", "\nx = 1e6", line: 2, "floating-point"),
        .init("float infinity", "x = -inf", line: 1, "floating-point"),
        .init("float nan", "x = nan", line: 1, "floating-point"),
        .init("offset date-time", "created = 2026-11-26T09:00:00Z", line: 1, "dates and times"),
        .init("local date", "d = 2026-11-26", line: 1, "dates and times"),
        .init("local time", "t = 07:32:00", line: 1, "dates and times"),
        .init("inline table", "[node]\npeer = { name = \"b\" }", line: 2, "inline tables"),
        .init("multi-line basic string", "s = \"\"\"\ntext\"\"\"", line: 1, "multi-line strings"),
        .init("multi-line literal string", "s = '''text'''", line: 1, "multi-line literal strings"),
        .init("junk after value", "a = 1 2", line: 1, "after the value of key \"a\""),
        .init("junk after string", "\na = \"x\" y", line: 2, "after the value of key \"a\""),
        .init("two keys on a line", "a = 1 b = 2", line: 1, "expected a comment or the end of the line"),
        .init("junk after header", "[a] x = 1", line: 1, "after the table header"),
        .init("unterminated string", "\n\na = \"abc\nb = 1", line: 3, "unterminated string"),
        .init("unterminated string at EOF", "a = \"abc", line: 1, "unterminated string"),
        .init("unterminated literal string", "a = 'abc\n", line: 1, "unterminated string"),
        .init("unterminated quoted key", "\"key = 1", line: 1, "unterminated string"),
        .init("unterminated array", "a = [\n  1,\n  2\n", line: 1, "unterminated array"),
        .init("array missing comma", "a = [\n  1\n  2\n]", line: 3, "expected ',' or ']'"),
        .init("array running into header", "a = [1, 2\n[policy]\nx = 1", line: 2, "expected ',' or ']'"),
        .init("array empty element", "a = [1,,2]", line: 1, "missing value for an array element"),
        .init("array leading comma", "a = [,]", line: 1, "missing value for an array element"),
        .init("invalid escape", "s = \"\\x41\"", line: 1, "invalid escape"),
        .init("short unicode escape", "s = \"\\u12\"", line: 1, "exactly 4 hexadecimal digits"),
        .init("surrogate escape", "s = \"\\uD800\"", line: 1, "not a Unicode scalar"),
        .init("out of range escape", "s = \"\\U00110000\"", line: 1, "not a Unicode scalar"),
        .init("raw control character", "s = \"bell\u{07}\"", line: 1, "control character U+0007"),
        .init("raw DEL in literal string", "s = 'del\u{7F}'", line: 1, "control character U+007F"),
        .init("control character in comment", "a = 1\n# bell\u{07}", line: 2, "not allowed in a comment"),
        .init("NUL byte", "a = 1\n\u{0}", line: 2, "NUL"),
        .init("NUL in string", "a = 1\nb = 2\ns = \"x\u{0}\"", line: 3, "NUL"),
        .init("lone carriage return", "a = 1\rb = 2", line: 1, "carriage return"),
        .init("leading zero", "a = 007", line: 1, "leading zeros"),
        .init("integer overflow", "a = 9223372036854775808", line: 1, "overflow"),
        .init("negative overflow", "a = -9_223_372_036_854_775_809", line: 1, "overflow"),
        .init("huge integer", "a = " + String(repeating: "9", count: 5000), line: 1, "overflow"),
        .init("double underscore", "a = 1__000", line: 1, "'_' must be between two digits"),
        .init("trailing underscore", "a = 1_", line: 1, "'_' must be between two digits"),
        .init("underscore after sign", "a = -_1", line: 1, "expected a digit"),
        .init("sign without digits", "a = +", line: 1, "expected a digit"),
        .init("letters in integer", "a = 12abc", line: 1, "invalid integer"),
        .init("hexadecimal", "a = 0xFF", line: 1, "only decimal integers"),
        .init("binary", "a = 0b101", line: 1, "only decimal integers"),
        .init("unquoted string", "name = alpha", line: 1, "strings must be quoted"),
        .init("capitalised boolean", "b = True", line: 1, "strings must be quoted"),
        .init("empty header", "[]", line: 1, "expected a table name"),
        .init("header trailing dot", "[a.]", line: 1, "expected a table name"),
        .init("unclosed header", "[a\nx = 1", line: 1, "expected ']'"),
        .init("unclosed array-of-tables header", "[[a]\n", line: 1, "expected ']]'"),
        .init("space inside header name", "[a b]", line: 1, "expected ']'"),
        .init("header nested too deep", "[" + Array(repeating: "a", count: 33).joined(separator: ".") + "]", line: 1, "deeper than 32"),
        .init("arrays nested too deep", "\na = " + String(repeating: "[", count: 33) + String(repeating: "]", count: 33), line: 2, "deeper than 32"),
        .init("pathological nesting", "a = " + String(repeating: "[", count: 100_000), line: 1, "deeper than 32"),
        .init("error after multi-line array", "a = [\n  1,\n  2,\n]\nb = 3.5", line: 5, "floating-point"),
    ]

    @Test(arguments: corpus)
    func rejects(_ sample: MalformedTOML) {
        guard let error = parseError(sample.text) else {
            Issue.record("\(sample.name) was accepted")
            return
        }
        #expect(error.line == sample.line, "\(error)")
        #expect(error.column >= 1)
        #expect(error.reason.lowercased().contains(sample.mentions.lowercased()), "\(error)")
    }

    @Test func corpusIsLargeEnough() {
        #expect(Self.corpus.count >= 25)
    }

    @Test func reportsColumnsInCharacters() throws {
        let error = try #require(parseError("[node]\n\"näme\" = 1\nname \"alpha\""))
        #expect(error == TOMLError(line: 3, column: 6, reason: "expected '=' after key \"name\", found '\"'"))
        // Non-ASCII before the error counts as one column per scalar.
        let unicode = try #require(parseError("s = \"日本\" x"))
        #expect(unicode.column == 10)
        // Unterminated strings point at the opening quote.
        let open = try #require(parseError("a = 1\nlong = \"abc"))
        #expect(open.line == 2)
        #expect(open.column == 8)
    }

    @Test func rejectsOversizedDocuments() throws {
        let limit = TOMLParser.maximumDocumentBytes
        let comment = "#" + String(repeating: "x", count: 62) + "\n"
        let big = String(repeating: comment, count: limit / comment.utf8.count + 1)
        let error = try #require(parseError(big))
        #expect(error.reason.contains("1 MiB"))
        #expect(throws: TOMLError.self) { try TOMLParser.parse(utf8: Array(big.utf8)) }
    }

    @Test func acceptsLargeDocumentsJustUnderTheLimit() throws {
        // Thousands of sections and one long array, to catch quadratic
        // behaviour as well as off-by-one limits.
        var text = "numbers = [" + Array(repeating: "123456", count: 60_000).joined(separator: ",") + "]\n"
        for i in 0..<20_000 { text += "[[peer]]\nn = \(i)\n" }
        text += String(repeating: "#", count: TOMLParser.maximumDocumentBytes - text.utf8.count)
        #expect(text.utf8.count == TOMLParser.maximumDocumentBytes)
        let root = try TOMLParser.parse(text)
        #expect(try root.array("numbers")?.count == 60_000)
        #expect(try root.tableArray("peer")?.last?.integer("n") == 19_999)
    }

    @Test func acceptsMaximumNesting() throws {
        let depth = TOMLParser.maximumNestingDepth
        let array = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        var value: TOMLValue = []
        for _ in 1..<depth { value = [value] }
        #expect(try TOMLParser.parse("a = \(array)")["a"] == value)
        let header = "[" + Array(repeating: "t", count: depth).joined(separator: ".") + "]"
        #expect(throws: Never.self) { try TOMLParser.parse(header) }
    }

    @Test func rejectsInvalidUTF8WithPosition() throws {
        let bytes = Array("a = 1\nb = \"".utf8) + [0xC3, 0x28] + Array("\"\n".utf8)
        let error = #expect(throws: TOMLError.self) { try TOMLParser.parse(utf8: bytes) }
        #expect(error == TOMLError(line: 2, column: 6, reason: "the document is not valid UTF-8"))
        let truncated = Array("a = \"".utf8) + [0xE6, 0x97]
        #expect(throws: TOMLError.self) { try TOMLParser.parse(utf8: truncated) }
        #expect(try TOMLParser.parse(utf8: Array("a = \"日本\"".utf8)) == ["a": "日本"])
    }
}

/// SplitMix64: tiny, deterministic, good enough to drive a fuzzer.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("TOML parser: robustness")
struct TOMLParserFuzzTests {
    /// Fragments that exercise the parser's interesting paths.
    static let fragments: [[UInt8]] = [
        "[", "]", "[[", "]]", "\"", "'", "=", " = ", "#", "\n", "\r", "\r\n", ",", ".", "\\",
        "\\u", "\\U0001F680", "{", "}", "_", "-", "+", "0", "9", "1_000", "e", ":", " ", "\t",
        "\u{0}", "true", "false", "\"\"\"", "'''", "é", "🚀", "a", "peer", "[[peer]]", "[a.b]",
        "x = 1\n", "y = \"s\"\n", "[]", "[\n", "inf", "2026-11-26",
    ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE6, 0x97], [0xED, 0xA0, 0x80]]

    /// Parses both ways; whenever a document is accepted, the writer must
    /// reproduce it. Returns whether it was accepted.
    private static func check(_ bytes: [UInt8]) -> Bool {
        let fromBytes: TOMLTable
        do {
            fromBytes = try TOMLParser.parse(utf8: bytes)
        } catch {
            #expect(error.line >= 1 && error.column >= 1 && !error.reason.isEmpty)
            // The String entry point sees repaired text; it must not crash.
            _ = try? TOMLParser.parse(String(decoding: bytes, as: UTF8.self))
            return false
        }
        #expect((try? TOMLParser.parse(String(decoding: bytes, as: UTF8.self))) == fromBytes)
        let rendered = TOMLWriter.render(fromBytes, header: "fuzz")
        #expect((try? TOMLParser.parse(rendered)) == fromBytes, "round trip failed:\n\(rendered)")
        return true
    }

    @Test func randomBytesOnlyThrow() {
        var rng = SplitMix64(state: 0x1A15_0401)
        var accepted = 0
        for _ in 0..<2_000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &rng) {
                if Bool.random(using: &rng) {
                    bytes += Self.fragments.randomElement(using: &rng) ?? []
                } else {
                    bytes.append(UInt8.random(in: 0...255, using: &rng))
                }
            }
            if Self.check(bytes) { accepted += 1 }
        }
        // Mostly garbage, but blank/comment-only inputs do get through.
        #expect(accepted > 0)
    }

    @Test func mutationsOfAValidDocumentOnlyThrow() {
        var rng = SplitMix64(state: 0xC0FF_EE00)
        let original = Array(sampleConfiguration.utf8)
        var accepted = 0
        var rejected = 0
        for _ in 0..<3_000 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0...bytes.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0 where at < bytes.count:
                    bytes[at] = UInt8.random(in: 0...255, using: &rng)
                case 1:
                    bytes.insert(contentsOf: Self.fragments.randomElement(using: &rng) ?? [], at: at)
                case 2:
                    let end = min(bytes.count, at + Int.random(in: 1...12, using: &rng))
                    bytes.removeSubrange(at..<end)
                case 3:
                    bytes.removeSubrange(at...)
                case 4:
                    // Duplicate a slice (duplicate keys, tables, brackets).
                    let end = min(bytes.count, at + Int.random(in: 1...40, using: &rng))
                    let slice = bytes[at..<end]
                    bytes.insert(contentsOf: slice, at: Int.random(in: 0...bytes.count, using: &rng))
                default:
                    if at < bytes.count { bytes[at] ^= 1 << UInt8.random(in: 0...7, using: &rng) }
                }
            }
            if Self.check(bytes) { accepted += 1 } else { rejected += 1 }
        }
        #expect(accepted > 0)
        #expect(rejected > 0)
    }
}
