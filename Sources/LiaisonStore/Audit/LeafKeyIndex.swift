import Foundation
import GRDB
import GRDBSQLite

/// The query index over leaves' peers and packages, kept as a log-structured
/// merge so that appending never scatters writes across a large B-tree.
///
/// - Each group commit files its leaves' keys as one **run**: its entries
///   sorted, packed into one row of `leaf_key_run` (``LeafKeyRun``). Writing it
///   dirties a page or two, however random the package ids.
/// - When the runs hold ``mergeEntries`` entries or number ``mergeRuns``, the
///   commit that crosses the line merges them, in key order, into `leaf_key`
///   (a `WITHOUT ROWID` B-tree on key and index) and deletes them, in the same
///   transaction. In key order, one pass touches each page of the B-tree at most
///   once for many entries, where filing entries one by one dirtied a page each.
///
/// Every entry is in exactly one of the two places, and because merges take
/// every run at once, merged entries all come before (by leaf index) those
/// still in runs: queries read `leaf_key`, then the runs, in that order.
enum LeafKeyIndex {
    /// Entries in runs that trigger a merge.
    static let mergeEntries = 65_536
    /// Runs that trigger a merge (so that a query reads at most this many).
    static let mergeRuns = 1_024

    /// How much the runs hold: what decides when to merge.
    struct Backlog: Equatable, Sendable {
        var runs = 0
        var entries = 0

        var isDue: Bool { runs >= LeafKeyIndex.mergeRuns || entries >= LeafKeyIndex.mergeEntries }
    }

    /// The runs' backlog as stored.
    static func backlog(_ db: Database) throws -> Backlog {
        let row = try Row.fetchOne(db, sql: "SELECT count(*), coalesce(sum(length(entries)), 0) FROM leaf_key_run")
        return Backlog(runs: row?[0] ?? 0, entries: (row?[1] ?? 0) / LeafKeyRun.recordByteCount)
    }

    /// Files `entries` (in any order) as one run, and merges every run into the
    /// B-tree when that makes the backlog due. `backlog` is updated to match.
    static func file(_ entries: [LeafKeyEntry], inserter: LeafInserter, backlog: inout Backlog) throws {
        guard let first = entries.lazy.map(\.index).min() else { return }
        let sorted = entries.sorted()
        try inserter.insertRun(first: first, entries: LeafKeyRun.encode(sorted))
        backlog.runs += 1
        backlog.entries += sorted.count
        if backlog.isDue {
            try merge(inserter: inserter)
            backlog = Backlog()
        }
    }

    /// Moves every run's entries into the B-tree, in key order, and deletes the runs.
    static func merge(inserter: LeafInserter) throws {
        var entries: [LeafKeyEntry] = []
        try forEachRun(inserter.db) { _, blob in entries += try LeafKeyRun.decode(blob) }
        // Runs hold only what commits filed: an index outside the log means they
        // were edited, and filing it would fail on a constraint every commit after.
        let size = try AuditLog.size(inserter.db)
        if let stray = entries.first(where: { !(0..<size).contains($0.index) }) {
            throw StoreError(.corrupt, "the audit log's query index holds entry \(stray.index), outside the log's \(size) entries: the audit log was edited; run `liaison audit verify --database` to see what else changed")
        }
        try insertMerged(entries, inserter: inserter)
        try inserter.db.execute(sql: "DELETE FROM leaf_key_run")
    }

    /// The indices filed under `key` in the runs, ascending: the entries newer
    /// than everything in the B-tree. Each run holds one commit's leaves, so
    /// runs in order of their first leaf hold disjoint, ascending ranges, and
    /// each run's indices under one key come out ascending.
    static func unmergedIndices(of key: LeafKey, _ db: Database) throws -> [Int] {
        var indices: [Int] = []
        try forEachRun(db) { _, blob in try LeafKeyRun.indices(of: key, in: blob, into: &indices) }
        return indices
    }

    /// Files `entries` (in any order) straight into the B-tree, in key order: a
    /// merge, and the v2 migration filing a v1 log's leaves.
    static func insertMerged(_ entries: [LeafKeyEntry], inserter: LeafInserter) throws {
        for entry in entries.sorted() { try inserter.insert(entry) }
    }

    /// Every run, in the order of their first entries, each as its first index and
    /// its records read in place (valid during `body` only).
    static func forEachRun(_ db: Database, _ body: (_ first: Int, _ records: UnsafeRawBufferPointer) throws -> Void) throws {
        try RawColumn.forEachRow(db, sql: "SELECT first, entries FROM leaf_key_run ORDER BY first") { s in
            try body(Int(sqlite3_column_int64(s, 0)), RawColumn.buffer(s, 1))
        }
    }
}

/// One run of the query index: entries sorted by key then index, each a
/// 16-byte record of the key and the leaf index, both big-endian.
enum LeafKeyRun {
    static let recordByteCount = 16

    static func encode(_ sorted: [LeafKeyEntry]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: sorted.count * recordByteCount) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for (n, entry) in sorted.enumerated() {
                raw.storeBytes(of: UInt64(bitPattern: entry.key.value).bigEndian, toByteOffset: n * recordByteCount, as: UInt64.self)
                raw.storeBytes(of: UInt64(truncatingIfNeeded: entry.index).bigEndian, toByteOffset: n * recordByteCount + 8, as: UInt64.self)
            }
            count = sorted.count * recordByteCount
        }
    }

    static func decode(_ blob: UnsafeRawBufferPointer) throws -> [LeafKeyEntry] {
        try records(blob) { records in
            (0..<records.count).map { records[$0] }
        }
    }

    /// Appends the indices filed under `key` to `indices`, found by binary search.
    static func indices(of key: LeafKey, in blob: UnsafeRawBufferPointer, into indices: inout [Int]) throws {
        try records(blob) { records in
            var low = 0
            var high = records.count
            while low < high {
                let middle = (low + high) / 2
                if records.key(middle) < key { low = middle + 1 } else { high = middle }
            }
            while low < records.count, records.key(low) == key {
                indices.append(records.index(low))
                low += 1
            }
        }
    }

    private static func records<T>(_ blob: UnsafeRawBufferPointer, _ body: (Records) throws -> T) throws -> T {
        guard blob.count % recordByteCount == 0 else {
            throw StoreError(.corrupt, "a run of the audit log's query index is \(blob.count) bytes, not a whole number of entries; run `liaison audit verify --database`")
        }
        return try body(Records(bytes: blob))
    }

    /// The records of a run, read in place.
    private struct Records {
        let bytes: UnsafeRawBufferPointer
        var count: Int { bytes.count / LeafKeyRun.recordByteCount }

        func key(_ n: Int) -> LeafKey {
            LeafKey(value: Int64(bitPattern: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: n * LeafKeyRun.recordByteCount, as: UInt64.self))))
        }

        func index(_ n: Int) -> Int {
            Int(truncatingIfNeeded: UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: n * LeafKeyRun.recordByteCount + 8, as: UInt64.self)))
        }

        subscript(n: Int) -> LeafKeyEntry { LeafKeyEntry(key: key(n), index: index(n)) }
    }
}
