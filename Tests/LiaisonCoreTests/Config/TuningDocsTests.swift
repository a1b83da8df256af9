import Foundation
@testable import LiaisonCore
import Testing

@Suite("docs/operations.md lists every [daemon] setting as the parser takes it")
struct TuningDocsTests {
    /// The rows of the tuning table: key → (default, range), as written.
    private static func rows() throws -> [String: (String, String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        var rows: [String: (String, String)] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { continue }
            rows[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = (cells[1], cells[2])
        }
        return rows
    }

    /// `n` as the table writes a bound: a power of two past 2^20 as 2^k.
    private static func written(_ n: Int64) -> String {
        if n > 1 << 20, n & (n - 1) == 0 { return "2^\(n.trailingZeroBitCount)" }
        return String(n)
    }

    @Test("each key with its default and its range")
    func everyKey() throws {
        let rows = try Self.rows()
        let defaults = DaemonTunables()
        for (key, path, range) in DaemonTunables.keys {
            let row = try #require(rows[key], "\(key) is not in the tuning table")
            #expect(row.0.hasPrefix(String(defaults[keyPath: path])), "\(key): default \(row.0), the code's \(defaults[keyPath: path])")
            #expect(row.1 == "\(Self.written(range.lowerBound))…\(Self.written(range.upperBound))", "\(key): range \(row.1)")
        }
        #expect(rows["metrics-listen"] != nil)
        #expect(rows["max-control-connections-per-user"]?.1 == "1…`max-control-connections`")
    }
}
