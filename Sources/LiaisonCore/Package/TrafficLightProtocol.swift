/// FIRST's Traffic Light Protocol 2.0 labels, ordered from least to most restrictive.
public enum TrafficLightProtocol: UInt8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// TLP:CLEAR — may be shared without restriction.
    case clear = 0
    /// TLP:GREEN — within the recipient's community.
    case green = 1
    /// TLP:AMBER — within the recipient's organisation and its clients, need to know.
    case amber = 2
    /// TLP:AMBER+STRICT — within the recipient's organisation only.
    case amberStrict = 3
    /// TLP:RED — for the named recipients only; never onward.
    case red = 4

    /// The canonical label, e.g. `AMBER+STRICT`.
    public var label: String {
        switch self {
        case .clear: "CLEAR"
        case .green: "GREEN"
        case .amber: "AMBER"
        case .amberStrict: "AMBER+STRICT"
        case .red: "RED"
        }
    }

    public var description: String { "TLP:\(label)" }

    /// Parses `RED`, `tlp:amber+strict`, `amber-strict`, … (case-insensitive).
    /// TLP 1.0's `WHITE` is accepted as `CLEAR`, as TLP 2.0 prescribes.
    public init(parsing text: String) throws {
        // A canonical label (as stored, and as the CLI sends it) needs no normalising:
        // this runs for every package the outbox lists.
        if let canonical = Self.allCases.first(where: { $0.label == text }) {
            self = canonical
            return
        }
        var t = text.uppercased().trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("TLP:") { t.removeFirst(4) }
        switch t {
        case "CLEAR", "WHITE": self = .clear
        case "GREEN": self = .green
        case "AMBER": self = .amber
        case "AMBER+STRICT", "AMBER-STRICT", "AMBER_STRICT": self = .amberStrict
        case "RED": self = .red
        default:
            throw CoreError(.invalidMarkings, "unknown TLP level \"\(text.prefix(32))\"; use one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED")
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

import Foundation
