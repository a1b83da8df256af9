/// The result of `keys.revoke`: this node's key is revoked, and which partners
/// were told on the spot.
public struct RevocationReport: Codable, Sendable, Equatable {
    /// This node's id (the revoked key's fingerprint).
    public var node: String
    /// When the node revoked itself (RFC 3339).
    public var revokedAt: String
    /// The reason in the statement.
    public var reason: String
    /// Where the signed statement is kept, to hand out by other means.
    public var statementPath: String
    /// Peers that received and accepted the statement now.
    public var told: [String]
    /// Peers that could not be told, with why; run `liaison keys revoke` again to retry them.
    public var unreached: [UnreachedPeer]
    /// Whether the node had revoked its key before this request, which then only sent
    /// the same statement (its time and reason unchanged) to partners not told yet.
    public var repeated: Bool

    /// A peer the statement did not reach.
    public struct UnreachedPeer: Codable, Sendable, Equatable {
        /// The peer's name.
        public var peer: String
        /// Why (connection refused, timed out, …).
        public var reason: String

        /// Creates an entry.
        public init(peer: String, reason: String) {
            self.peer = peer
            self.reason = reason
        }
    }

    private enum CodingKeys: String, CodingKey { case node, revokedAt, reason, statementPath, told, unreached, repeated }

    /// Decodes a report; one from a daemon older than ``repeated`` reads as a first revocation.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(node: try c.decode(String.self, forKey: .node), revokedAt: try c.decode(String.self, forKey: .revokedAt),
                  reason: try c.decode(String.self, forKey: .reason), statementPath: try c.decode(String.self, forKey: .statementPath),
                  told: try c.decode([String].self, forKey: .told), unreached: try c.decode([UnreachedPeer].self, forKey: .unreached),
                  repeated: try c.decodeIfPresent(Bool.self, forKey: .repeated) ?? false)
    }

    /// Creates a report.
    public init(node: String, revokedAt: String, reason: String, statementPath: String, told: [String], unreached: [UnreachedPeer],
                repeated: Bool = false) {
        self.repeated = repeated
        self.node = node
        self.revokedAt = revokedAt
        self.reason = reason
        self.statementPath = statementPath
        self.told = told
        self.unreached = unreached
    }
}
