/// The `[access]` section of `liaison.toml`: who may use the control socket, and as
/// what. The socket's file mode decides who can connect; these groups decide the role
/// of whoever did (by the caller's SO_PEERCRED uid and its groups).
public struct AccessSettings: Sendable, Equatable {
    /// Members may run every command. The daemon's own user and root always may.
    public var operatorGroups: [String] = []
    /// Members may only read (status, receipts; the audit log when it lands).
    public var auditorGroups: [String] = []

    /// No groups: only the daemon's user and root.
    public init() {}

    init(table: TOMLTable) throws {
        try table.rejectUnknownKeys(allowed: ["operator-groups", "auditor-groups"])
        operatorGroups = try table.stringArray("operator-groups") ?? []
        auditorGroups = try table.stringArray("auditor-groups") ?? []
    }
}
