import Foundation
import GRDB
import LiaisonAudit

/// What an auditor asks the log for. Every filter is optional; results come in
/// log order (or newest first), one page at a time.
public struct AuditQuery: Sendable, Hashable {
    /// Entries about this peer (fingerprint).
    public var peer: String?
    /// Entries about this package (32 hex digits).
    public var package: String?
    /// Entries of these kinds (any of them); empty means every kind.
    public var kinds: [AuditEventKind] = []
    /// Entries at or after this time (Unix milliseconds).
    public var since: Int64?
    /// Entries before this time (Unix milliseconds).
    public var until: Int64?
    /// Paging: entries with an index above this (oldest first) or below it (newest first).
    public var cursor: Int?
    /// Most entries returned.
    public var limit = 100
    /// Newest entries first.
    public var newestFirst = false

    /// A query with no filters.
    public init() {}
}

/// One entry of the log: its index (the leaf number) and its event.
public struct AuditEntry: Sendable, Hashable {
    /// The leaf index.
    public let index: Int
    /// The event.
    public let event: AuditEvent
    /// The canonical leaf bytes.
    public let leaf: [UInt8]
}

extension AuditLog {
    /// The entries matching `query`, using the peer, package, kind and time indexes.
    ///
    /// Throws ``StoreError/Code/corrupt`` naming the entry if a matching leaf is not
    /// a canonical event (the file was altered).
    public func query(_ query: AuditQuery) throws -> [AuditEntry] {
        precondition(query.limit >= 0, "a negative limit is a caller bug")
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let peer = query.peer { conditions.append("peer = ?"); arguments.append(peer) }
        if let package = query.package { conditions.append("package = ?"); arguments.append(package) }
        if !query.kinds.isEmpty {
            conditions.append("kind IN (\(Array(repeating: "?", count: query.kinds.count).joined(separator: ", ")))")
            arguments += query.kinds.map(\.rawValue)
        }
        if let since = query.since { conditions.append("time >= ?"); arguments.append(since) }
        if let until = query.until { conditions.append("time < ?"); arguments.append(until) }
        if let cursor = query.cursor {
            conditions.append(query.newestFirst ? "idx < ?" : "idx > ?")
            arguments.append(cursor)
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT idx, data FROM leaf \(filter) ORDER BY idx \(query.newestFirst ? "DESC" : "ASC") LIMIT ?"
        arguments.append(query.limit)
        return try read("query the audit log") { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                let index: Int = row[0]
                let data: Data = row[1]
                let leaf = Array(data)
                do {
                    return AuditEntry(index: index, event: try AuditEvent(canonicalBytes: leaf), leaf: leaf)
                } catch let error as AuditError {
                    throw StoreError(.corrupt, "audit entry \(index) cannot be read: \(error.message); run `liaison audit verify`")
                }
            }
        }
    }

    /// The index of the newest entry about `package`, optionally of one kind.
    public func newestEntry(package: String, kind: AuditEventKind? = nil) throws -> Int? {
        var query = AuditQuery()
        query.package = package
        query.kinds = kind.map { [$0] } ?? []
        query.newestFirst = true
        query.limit = 1
        return try self.query(query).first?.index
    }
}
