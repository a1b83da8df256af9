/// Renders `TOMLTable`s as canonical TOML that `TOMLParser` reads back to an
/// equal table.
///
/// Layout: the optional header as `# ` comment lines, then the table's plain
/// keys, then each sub-table as a `[name]` section and each array of tables
/// as `[[name]]` sections, recursively in insertion order. Generated config
/// files therefore look the same every time and diff cleanly.
package enum TOMLWriter {
    /// Arrays whose one-line form is longer than this are written one
    /// element per line, which keeps long lists reviewable in a diff.
    private static let maximumInlineArrayWidth = 80

    /// Renders `table` as a TOML document ending in a newline (or the empty
    /// string for an empty table without header).
    ///
    /// `header` becomes comment lines at the top, one per line of text;
    /// control characters in it are replaced so the comment stays valid.
    ///
    /// Values this TOML subset cannot express — a table inside an inline
    /// array that is not purely an array of tables — are written as TOML
    /// inline tables. That is valid TOML, but `TOMLParser` rejects it, so a
    /// caller that builds such a value fails loudly on reload instead of
    /// silently losing data. Tables from `TOMLParser` never contain them.
    package static func render(_ table: TOMLTable, header: String? = nil) -> String {
        var out = ""
        if let header {
            var text = Substring(header)
            while let last = text.last, last.isNewline { text.removeLast() }
            for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
                let clean = sanitizeComment(line)
                out += clean.isEmpty ? "#\n" : "# \(clean)\n"
            }
        }
        var body = ""
        writeTable(table, path: [], kind: .root, into: &body)
        if !out.isEmpty && !body.isEmpty { out += "\n" }
        return out + body
    }

    /// Renders a key bare when it only uses `A-Z a-z 0-9 _ -` (and is not
    /// empty), quoted otherwise.
    package static func renderKey(_ key: String) -> String {
        let isBare =
            !key.isEmpty
            && key.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A)
                    || b == 0x5F || b == 0x2D
            }
        return isBare ? key : quote(key)
    }

    /// Renders `text` as a TOML basic string: quotes, backslashes and all
    /// control characters are escaped; other Unicode is written as is.
    package static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let digits = String(scalar.value, radix: 16, uppercase: true)
                out += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
        return out
    }

    // MARK: - Sections

    private enum SectionKind { case root, table, arrayElement }

    private static func writeTable(
        _ table: TOMLTable,
        path: [String],
        kind: SectionKind,
        into out: inout String
    ) {
        var plain: [(key: String, value: TOMLValue)] = []
        var nested: [(key: String, value: TOMLValue)] = []
        for entry in table.entries {
            if isSection(entry.value) { nested.append(entry) } else { plain.append(entry) }
        }

        let name = path.map(renderKey).joined(separator: ".")
        switch kind {
        case .root:
            break
        case .table:
            // A table holding only sub-sections is created implicitly by
            // their headers, so `[a]` above `[a.b]` would be noise.
            if !plain.isEmpty || nested.isEmpty { startSection("[\(name)]", into: &out) }
        case .arrayElement:
            startSection("[[\(name)]]", into: &out)
        }

        for (key, value) in plain {
            out += "\(renderKey(key)) = \(renderValue(value, multiline: true))\n"
        }

        for (key, value) in nested {
            switch value {
            case .table(let sub):
                writeTable(sub, path: path + [key], kind: .table, into: &out)
            case .array(let elements):
                for case .table(let element) in elements {
                    writeTable(element, path: path + [key], kind: .arrayElement, into: &out)
                }
            default:
                break
            }
        }
    }

    /// Sections are separated from what precedes them by a blank line.
    private static func startSection(_ header: String, into out: inout String) {
        if !out.isEmpty { out += "\n" }
        out += header + "\n"
    }

    /// Whether a value is written as its own `[...]` / `[[...]]` section.
    /// An empty array stays inline (`key = []`): it has no tables to head.
    private static func isSection(_ value: TOMLValue) -> Bool {
        switch value {
        case .table:
            return true
        case .array(let elements):
            return !elements.isEmpty && elements.allSatisfy { if case .table = $0 { true } else { false } }
        default:
            return false
        }
    }

    // MARK: - Values

    private static func renderValue(_ value: TOMLValue, multiline: Bool = false) -> String {
        switch value {
        case .string(let s):
            return quote(s)
        case .integer(let i):
            return String(i)
        case .boolean(let b):
            return b ? "true" : "false"
        case .array(let elements):
            let items = elements.map { renderValue($0) }
            let inline = "[" + items.joined(separator: ", ") + "]"
            guard multiline, inline.count > maximumInlineArrayWidth else { return inline }
            return "[\n" + items.map { "  \($0),\n" }.joined() + "]"
        case .table(let table):
            // Only reachable for values outside the subset; see `render`.
            let fields = table.entries.map { "\(renderKey($0.key)) = \(renderValue($0.value))" }
            return fields.isEmpty ? "{}" : "{ " + fields.joined(separator: ", ") + " }"
        }
    }

    /// Keeps a header line a valid comment: TOML forbids control characters
    /// other than tab in comments.
    private static func sanitizeComment(_ line: Substring) -> String {
        var out = ""
        for scalar in line.unicodeScalars {
            if (scalar.value < 0x20 && scalar != "\t") || scalar.value == 0x7F {
                out.unicodeScalars.append("\u{FFFD}")
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
