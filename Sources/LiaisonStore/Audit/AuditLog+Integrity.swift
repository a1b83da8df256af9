import Foundation
import GRDB
import GRDBSQLite
import LiaisonAudit

/// Something wrong with how the log is stored, named precisely.
public struct AuditStorageIssue: Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable, Hashable {
        /// Leaf indices are not 0, 1, 2, …: rows were deleted or inserted.
        case indexGap = "storage.index-gap"
        /// A leaf's stored hash is not the hash of its data: the leaf was changed.
        case leafHashMismatch = "storage.leaf-hash-mismatch"
        /// A leaf's index columns disagree with its data.
        case columnMismatch = "storage.column-mismatch"
        /// A stored interior node is not the hash of the leaves under it.
        case interiorMismatch = "storage.interior-mismatch"
        /// An interior node the tree needs is missing.
        case interiorMissing = "storage.interior-missing"
        /// A trigger that keeps the log append-only is gone.
        case triggerMissing = "storage.trigger-missing"
        /// SQLite's own integrity check failed.
        case databaseDamaged = "storage.database-damaged"
        /// The query index by peer and package does not file exactly the leaves' keys.
        case queryIndexMismatch = "storage.query-index-mismatch"
    }

    /// What is wrong.
    public let code: Code
    /// The entry concerned, if one is.
    public let entry: Int?
    /// For people.
    public let message: String

    public var description: String { message }
}

extension AuditLog {
    /// The triggers the schema installs; `verifyStorage` reports any that are gone.
    static let requiredTriggers = [
        "leaf_dense", "leaf_no_update", "leaf_no_delete", "subtree_complete", "subtree_no_update", "subtree_no_delete",
        "checkpoint_grows", "checkpoint_no_update", "checkpoint_no_delete", "cosignature_no_update", "cosignature_no_delete",
        "witnessed_log_grows", "witnessed_log_no_delete",
    ]

    /// The query index's triggers (schema v2 on).
    static let queryIndexTriggers = ["leaf_key_no_update", "leaf_key_no_delete"]

    /// The journal marks' triggers (schema v3 on): a mark moved back would have the
    /// log take journal entries twice, one deleted would lose track of them.
    static let journalMarkTriggers = ["journal_mark_only_grows", "journal_mark_no_delete"]

    /// The triggers that stop `INSERT OR REPLACE` rewriting rows (schema v4 on).
    static let noReplaceTriggers = ["subtree_no_replace", "cosignature_no_replace", "witnessed_log_no_replace", "journal_mark_no_replace"]

    /// The log name's triggers (schema v6 on): a later log's name is written once,
    /// before its first entry, and never changed.
    static let logNameTriggers = ["log_name_first", "log_name_no_update", "log_name_no_delete"]

