/// How far this node trusts a peer. The order matters: policy compares levels.
public enum TrustLevel: String, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    /// Nothing is sent to or accepted from this peer.
    case blocked
    /// Only TLP:CLEAR and TLP:GREEN, UNCLASSIFIED material.
    case limited
    /// A partner organisation: up to its configured clearance.
    case partner
    /// A closely allied node: up to its configured clearance, may receive TLP:RED.
    case trusted

    /// Parses a level name (case-insensitive).
    public init(parsing text: String) throws {
        guard let level = TrustLevel(rawValue: text.lowercased()) else {
            throw CoreError(.invalidArgument, "unknown trust level \"\(text.prefix(32))\"; use one of blocked, limited, partner, trusted")
        }
        self = level
    }

    private var rank: Int { TrustLevel.allCases.firstIndex(of: self) ?? 0 }
    public static func < (lhs: TrustLevel, rhs: TrustLevel) -> Bool { lhs.rank < rhs.rank }
    public var description: String { rawValue }
}
