import GRDB
import GRDBSQLite
import LiaisonAudit

/// The group commit's hot path: inserts leaves, interior nodes and the query
/// index's runs and merged entries (``LeafKeyIndex``) with statements
/// prepared once per transaction and bound through SQLite's C API, without the
/// per-row argument arrays and `Data` copies of GRDB's generic `execute`. The
/// schema's constraints and triggers apply exactly as for any other insert.
struct LeafInserter {
    let db: Database
    private let leaf: Statement
    private let subtree: Statement
    private let run: Statement
    private let key: Statement

    init(_ db: Database) throws {
        self.db = db
        leaf = try db.cachedStatement(sql: """
            INSERT INTO leaf (idx, hash, data, time, kind, outcome, peer, package) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        subtree = try db.cachedStatement(sql: "INSERT INTO subtree (level, idx, hash) VALUES (?, ?, ?)")
        run = try db.cachedStatement(sql: "INSERT INTO leaf_key_run (first, entries) VALUES (?, ?)")
        key = try db.cachedStatement(sql: "INSERT INTO leaf_key (key, idx) VALUES (?, ?)")
    }

    func insert(_ pending: PendingLeaf, at index: Int) throws {
        let s = leaf.sqliteStatement
        try check(sqlite3_bind_int64(s, 1, Int64(index)))
        try check(bind(pending.hash, to: s, at: 2))
        try check(bind(pending.data, to: s, at: 3))
        try check(sqlite3_bind_int64(s, 4, pending.time))
        try check(bind(pending.kind.rawValue, to: s, at: 5))
        try check(bind(pending.outcome.rawValue, to: s, at: 6))
        try check(bind(pending.peer, to: s, at: 7))
        try check(bind(pending.package, to: s, at: 8))
        try step(s)
    }

    func insert(_ node: MerkleSubtree) throws {
        let s = subtree.sqliteStatement
        try check(sqlite3_bind_int64(s, 1, Int64(node.level)))
        try check(sqlite3_bind_int64(s, 2, Int64(node.index)))
        try check(bind(node.hash, to: s, at: 3))
        try step(s)
    }

    func insertRun(first: Int, entries: [UInt8]) throws {
        let s = run.sqliteStatement
        try check(sqlite3_bind_int64(s, 1, Int64(first)))
        try check(bind(entries, to: s, at: 2))
        try step(s)
    }

    func insert(_ entry: LeafKeyEntry) throws {
        let s = key.sqliteStatement
        try check(sqlite3_bind_int64(s, 1, entry.key.value))
        try check(sqlite3_bind_int64(s, 2, Int64(entry.index)))
        try step(s)
    }

    private func check(_ code: Int32) throws {
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    private func step(_ statement: SQLiteStatement) throws {
        let code = sqlite3_step(statement)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// Blobs here are never empty (hashes, leaves); an empty one would bind as NULL and be refused.
    private func bind(_ bytes: [UInt8], to statement: SQLiteStatement, at index: Int32) -> Int32 {
        bytes.withUnsafeBytes { sqlite3_bind_blob(statement, index, $0.baseAddress, Int32($0.count), transient) }
    }

    /// Text, with "" bound as an empty string (not NULL: a nil base address would be).
    private func bind(_ text: String?, to statement: SQLiteStatement, at index: Int32) -> Int32 {
        guard var text else { return sqlite3_bind_null(statement, index) }
        guard !text.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, transient) }
        return text.withUTF8 { sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), transient) }
    }

    /// SQLite copies the bound bytes (SQLITE_TRANSIENT).
    private var transient: sqlite3_destructor_type { unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self) }
}
