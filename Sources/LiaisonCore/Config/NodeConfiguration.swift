import LiaisonCrypto

/// A node's `liaison.toml`: who it is, where its keys are, and local policy
/// settings. Written once by `liaison init`, then owned by the operator.
public struct NodeConfiguration: Sendable {
    /// The node's name.
    public var name: String
    /// When the node was created (Unix seconds).
    public var created: Int64
    /// The organisation operating the node (`[node] organisation`; nil: unset).
    /// TLP:AMBER is forwarded only to peers of the same organisation.
    public var organisation: String?
    /// TCP listen addresses for the daemon, `host:port`.
    public var listen: [String]
    /// The addresses the node's card gives partners to dial (`[node] advertise`; nil:
    /// the listen addresses). Needed when the daemon listens on a wildcard address
    /// (`0.0.0.0:7401`) or behind NAT.
    public var advertise: [String]?
    /// How long node cards are valid, in days.
    public var cardValidityDays: Int
    /// The secret key file, relative to the node's home unless absolute.
    public var keyFile: String
    /// How the key file is protected.
    public var protection: KeyProtection
    /// The node's public keys (a check against the key file).
    public var publicKeys: NodePublicKeys
    /// The fingerprint the audit log is named after (`[keys] log-name`), set when the
    /// node rotates its identity: a log keeps its name (origin) for life. nil: the
    /// node's own fingerprint.
    public var logName: NodeFingerprint?
    /// The classification ladder, lowest first.
    public var classifications: [String]
    /// Expiry applied to packages sealed without `--expires`, in seconds (nil: none).
    public var defaultExpiry: Int64?
    /// Peers pinned in the configuration file by hand (in addition to the keyring).
    public var pinnedPeers: [PeerRecord]
    /// Timers and limits of the daemon (`[daemon]`).
    public var daemon: DaemonTunables
    /// Who may use the control socket, and as what (`[access]`).
    public var access: AccessSettings
    /// The audit log's place, checkpoint interval and witnesses (`[audit]`).
    public var audit: AuditSettings

    /// The default classification ladder.
    public static let defaultClassifications = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"]

    /// A configuration for a new node.
    public init(name: String, created: Int64, listen: [String], publicKeys: NodePublicKeys, protection: KeyProtection) {
        self.name = name
        self.created = created
        self.listen = listen
        self.cardValidityDays = 365
        self.keyFile = "keys/node.secrets"
        self.protection = protection
        self.publicKeys = publicKeys
        self.classifications = Self.defaultClassifications
        self.defaultExpiry = 30 * 86_400
        self.pinnedPeers = []
        self.daemon = DaemonTunables()
        self.access = AccessSettings()
        self.audit = AuditSettings()
    }