    /// Checks the stored log against itself, in one pass on one snapshot: indices
    /// are dense, every leaf's hash is the hash of its data and its index columns
    /// match it, every stored interior node is the hash of its leaves, the query
    /// index files exactly the leaves' peers and packages, the append-only
    /// triggers are in place, and SQLite's integrity check passes.
    ///
    /// `onLeaf` sees every leaf's bytes in order (the CLI feeds them to the
    /// offline verifier in the same pass); `progress` gets the count so far.
    /// At most `maximumIssues` issues are returned. `thorough` runs SQLite's full
    /// `integrity_check` (indexes against tables too) instead of `quick_check`.
    public func verifyStorage(maximumIssues: Int = 100, thorough: Bool = false, onLeaf: (UnsafeRawBufferPointer) -> Void = { _ in },
                              progress: (Int) -> Void = { _ in }) throws -> [AuditStorageIssue] {
        try read("verify the audit log's storage") { db in
            var issues: [AuditStorageIssue] = []
            func report(_ code: AuditStorageIssue.Code, _ entry: Int?, _ message: String) {
                if issues.count < maximumIssues { issues.append(AuditStorageIssue(code: code, entry: entry, message: message)) }
            }
            let integrity = try String.fetchAll(db, sql: thorough ? "PRAGMA integrity_check" : "PRAGMA quick_check")
            if integrity != ["ok"] {
                report(.databaseDamaged, nil, "SQLite's integrity check failed: \(integrity.prefix(3).joined(separator: "; "))")
            }
            let triggers = Set(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            // A v1 file opened read-only has no query index (the next writer adds it). Asked
            // of the migrations rather than of the tables, so a dropped index is reported.
            func migrated(_ identifier: String) throws -> Bool {
                try db.tableExists("grdb_migrations")
                    && Bool.fetchOne(db, sql: "SELECT 1 FROM grdb_migrations WHERE identifier = ?", arguments: [identifier]) == true
            }
            let hasQueryIndex = try migrated(AuditSchema.queryIndexMigration)
            let hasJournalMarks = try migrated(AuditSchema.journalMarkMigration)
            let refusesReplace = try migrated(AuditSchema.noReplaceMigration)
            let hasLogName = try migrated(AuditSchema.logNameMigration)
            for trigger in Self.requiredTriggers + (hasQueryIndex ? Self.queryIndexTriggers : []) + (hasJournalMarks ? Self.journalMarkTriggers : [])
                + (refusesReplace ? Self.noReplaceTriggers : []) + (hasLogName ? Self.logNameTriggers : [])
            where !triggers.contains(trigger) {
                report(.triggerMissing, nil, "the append-only trigger \(trigger) was dropped: someone edited the audit log by hand")
            }
            let interior = try db.cachedStatement(sql: "SELECT hash FROM subtree WHERE level = ? AND idx = ?")
            var edge = MerkleAccumulator()
            var expected = 0
            var expectedKeys = LeafKeyDigest(seed: UInt64.random(in: .min ... .max))
            // One pass over a million rows: read the columns through SQLite's C API,
            // without a Row, a Data or a String per leaf.
            try RawColumn.forEachRow(db, sql: "SELECT idx, hash, data, time, kind, outcome, peer, package FROM leaf ORDER BY idx") { s in
                let index = Int(sqlite3_column_int64(s, 0))
                let stored = RawColumn.bytes(s, 1)
                let data = RawColumn.buffer(s, 2)
                if index != expected {
                    report(.indexGap, expected, index > expected
                           ? "entries \(expected)..<\(index) are missing: rows were deleted from the log"
                           : "entry \(index) appears out of order after \(expected - 1)")
                }
                // A crafted row's index may be the largest there is.
                expected = index == .max ? index : index + 1
                let computed = MerkleHasher.leafHash(data)
                if computed != stored {
                    report(.leafHashMismatch, index, "entry \(index) was changed: its data no longer matches the hash recorded when it was appended")
                }
                let peer = RawColumn.optionalBuffer(s, 6), package = RawColumn.optionalBuffer(s, 7)
                if !LeafColumns.match(data, time: sqlite3_column_int64(s, 3), kind: RawColumn.buffer(s, 4), outcome: RawColumn.buffer(s, 5),
                                      peer: peer, package: package) {
                    report(.columnMismatch, index, "entry \(index)'s index columns disagree with its data: queries would show something else than the log proves")
                }
                if hasQueryIndex {
                    if let peer { expectedKeys.add(LeafKeyEntry(key: .peer(utf8: peer), index: index)) }
                    if let package { expectedKeys.add(LeafKeyEntry(key: .package(utf8: package), index: index)) }
                }
                onLeaf(data)
                // Interior nodes are checked against the hashes as recorded, so a
                // changed leaf is reported once (above), and a swap or deletion
                // shows up as the interior nodes over it.
                // A recorded hash of another length is reported above; the tree goes on with the data's.
                try edge.append(leafHash: stored.count == computed.count ? stored : computed, reportingFrom: Self.minimumStoredLevel) { subtree in
                    guard let held = try Data.fetchOne(interior, arguments: [subtree.level, subtree.index]).map(Array.init) else {
                        report(.interiorMissing, subtree.range.lowerBound, "the interior node over entries \(subtree.range) is missing")
                        return
                    }
                    if held != subtree.hash {
                        report(.interiorMismatch, subtree.range.lowerBound, "the interior node over entries \(subtree.range) does not match them: entries in that range were changed, swapped or replaced")
                    }
                }
                if edge.size % 65_536 == 0 { progress(edge.size) }
            }
            progress(edge.size)
            if hasQueryIndex {
                do {
                    let (stored, disorder) = try Self.storedKeys(db, seed: expectedKeys)
                    if stored != expectedKeys {
                        report(.queryIndexMismatch, nil, "the query index by peer and package does not match the entries: queries could miss entries or show others; the entries themselves are checked above")
                    }
                    if let disorder {
                        report(.queryIndexMismatch, nil, "the query index by peer and package is out of order (\(disorder)): queries could miss entries; the entries themselves are checked above")
                    }
                } catch {
                    report(.queryIndexMismatch, nil, "the query index by peer and package cannot be read (\(error)): queries could fail or miss entries; the entries themselves are checked above")
                }
            }
            return issues
        }
    }

    /// The digest of every entry the query index holds, merged or in runs, with
    /// the same seed as `expected`; and the first way the runs break what queries
    /// rely on, if any: each run in key order, named by its lowest index, and every
    /// run after the one before it and after every merged entry.
    private static func storedKeys(_ db: Database, seed expected: LeafKeyDigest) throws -> (digest: LeafKeyDigest, disorder: String?) {
        var stored = LeafKeyDigest(copyingSeedOf: expected)
        var last = -1
        try RawColumn.forEachRow(db, sql: "SELECT key, idx FROM leaf_key") { s in
            let entry = LeafKeyEntry(key: LeafKey(value: sqlite3_column_int64(s, 0)), index: Int(sqlite3_column_int64(s, 1)))
            stored.add(entry)
            last = max(last, entry.index)
        }
        var disorder: String?
        try LeafKeyIndex.forEachRun(db) { first, records in
            let entries = try LeafKeyRun.decode(records)
            for entry in entries { stored.add(entry) }
            guard disorder == nil, let lowest = entries.lazy.map(\.index).min() else { return }
            if !zip(entries, entries.dropFirst()).allSatisfy({ $0 < $1 }) {
                disorder = "the run from entry \(first) is not sorted by key"
            } else if lowest != first {
                disorder = "the run named by entry \(first) starts at entry \(lowest)"
            } else if lowest <= last {
                disorder = "the run from entry \(first) overlaps entries filed before it"
            }
            last = max(last, entries.lazy.map(\.index).max() ?? last)
        }
        return (stored, disorder)
    }
}

/// Column values read in place from a stepped statement (valid until the next step).
enum RawColumn {
    /// Steps through every row of `sql`, through SQLite's C API: no Row, Data or
    /// String per row, for passes over a million of them.
    static func forEachRow(_ db: Database, sql: String, _ body: (SQLiteStatement) throws -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        let s = statement.sqliteStatement
        defer {
            sqlite3_reset(s)
            withExtendedLifetime(statement) {}
        }
        while true {
            let code = sqlite3_step(s)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            try body(s)
        }
    }

    static func buffer(_ s: SQLiteStatement, _ column: Int32) -> UnsafeRawBufferPointer {
        let count = Int(sqlite3_column_bytes(s, column))
        guard count > 0, let base = sqlite3_column_blob(s, column) else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base, count: count)
    }

    static func optionalBuffer(_ s: SQLiteStatement, _ column: Int32) -> UnsafeRawBufferPointer? {
        sqlite3_column_type(s, column) == SQLITE_NULL ? nil : buffer(s, column)
    }

    static func bytes(_ s: SQLiteStatement, _ column: Int32) -> [UInt8] { Array(buffer(s, column)) }
}
