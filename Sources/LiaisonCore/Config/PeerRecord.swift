import LiaisonCrypto

/// A partner node in the keyring: its card's keys and addresses, and the trust
/// this node gives it.
public struct PeerRecord: Sendable, Hashable {
    /// Local name of the peer.
    public var name: String
    /// Its public keys (from its card).
    public var keys: NodePublicKeys
    /// Where its daemon listens.
    public var addresses: [String]
    /// How far it is trusted.
    public var trust: TrustLevel
    /// End of its card's validity (Unix seconds).
    public var validUntil: Int64
    /// Whether its identity key is revoked.
    public var revoked: Bool
    /// When it was added (Unix seconds).
    public var added: Int64
    /// The most sensitive TLP level it may receive (default by trust level).
    public var maximumTLP: TrafficLightProtocol
    /// Its classification clearance, a rung of the ladder (nil: the lowest rung).
    public var clearance: String?
    /// Releasability communities it belongs to.
    public var communities: [String]
    /// The organisation it belongs to (nil: unknown). TLP:AMBER is forwarded only to
    /// peers of this node's own organisation.
    public var organisation: String?
    /// Inbound limits on what this node accepts from the peer (nil: no limit beyond
    /// the daemon's `max-package-bytes`).
    public var inboundLimits = InboundLimits()

    /// The default maximum TLP for a trust level: conservative unless raised.
    public static func defaultMaximumTLP(for trust: TrustLevel) -> TrafficLightProtocol {
        switch trust {
        case .blocked, .limited: .green
        case .partner: .amberStrict
        case .trusted: .red
        }
    }

    /// What the access policy compares with a package's markings.
    public func policyClearance(ladder: [String]) -> PeerClearance {
        PeerClearance(trust: trust, revoked: revoked, maximumTLP: maximumTLP, clearance: clearance ?? ladder.first ?? "",
                      communities: Set(communities))
    }

    /// The node id.
    public var fingerprint: NodeFingerprint { keys.fingerprint }

    /// A peer made from a verified card.
    public init(name: String, card: NodeCard, trust: TrustLevel, added: Int64) {
        self.name = name
        self.keys = card.keys
        self.addresses = card.addresses
        self.trust = trust
        self.validUntil = card.validUntil
        self.revoked = false
        self.added = added
        self.maximumTLP = Self.defaultMaximumTLP(for: trust)
        self.clearance = nil
        self.communities = []
        self.organisation = nil
    }

    /// Parses a `[[peer]]` table. The `fingerprint` key, when present, must match
    /// the identity key: it catches a hand-edited key.
    init(table t: TOMLTable) throws {
        try t.rejectUnknownKeys(allowed: ["name", "fingerprint", "trust", "identity", "encryption", "transport", "log",
                                          "addresses", "valid-until", "revoked", "added", "max-tlp", "clearance", "communities",
                                          "organisation", "max-package-bytes", "packages-per-minute", "bytes-per-day"])
        name = try t.requiredString("name")
        let name = self.name
        try t.checked("name") { try NodeName.validate(name) }
        let identity = try t.requiredString("identity"), encryption = try t.requiredString("encryption")
        let transport = try t.requiredString("transport"), log = try t.requiredString("log")
        keys = NodePublicKeys(
            identity: try t.checked("identity") { try KeyText.decode(identity, field: "identity") },
            encryption: try t.checked("encryption") { try KeyText.decode(encryption, field: "encryption") },
            transport: try t.checked("transport") { try KeyText.decode(transport, field: "transport") },
            log: try t.checked("log") { try KeyText.decode(log, field: "log") })
        if let fingerprintText = try t.string("fingerprint") {
            let keys = self.keys
            try t.checked("fingerprint") {
                guard try NodeFingerprint(parsing: fingerprintText) == keys.fingerprint else {
                    throw CoreError(.fingerprintMismatch, "does not match the identity key")
                }
            }
        }
        let trustText = try t.string("trust") ?? "limited"
        trust = try t.checked("trust") { try TrustLevel(parsing: trustText) }
        addresses = try t.stringArray("addresses") ?? []
        for address in addresses { try t.checked("addresses") { try NetworkAddress.validate(address) } }
        validUntil = try Self.time(t, "valid-until") ?? Int64.max
        revoked = try t.boolean("revoked") ?? false
        added = try Self.time(t, "added") ?? 0
        let trustLevel = trust
        maximumTLP = try t.string("max-tlp").map { text in try t.checked("max-tlp") { try TrafficLightProtocol(parsing: text) } }
            ?? Self.defaultMaximumTLP(for: trustLevel)
        clearance = try t.string("clearance").map { text in try t.checked("clearance") { try Markings.label(text, field: "clearance") } }
        communities = try (t.stringArray("communities") ?? []).map { text in try t.checked("communities") { try Markings.label(text, field: "community") } }
        organisation = try t.string("organisation").map { text in try t.checked("organisation") { try OrganisationName.validate(text) } }
        for (key, path) in [("max-package-bytes", \InboundLimits.maximumPackageBytes), ("packages-per-minute", \InboundLimits.packagesPerMinute),
                            ("bytes-per-day", \InboundLimits.bytesPerDay)] {
            guard let value = try t.integer(key) else { continue }
            guard value > 0 else { throw t.error(forKey: key, "\(t.keyPath(key)) must be positive") }
            inboundLimits[keyPath: path] = value
        }
    }

    private static func time(_ t: TOMLTable, _ key: String) throws -> Int64? {
        guard let text = try t.string(key) else { return nil }
        return try t.checked(key) {
            guard let value = Timestamp.parse(text) else { throw CoreError(.malformedConfig, "not an RFC 3339 time") }
            return value
        }
    }

    /// The `[[peer]]` table form.
    var table: TOMLTable {
        var t = TOMLTable([("name", .string(name)), ("fingerprint", .string(fingerprint.description)),
                           ("trust", .string(trust.rawValue)),
                           ("identity", .string(KeyText.encode(keys.identity))),
                           ("encryption", .string(KeyText.encode(keys.encryption))),
                           ("transport", .string(KeyText.encode(keys.transport))),
                           ("log", .string(KeyText.encode(keys.log))),
                           ("addresses", .array(addresses.map { .string($0) }))])
        if validUntil != Int64.max { t["valid-until"] = .string(Timestamp.iso8601(validUntil)) }
        t["max-tlp"] = .string(maximumTLP.label)
        if let clearance { t["clearance"] = .string(clearance) }
        if !communities.isEmpty { t["communities"] = .array(communities.map { .string($0) }) }
        if let organisation { t["organisation"] = .string(organisation) }
        if let v = inboundLimits.maximumPackageBytes { t["max-package-bytes"] = .integer(v) }
        if let v = inboundLimits.packagesPerMinute { t["packages-per-minute"] = .integer(v) }
        if let v = inboundLimits.bytesPerDay { t["bytes-per-day"] = .integer(v) }
        t["revoked"] = .boolean(revoked)
        if added != 0 { t["added"] = .string(Timestamp.iso8601(added)) }
        return t
    }
}

/// Per-peer inbound limits: a flooding peer is slowed (refused for now, so it backs
/// off and retries) and an oversized package refused, without affecting other peers.
public struct InboundLimits: Sendable, Hashable {
    /// Largest package accepted from this peer.
    public var maximumPackageBytes: Int64?
    /// Packages accepted per minute (a token bucket with this burst).
    public var packagesPerMinute: Int64?
    /// Bytes accepted per rolling 24 hours.
    public var bytesPerDay: Int64?

    /// No limits.
    public init() {}
}
