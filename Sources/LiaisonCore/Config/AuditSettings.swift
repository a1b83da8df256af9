/// The `[audit]` section of `liaison.toml`: where the audit log lives, how often
/// the daemon signs a checkpoint of it, and which peers witness it.
public struct AuditSettings: Sendable, Equatable {
    /// The audit database, relative to the node's home unless absolute. A separate
    /// volume keeps a full data disk from stopping the audit, and the reverse.
    public var database = "audit.db"
    /// Seconds between periodic checkpoints (signed only when the log grew).
    public var checkpointIntervalSeconds: Int64 = 300
    /// Peers asked to cosign this node's checkpoints; nil: every unrevoked peer
    /// trusted as `partner` or `trusted`.
    public var witnesses: [String]?

    /// The defaults.
    public init() {}

    init(table: TOMLTable) throws {
        try table.rejectUnknownKeys(allowed: ["database", "checkpoint-interval-seconds", "witnesses"])
        if let database = try table.string("database") {
            guard !database.isEmpty, !database.contains("\0") else {
                throw CoreError(.malformedConfig, "[audit] database must be a file path")
            }
            self.database = database
        }
        if let interval = try table.integer("checkpoint-interval-seconds") {
            guard (1...86_400).contains(interval) else {
                throw CoreError(.malformedConfig, "[audit] checkpoint-interval-seconds must be between 1 and 86400 (got \(interval))")
            }
            checkpointIntervalSeconds = interval
        }
        witnesses = try table.stringArray("witnesses")
    }

    /// The audit database's path for a node whose home is `home`.
    public func databasePath(home: String) -> String {
        database.hasPrefix("/") ? database : home + "/" + database
    }
}
