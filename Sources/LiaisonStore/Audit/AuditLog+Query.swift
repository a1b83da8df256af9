import Foundation
import GRDB
import LiaisonAudit

/// What an auditor asks the log for. Every filter is optional; results come in
/// log order (or newest first), one page at a time.
public struct AuditQuery: Sendable, Hashable {
    /// Entries about any of these peers (fingerprints: a peer's successive keys,
    /// say); empty means every peer.
    public var peers: [String] = []
    /// Entries about this package (32 hex digits).
    public var package: String?
    /// Entries of these kinds (any of them); empty means every kind.
    public var kinds: [AuditEventKind] = []
    /// Entries with any of these outcomes; empty means every outcome.
    public var outcomes: [AuditOutcome] = []
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
    /// Past this many leaf bytes no further entry is added (the first always is):
    /// a page of large entries stays bounded in memory and on the wire.
    public var byteBudget = Int.max

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
    /// The entries matching `query`. A query by peer or package reads the query
    /// index (``LeafKeyIndex``): the merged B-tree, then the unmerged runs, which
    /// hold only newer entries (several peers: each one's, merged in log order).
    /// Other queries use the leaf table's own order and its time index.
    ///
    /// Throws ``StoreError/Code/corrupt`` naming the entry if a matching leaf is not
    /// a canonical event (the file was altered).
    public func query(_ query: AuditQuery) throws -> [AuditEntry] {
        precondition(query.limit >= 0, "a negative limit is a caller bug")
        let filter = LeafFilter(query)
        let order = query.newestFirst ? "DESC" : "ASC"
        let keys = query.package.map { [LeafKey.package($0)] } ?? Set(query.peers).sorted().map(LeafKey.peer)
        return try read("query the audit log") { db in
            var page = EntryPage(limit: query.limit, byteBudget: query.byteBudget)
            guard !keys.isEmpty else {
                try page.add(db, sql: "SELECT l.idx, l.data FROM leaf l \(filter.clause(cursorColumn: "l.idx")) ORDER BY l.idx \(order) LIMIT ?",
                             arguments: filter.arguments + [query.limit])
                return page.entries
            }
            /// The entries at `indices` (in the query's order) that pass the filter, until the page is full.
            func add(indices: [Int]) throws {
                var next = 0
                while !page.isFull, next < indices.count {
                    let chunk = indices[next..<min(next + 500, indices.count)]
                    next = chunk.endIndex
                    let list = "l.idx IN (" + chunk.map(String.init).joined(separator: ",") + ")"
                    let sql = "SELECT l.idx, l.data FROM leaf l \(filter.clause(cursorColumn: "l.idx", and: list)) ORDER BY l.idx \(order) LIMIT ?"
                    try page.add(db, sql: sql, arguments: filter.arguments + [page.room])
                }
            }
            /// `indices` ascending without repeats, or descending for a newest-first query.
            func ordered(_ indices: [Int]) -> [Int] {
                let sorted = Set(indices).sorted()
                return query.newestFirst ? sorted.reversed() : sorted
            }
            func merged() throws {
                guard !page.isFull else { return }
                let join = "FROM leaf_key k CROSS JOIN leaf l ON l.idx = k.idx \(filter.clause(cursorColumn: "k.idx", and: "k.key = ?")) ORDER BY k.idx \(order) LIMIT ?"
                if keys.count == 1 {
                    try page.add(db, sql: "SELECT l.idx, l.data " + join, arguments: filter.arguments + [keys[0].value, page.room])
                    return
                }
                // Each key's first entries that pass, as many as the page has room for: the
                // page's entries are among them.
                var indices: [Int] = []
                for key in keys {
                    indices += try Int.fetchAll(db, sql: "SELECT l.idx " + join, arguments: StatementArguments(filter.arguments + [key.value, page.room]))
                }
                try add(indices: ordered(indices))
            }
            func unmerged() throws {
                guard !page.isFull else { return }
                try add(indices: ordered(try keys.flatMap { try LeafKeyIndex.unmergedIndices(of: $0, db) }))
            }
            // Every merged entry precedes every unmerged one in log order.
            if query.newestFirst {
                try unmerged()
                try merged()
            } else {
                try merged()
                try unmerged()
            }
            return page.entries
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

/// The entries of one answer as they are read, up to a count and a byte budget.
private struct EntryPage {
    let limit: Int
    let byteBudget: Int
    private(set) var entries: [AuditEntry] = []
    private var bytes = 0

    init(limit: Int, byteBudget: Int) {
        self.limit = limit
        self.byteBudget = byteBudget
    }

    /// Whether no further entry is taken: the count is reached, or the budget spent.
    var isFull: Bool { entries.count >= limit || bytes >= byteBudget }
    /// How many more entries the count allows.
    var room: Int { limit - entries.count }

    /// Adds the rows (`idx`, `data`) `sql` selects, one at a time, until full.
    mutating func add(_ db: Database, sql: String, arguments: [(any DatabaseValueConvertible)?]) throws {
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        while !isFull, let row = try rows.next() {
            let index: Int = try row.decode(atIndex: 0)
            let data: Data = try row.decode(atIndex: 1)
            let leaf = Array(data)
            do {
                entries.append(AuditEntry(index: index, event: try AuditEvent(canonicalBytes: leaf), leaf: leaf))
            } catch let error as AuditError {
                throw StoreError(.corrupt, "audit entry \(index) cannot be read: \(error.message); run `liaison audit verify`")
            }
            bytes += leaf.count
        }
    }
}

/// A query's conditions on the leaf table (aliased `l`), with their arguments.
/// Peer and package are compared exactly here, whatever index found the rows.
private struct LeafFilter {
    private var conditions: [String] = []
    /// The cursor's comparison, written as a literal (an integer) so that it can
    /// apply to whichever column a query pages on.
    private var cursorCondition: (comparison: String, value: Int)?
    private(set) var arguments: [(any DatabaseValueConvertible)?] = []

    init(_ query: AuditQuery) {
        if !query.peers.isEmpty {
            let peers = Set(query.peers).sorted()
            conditions.append("l.peer IN (\(Array(repeating: "?", count: peers.count).joined(separator: ", ")))")
            arguments += peers
        }
        if let package = query.package { add("l.package = ?", package) }
        if !query.kinds.isEmpty {
            conditions.append("l.kind IN (\(Array(repeating: "?", count: query.kinds.count).joined(separator: ", ")))")
            arguments += query.kinds.map(\.rawValue)
        }
        if !query.outcomes.isEmpty {
            let outcomes = Set(query.outcomes).map(\.rawValue).sorted()
            conditions.append("l.outcome IN (\(Array(repeating: "?", count: outcomes.count).joined(separator: ", ")))")
            arguments += outcomes
        }
        if let since = query.since { add("l.time >= ?", since) }
        if let until = query.until { add("l.time < ?", until) }
        if let cursor = query.cursor { cursorCondition = (query.newestFirst ? "<" : ">", cursor) }
    }

    private mutating func add(_ condition: String, _ argument: any DatabaseValueConvertible) {
        conditions.append(condition)
        arguments.append(argument)
    }

    /// `WHERE …` for these conditions, the cursor on `cursorColumn`, and `extra`
    /// (whose own arguments, if any, go after ``arguments``).
    func clause(cursorColumn: String, and extra: String? = nil) -> String {
        var all = conditions
        if let cursorCondition { all.append("\(cursorColumn) \(cursorCondition.comparison) \(cursorCondition.value)") }
        if let extra { all.append(extra) }
        return all.isEmpty ? "" : "WHERE " + all.joined(separator: " AND ")
    }
}
