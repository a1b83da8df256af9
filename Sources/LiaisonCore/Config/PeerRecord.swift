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
    /// Whether an operator chose ``maximumTLP`` (`peers set --max-tlp`, or at
    /// import): a chosen maximum stays as it is whatever the trust; one not chosen is
    /// the trust level's default and follows `set-trust`. Kept in the keyring as
    /// `max-tlp-chosen = true`; a record without it (written before 2026-11-30) counts
    /// as chosen when its maximum differs from its trust level's default, the only
    /// way those records told the two apart.
    public var maximumTLPChosen = false
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
    /// The keys it had before its last rotation, still accepted until
    /// ``previousUntil`` (handshakes from the old transport key, packages and receipts
    /// signed by the old identity key, packages sealed to it earlier). nil: none.
    public var previousKeys: NodePublicKeys?
    /// End of the overlap window of ``previousKeys`` (Unix seconds).
    public var previousUntil: Int64?
    /// The fingerprint it is filed under for life — its packages, limits, handshake
    /// replay state — when it rotated its identity since it was added here (the one it
    /// had then; also its audit log's name, unless ``auditLogName`` says otherwise).
    /// nil: its fingerprint.
    public var logName: NodeFingerprint?
    /// The fingerprint its audit log and witness key are named after, when its card
    /// proved one other than ``logFingerprint`` (``NodeCard/logOrigin``: a partner
    /// added after it rotated). Used for those names alone, never to file the peer
    /// by: the proof binds the name to the log key, so another node copying it
    /// could sign nothing under it, but could take it (nil: ``logFingerprint``).
    public var auditLogName: NodeFingerprint?

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

    /// The fingerprint it is filed under for life (see ``logName``).
    public var logFingerprint: NodeFingerprint { logName ?? fingerprint }

    /// The fingerprint its audit log and its witness key are named after
    /// (``auditLogName``, else ``logFingerprint``).
    public var auditLogFingerprint: NodeFingerprint { auditLogName ?? logFingerprint }

    /// Its previous keys while their overlap window is open at `now`.
    public func previousKeys(at now: Int64) -> NodePublicKeys? {
        guard let previousKeys, let previousUntil, now < previousUntil else { return nil }
        return previousKeys
    }

    /// Whether `key` is its identity key, or its previous one during the overlap.
    public func hasIdentity(_ key: IdentityPublicKey, at now: Int64) -> Bool {
        key == keys.identity || previousKeys(at: now)?.identity == key
    }

    /// Whether `fingerprint` is its node id, or its previous one during the overlap.
    public func hasIdentityFingerprint(_ fingerprint: NodeFingerprint, at now: Int64) -> Bool {
        fingerprint == self.fingerprint || previousKeys(at: now)?.fingerprint == fingerprint
    }

    /// Whether `raw` is its transport key, or its previous one during the overlap
    /// (compared in constant time).
    public func hasTransportKey(_ raw: [UInt8], at now: Int64) -> Bool {
        let current = Sodium.constantTimeEquals(keys.transport.rawRepresentation, raw)
        let previous = previousKeys(at: now).map { Sodium.constantTimeEquals($0.transport.rawRepresentation, raw) } ?? false
        return current || previous
    }

    /// This record after the peer rotated to `card`: the current keys become the
    /// previous ones until `overlapUntil`, the card's keys and addresses the current
    /// ones; name, trust, limits, clearance, communities and organisation stay.
    public func rotated(to card: NodeCard, overlapUntil: Int64) -> PeerRecord {
        var next = self
        next.logName = logFingerprint
        next.previousKeys = keys
        next.previousUntil = overlapUntil
        next.keys = card.keys
        next.addresses = card.addresses
        next.validUntil = card.validUntil
        return next
    }

    /// This record without previous keys whose overlap has ended by `now`.
    public func droppingExpiredPreviousKeys(at now: Int64) -> PeerRecord {
        guard previousKeys != nil, previousKeys(at: now) == nil else { return self }
        var next = self
        next.previousKeys = nil
        next.previousUntil = nil
        return next
    }

    /// A peer made from a verified card (its log named as the card proves).
    public init(name: String, card: NodeCard, trust: TrustLevel, added: Int64) {
        self.name = name
        self.keys = card.keys
        self.auditLogName = card.logOrigin?.fingerprint
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
                                          "organisation", "max-package-bytes", "packages-per-minute", "bytes-per-day",
                                          "previous-identity", "previous-encryption", "previous-transport", "previous-log",
                                          "previous-until", "log-name", "audit-log-name", "max-tlp-chosen"])
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
        maximumTLPChosen = try t.boolean("max-tlp-chosen") ?? (maximumTLP != Self.defaultMaximumTLP(for: trustLevel))
        clearance = try t.string("clearance").map { text in try t.checked("clearance") { try Markings.label(text, field: "clearance") } }
        communities = try (t.stringArray("communities") ?? []).map { text in try t.checked("communities") { try Markings.label(text, field: "community") } }
        organisation = try t.string("organisation").map { text in try t.checked("organisation") { try OrganisationName.validate(text) } }
        for (key, path) in [("max-package-bytes", \InboundLimits.maximumPackageBytes), ("packages-per-minute", \InboundLimits.packagesPerMinute),
                            ("bytes-per-day", \InboundLimits.bytesPerDay)] {
            guard let value = try t.integer(key) else { continue }
            guard value > 0 else { throw t.error(forKey: key, "\(t.keyPath(key)) must be positive") }
            inboundLimits[keyPath: path] = value
        }
        let previousFields = ["previous-identity", "previous-encryption", "previous-transport", "previous-log", "previous-until"]
        if let identity = try t.string("previous-identity") {
            let encryption = try t.requiredString("previous-encryption"), transport = try t.requiredString("previous-transport")
            let log = try t.requiredString("previous-log")
            previousKeys = NodePublicKeys(
                identity: try t.checked("previous-identity") { try KeyText.decode(identity, field: "previous identity") },
                encryption: try t.checked("previous-encryption") { try KeyText.decode(encryption, field: "previous encryption") },
                transport: try t.checked("previous-transport") { try KeyText.decode(transport, field: "previous transport") },
                log: try t.checked("previous-log") { try KeyText.decode(log, field: "previous log") })
            guard let until = try Self.time(t, "previous-until") else {
                throw t.error(forKey: "previous-identity", "\(t.keyPath("previous-identity")) needs previous-until (the end of the overlap)")
            }
            previousUntil = until
        } else if let stray = try previousFields.first(where: { try t.string($0) != nil }) {
            throw t.error(forKey: stray, "\(t.keyPath(stray)) needs previous-identity")
        }
        logName = try t.string("log-name").map { text in try t.checked("log-name") { try NodeFingerprint(parsing: text) } }
        auditLogName = try t.string("audit-log-name").map { text in try t.checked("audit-log-name") { try NodeFingerprint(parsing: text) } }
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
        if maximumTLPChosen { t["max-tlp-chosen"] = .boolean(true) }
        if let clearance { t["clearance"] = .string(clearance) }
        if !communities.isEmpty { t["communities"] = .array(communities.map { .string($0) }) }
        if let organisation { t["organisation"] = .string(organisation) }
        if let v = inboundLimits.maximumPackageBytes { t["max-package-bytes"] = .integer(v) }
        if let v = inboundLimits.packagesPerMinute { t["packages-per-minute"] = .integer(v) }
        if let v = inboundLimits.bytesPerDay { t["bytes-per-day"] = .integer(v) }
        t["revoked"] = .boolean(revoked)
        if added != 0 { t["added"] = .string(Timestamp.iso8601(added)) }
        if let previousKeys, let previousUntil {
            t["previous-identity"] = .string(KeyText.encode(previousKeys.identity))
            t["previous-encryption"] = .string(KeyText.encode(previousKeys.encryption))
            t["previous-transport"] = .string(KeyText.encode(previousKeys.transport))
            t["previous-log"] = .string(KeyText.encode(previousKeys.log))
            t["previous-until"] = .string(Timestamp.iso8601(previousUntil))
        }
        if let logName, logName != fingerprint { t["log-name"] = .string(logName.description) }
        if let auditLogName, auditLogName != logFingerprint { t["audit-log-name"] = .string(auditLogName.description) }
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
