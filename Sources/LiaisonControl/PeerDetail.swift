/// `peers.show`: one peer, its attributes, and what the policy does with each TLP level.
public struct PeerDetail: Codable, Sendable, Equatable {
    /// The peer as in `peers list` / `status`.
    public var status: PeerStatus
    /// Most sensitive TLP it may receive, its classification clearance and communities.
    public var maximumTLP: String
    /// Whether an operator chose `maximumTLP` (it then stays whatever the trust);
    /// false: the trust level's default, which follows `set-trust`. nil from a daemon
    /// before 2026-11-30.
    public var maximumTLPChosen: Bool?
    public var clearance: String
    public var communities: [String]
    /// Inbound limits (nil: none).
    public var maximumPackageBytes: Int64?
    public var packagesPerMinute: Int64?
    public var bytesPerDay: Int64?
    /// The effective policy: one row per TLP level at the peer's clearance.
    public var policy: [PolicyRow]
    /// After a change (`peers set-trust`, `peers set`): how many packages queued for
    /// the peer its new policy refuses (each fails, audited, when it would next
    /// leave); nil when not asked.
    public var queuedNowRefused: Int?
    /// After `peers set`: each attribute that changed, `name: old → new` (empty when
    /// nothing differs); nil when not asked.
    public var changes: [String]?

    /// One TLP level: may we send it to the peer, and accept it from the peer, and up
    /// to which classification of the ladder (at most the peer's clearance)?
    public struct PolicyRow: Codable, Sendable, Equatable {
        public var tlp: String
        /// `allowed` if allowed at some classification up to the clearance, else `denied`.
        public var send: String
        /// The rule at the highest classification allowed, or, when none is, at the lowest rung.
        public var sendRule: String
        /// The highest classification at which it is allowed (nil: denied at every one).
        public var sendUpTo: String?
        public var receive: String
        public var receiveRule: String
        public var receiveUpTo: String?

        public init(tlp: String, send: String, sendRule: String, sendUpTo: String? = nil,
                    receive: String, receiveRule: String, receiveUpTo: String? = nil) {
            self.tlp = tlp; self.send = send; self.sendRule = sendRule; self.sendUpTo = sendUpTo
            self.receive = receive; self.receiveRule = receiveRule; self.receiveUpTo = receiveUpTo
        }
    }

    public init(status: PeerStatus, maximumTLP: String, clearance: String, communities: [String], maximumPackageBytes: Int64?,
                packagesPerMinute: Int64?, bytesPerDay: Int64?, policy: [PolicyRow]) {
        self.status = status; self.maximumTLP = maximumTLP; self.clearance = clearance; self.communities = communities
        self.maximumPackageBytes = maximumPackageBytes; self.packagesPerMinute = packagesPerMinute; self.bytesPerDay = bytesPerDay
        self.policy = policy
    }
}