    /// Parses `liaison.toml` text. Unknown keys are errors, so typos are caught.
    public init(parsing text: String, path: String = "liaison.toml") throws {
        do {
            let root = try TOMLParser.parse(text)
            try root.rejectUnknownKeys(allowed: ["node", "keys", "policy", "peer", "daemon", "access", "audit"])
            guard let node = try root.table("node"), let keys = try root.table("keys") else {
                throw TOMLError(line: 1, column: 1, reason: "the [node] and [keys] sections are required")
            }
            try node.rejectUnknownKeys(allowed: ["name", "created", "listen", "advertise", "card-validity-days", "organisation"])
            let name = try node.requiredString("name")
            try node.checked("name") { try NodeName.validate(name) }
            self.name = name
            let createdText = try node.requiredString("created")
            created = try node.checked("created") {
                guard let t = Timestamp.parse(createdText) else { throw CoreError(.malformedConfig, "not an RFC 3339 time") }
                return t
            }
            let listen = try node.stringArray("listen") ?? []
            self.listen = listen
            for address in listen { try node.checked("listen") { try NetworkAddress.validate(address) } }
            advertise = try node.stringArray("advertise")
            for address in advertise ?? [] { try node.checked("advertise") { try NetworkAddress.validateDialable(address) } }
            let validity = try node.integer("card-validity-days") ?? 365
            guard (1...3650).contains(validity) else {
                throw node.error(forKey: "card-validity-days", "card-validity-days must be 1…3650")
            }
            cardValidityDays = Int(validity)
            organisation = try node.string("organisation").map { text in try node.checked("organisation") { try OrganisationName.validate(text) } }

            try keys.rejectUnknownKeys(allowed: ["file", "protection", "identity", "encryption", "transport", "log", "log-name"])
            keyFile = try keys.string("file") ?? "keys/node.secrets"
            let protectionName = try keys.string("protection") ?? "argon2id"
            switch protectionName {
            case "argon2id": protection = .argon2id
            case "none": protection = .none
            default: throw keys.error(forKey: "protection", "protection must be \"argon2id\" or \"none\"")
            }
            let identity = try keys.requiredString("identity"), encryption = try keys.requiredString("encryption")
            let transport = try keys.requiredString("transport"), log = try keys.requiredString("log")
            publicKeys = NodePublicKeys(
                identity: try keys.checked("identity") { try KeyText.decode(identity, field: "identity") },
                encryption: try keys.checked("encryption") { try KeyText.decode(encryption, field: "encryption") },
                transport: try keys.checked("transport") { try KeyText.decode(transport, field: "transport") },
                log: try keys.checked("log") { try KeyText.decode(log, field: "log") })
            logName = try keys.string("log-name").map { text in try keys.checked("log-name") { try NodeFingerprint(parsing: text) } }

            let policy = try root.table("policy") ?? TOMLTable()
            try policy.rejectUnknownKeys(allowed: ["classifications", "default-expiry"])
            classifications = try policy.stringArray("classifications") ?? Self.defaultClassifications
            let ladder = classifications
            classifications = try policy.checked("classifications") {
                let labels = try ladder.map { try Markings.label($0, field: "classification") }
                guard !labels.isEmpty, Set(labels).count == labels.count else {
                    throw CoreError(.malformedConfig, "the ladder must list at least one classification, each once")
                }
                return labels
            }
            if let expiry = try policy.string("default-expiry") {
                defaultExpiry = expiry == "never" ? nil : try policy.checked("default-expiry") { try Timestamp.parseDuration(expiry) }
            } else {
                defaultExpiry = 30 * 86_400
            }
            pinnedPeers = try (root.tableArray("peer") ?? []).map { try PeerRecord(table: $0) }
            daemon = try (root.table("daemon")).map(DaemonTunables.init(table:)) ?? DaemonTunables()
            access = try (root.table("access")).map(AccessSettings.init(table:)) ?? AccessSettings()
            audit = try (root.table("audit")).map(AuditSettings.init(table:)) ?? AuditSettings()
        } catch {
            throw CoreError.config(path, error)
        }
    }

    /// The addresses the node's card lists: ``advertise`` if set, else ``listen``.
    public var cardAddresses: [String] { advertise ?? listen }

    /// The fingerprint that names this node's audit log (see ``logName``).
    public var logFingerprint: NodeFingerprint { logName ?? publicKeys.fingerprint }

    /// Whether `card` is this node's: its current keys, the keys its log began
    /// under, or a card claiming its log.
    public func isOwn(_ card: NodeCard) -> Bool {
        card.keys.identity == publicKeys.identity || card.fingerprint == logFingerprint || card.auditLogFingerprint == logFingerprint
    }

    /// The canonical text written by `liaison init`, with comments for the operator.
    public var rendered: String {
        var node = TOMLTable([("name", .string(name)), ("created", .string(Timestamp.iso8601(created))),
                              ("listen", .array(listen.map { .string($0) })), ("card-validity-days", .integer(Int64(cardValidityDays)))])
        if let advertise { node["advertise"] = .array(advertise.map { .string($0) }) }
        if let organisation { node["organisation"] = .string(organisation) }
        let keys = TOMLTable([("file", .string(keyFile)), ("protection", .string(protection.name)),
                              ("identity", .string(KeyText.encode(publicKeys.identity))),
                              ("encryption", .string(KeyText.encode(publicKeys.encryption))),
                              ("transport", .string(KeyText.encode(publicKeys.transport))),
                              ("log", .string(KeyText.encode(publicKeys.log)))]
                             + (logName.map { [("log-name", TOMLValue.string($0.description))] } ?? []))
        var policy = TOMLTable([("classifications", .array(classifications.map { .string($0) }))])
        policy["default-expiry"] = .string(defaultExpiry.map(Timestamp.durationText) ?? "never")
        var root = TOMLTable([("node", .table(node)), ("keys", .table(keys)), ("policy", .table(policy))])
        if !pinnedPeers.isEmpty { root["peer"] = .array(pinnedPeers.map { .table($0.table) }) }
        return TOMLWriter.render(root, header: """
            Liaison node configuration (see Keys.example for every option).
            [keys] holds public keys only; the secrets are in the encrypted key file.
            Peers added with `liaison peers import` live in keyring.toml beside this file.
            """)
    }
}
