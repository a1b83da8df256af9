/// The result of `keys.rotate`: this node's new keys, and which partners took them.
public struct RotationReport: Codable, Sendable, Equatable {
    /// The node id before the rotation.
    public var previous: String
    /// The node id after it (the new identity key's fingerprint).
    public var node: String
    /// When the node rotated (RFC 3339).
    public var rotatedAt: String
    /// Until when partners also accept the previous keys (RFC 3339).
    public var overlapUntil: String
    /// Where the signed statement is kept.
    public var statementPath: String
    /// Where the new card is written (to hand to partners added later).
    public var cardPath: String
    /// Peers that received and accepted the statement now.
    public var told: [String]
    /// Peers that could not be told, with why; the daemon retries them during the overlap.
    public var unreached: [RevocationReport.UnreachedPeer]

    /// Creates a report.
    public init(previous: String, node: String, rotatedAt: String, overlapUntil: String, statementPath: String, cardPath: String,
                told: [String], unreached: [RevocationReport.UnreachedPeer]) {
        self.previous = previous
        self.node = node
        self.rotatedAt = rotatedAt
        self.overlapUntil = overlapUntil
        self.statementPath = statementPath
        self.cardPath = cardPath
        self.told = told
        self.unreached = unreached
    }
}
