/// The handling markings of a package, bound into its signed header.
public struct Markings: Hashable, Sendable {
    /// The TLP 2.0 label.
    public var tlp: TrafficLightProtocol
    /// A classification label from the operator's ladder, e.g. `RESTRICTED`.
    public var classification: String
    /// Releasability communities (`REL TO: NATO, EU`), upper case, sorted, unique.
    public var releasableTo: [String]
    /// Free-text handling caveats, e.g. `NOFORN`, `EXDIS`.
    public var caveats: [String]

    /// Validates and normalises markings. Labels are ASCII letters, digits and
    /// ` +-_/.`; at most 64 bytes each and 32 entries per list.
    public init(tlp: TrafficLightProtocol, classification: String = "UNCLASSIFIED", releasableTo: [String] = [], caveats: [String] = []) throws {
        self.tlp = tlp
        self.classification = try Self.label(classification, field: "classification")
        let communities = try releasableTo.map { try Self.label($0, field: "releasability community") }
        self.releasableTo = Array(Set(communities)).sorted()
        self.caveats = try caveats.map { try Self.label($0, field: "caveat") }
        guard self.releasableTo.count <= Self.maximumListCount, self.caveats.count <= Self.maximumListCount else {
            throw CoreError(.invalidMarkings, "at most \(Self.maximumListCount) releasability communities and \(Self.maximumListCount) caveats")
        }
    }

    /// Longest label in bytes.
    public static let maximumLabelLength = 64
    /// Most entries in a list.
    public static let maximumListCount = 32

    /// The classification banner for people, e.g. `TLP:AMBER · RESTRICTED · REL TO NATO, EU`.
    public var banner: String {
        var parts = [tlp.description, classification]
        if !releasableTo.isEmpty { parts.append("REL TO " + releasableTo.joined(separator: ", ")) }
        if !caveats.isEmpty { parts.append(caveats.joined(separator: " ")) }
        return parts.joined(separator: " · ")
    }

    static func label(_ raw: String, field: String) throws -> String {
        // Spaces and tabs around it go, exactly those Foundation's `.whitespaces` trims
        // (space separators, tab, zero-width space); upper-case ASCII only: Unicode
        // upper-casing would turn "straße" into "STRASSE".
        func isBlank(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar == "\u{200B}" || scalar.properties.generalCategory == .spaceSeparator
        }
        var scalars = raw.unicodeScalars[...]
        while let first = scalars.first, isBlank(first) { scalars.removeFirst() }
        while let last = scalars.last, isBlank(last) { scalars.removeLast() }
        var upper = String.UnicodeScalarView()
        var valid = true
        for scalar in scalars {
            switch scalar {
            case "a"..."z": upper.append(Unicode.Scalar(scalar.value - 32)!)
            case "A"..."Z", "0"..."9", " ", "+", "-", "_", "/", ".": upper.append(scalar)
            default: valid = false
            }
        }
        let value = String(upper)
        guard valid, !value.isEmpty, value.utf8.count <= maximumLabelLength else {
            throw CoreError(.invalidMarkings, "\(field) \"\(raw.prefix(64))\" must be 1–\(maximumLabelLength) ASCII letters, digits or ' +-_/.'")
        }
        return value
    }
}

import Foundation
