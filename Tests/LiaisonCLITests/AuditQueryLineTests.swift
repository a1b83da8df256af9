@testable import LiaisonCLI
import Testing

@Suite("audit query --json lines, printed and read back")
struct AuditQueryLineTests {
    static let leaf = Array(#"{"v":1,"time":5,"event":"package.sealed","outcome":"ok","actor":"daemon"}"#.utf8)

    @Test("a printed line reads back as the same index and the same leaf bytes")
    func roundTrip() {
        for index in [0, 7, 10, 123_456_789] {
            let line = AuditQueryLine(index: index, leaf: Self.leaf)
            #expect(line.text == #"{"index":\#(index),"leaf":"# + String(decoding: Self.leaf, as: UTF8.self) + "}")
            #expect(AuditQueryLine(parsing: Array(line.text.utf8)) == line)
        }
    }

    @Test("anything but exactly such a line is not one", arguments: [
        "",
        #"{"index":5,"leaf":}"#,                                   // no leaf
        #"{"index":05,"leaf":{"v":1}}"#,                           // a leading zero
        #"{"index":,"leaf":{"v":1}}"#,                             // no index
        #"{"index":-1,"leaf":{"v":1}}"#,                           // a sign
        #"{"index":1234567890123456789,"leaf":{"v":1}}"#,          // more digits than an index has
        #"{"index": 5,"leaf":{"v":1}}"#,                           // a space
        #"{"index":5, "leaf":{"v":1}}"#,
        #"{"index":5,"leaf":{"v":1}} "#,                           // something after it
        #" {"index":5,"leaf":{"v":1}}"#,                           // something before it
        "{\"index\":5,\"leaf\":{\"v\":1}}\n",                        // a line end: its reader takes it off
        #"{"leaf":{"v":1},"index":5}"#,                            // another order
        #"{"v":1,"time":5}"#,                                      // a bare leaf
    ])
    func notALine(_ text: String) {
        #expect(AuditQueryLine(parsing: Array(text.utf8)) == nil)
    }

    @Test("the leaf is taken byte for byte, whatever it holds: checking it is its reader's job")
    func leafVerbatim() {
        let odd = Array(#"{"index":3,"leaf":{"v":1,"x":"}"}}"#.utf8)
        #expect(AuditQueryLine(parsing: odd)?.leaf == Array(#"{"v":1,"x":"}"}"#.utf8))
        // A line cut short gives a leaf cut short, which no decoding or hash accepts.
        #expect(AuditQueryLine(parsing: Array(#"{"index":5,"leaf":{"v":1}"#.utf8))?.leaf == Array(#"{"v":1"#.utf8))
        #expect(AuditQueryLine.looksLikeOne(Array(#"{"index":"#.utf8)))
        #expect(!AuditQueryLine.looksLikeOne(Self.leaf))
    }
}
