/// `manifest.json` of an ``AuditBundle``: what was exported, when and by whom.
///
/// It is informational only: verification never reads it, since anyone who can
/// alter a bundle can alter its manifest. It is written as one line of JSON
/// with members in a fixed order; reading accepts any JSON object with these
/// members as strings (and `entries` as a number), ignoring others.
public struct AuditBundleManifest: Hashable, Sendable, Codable {
    /// Always ``AuditBundle/format`` for bundles this code writes.
    public var format: String
    /// The log's origin (its log key's name).
    public var origin: String
    /// The exporting node's name.
    public var node: String
    /// The exporting node's fingerprint.
    public var fingerprint: String
    /// The number of entries exported.
    public var entries: Int
    /// When the export finished, RFC 3339 in UTC, e.g. `2025-01-02T03:04:05Z`.
    public var exported: String

    /// A manifest from its parts.
    public init(format: String = AuditBundle.format, origin: String, node: String, fingerprint: String, entries: Int, exported: String) {
        self.format = format
        self.origin = origin
        self.node = node
        self.fingerprint = fingerprint
        self.entries = entries
        self.exported = exported
    }

    /// The file contents: one line of JSON and a newline.
    public var json: [UInt8] {
        var out = Array("{".utf8)
        for (number, (key, value)) in [("format", format), ("origin", origin), ("node", node), ("fingerprint", fingerprint)].enumerated() {
            if number > 0 { out.append(UInt8(ascii: ",")) }
            out += JSONText.quoted(key) + [UInt8(ascii: ":")] + JSONText.quoted(value)
        }
        out += Array(#","entries":\#(entries),"exported":"#.utf8) + JSONText.quoted(exported)
        return out + Array("}\n".utf8)
    }

    /// Parses a manifest; throws ``AuditError/Code/malformedBundle`` unless it is
    /// a JSON object holding every member.
    public init(json bytes: [UInt8]) throws {
        var parser = JSONText.FlatObjectParser(bytes: bytes)
        guard let members = parser.parse() else {
            throw Self.malformed("it is not a JSON object of strings and numbers")
        }
        func text(_ key: String) throws -> String {
            guard case .string(let value)? = members[key] else { throw Self.malformed("\"\(key)\" is missing or not a string") }
            return value
        }
        guard case .integer(let entries)? = members["entries"], entries >= 0 else {
            throw Self.malformed("\"entries\" is missing or not a non-negative integer")
        }
        self.init(format: try text("format"), origin: try text("origin"), node: try text("node"),
                  fingerprint: try text("fingerprint"), entries: entries, exported: try text("exported"))
    }

    /// `unixSeconds` as RFC 3339 in UTC, e.g. `1970-01-01T00:00:00Z`, for ``exported``.
    public static func timestamp(unixSeconds: Int64) -> String {
        // Days to civil date: Howard Hinnant's algorithm, valid for all Int64 days here.
        let days = unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400
        let seconds = unixSeconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2))Z"
    }

    private static func malformed(_ detail: String) -> AuditError {
        AuditError(.malformedBundle, "\(AuditBundle.manifestFile) is malformed (\(detail)); it is informational only, so verification does not depend on it")
    }
}
