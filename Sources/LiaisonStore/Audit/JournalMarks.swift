import GRDB

/// Leaves taken over from a node store's audit journal (``AuditJournal``), one
/// journal seq each, ascending.
struct JournalTransfer: Sendable {
    /// The store's identity (its `store_identity` row).
    let store: String
    /// Each leaf's seq in that store's journal.
    let seqs: [Int64]
    /// The last seq that must already be in the log for these to follow it: the
    /// end of the transfer before this one. If an earlier transfer failed, this one
    /// fails too rather than leave a hole for the mark to pass over.
    let follows: Int64
}

/// The journal marks one audit commit reads and moves (`journal_mark`, audit schema v3).
struct JournalMarks {
    private var marks: [String: (stored: Int64, current: Int64)] = [:]

    /// The mark of `store` as this commit has moved it so far.
    mutating func current(_ store: String, _ db: Database) throws -> Int64 {
        if let mark = marks[store] { return mark.current }
        let stored = try Self.stored(store, db)
        marks[store] = (stored, stored)
        return stored
    }

    /// Whether entry `seq` of `store`'s journal is new to the log; if it is, the
    /// mark moves to it (the caller then writes its leaf in this commit).
    mutating func take(_ seq: Int64, of store: String, _ db: Database) throws -> Bool {
        let mark = try current(store, db)
        guard seq > mark else { return false }
        marks[store]!.current = seq
        return true
    }

    /// Writes the marks this commit moved.
    func save(_ db: Database) throws {
        for (store, mark) in marks where mark.current > mark.stored {
            // Cached: nearly every audit commit moves a mark, and parsing the upsert cost more than the leaves' inserts.
            try db.cachedStatement(sql: """
                INSERT INTO journal_mark (store, seq) VALUES (?, ?)
                ON CONFLICT (store) DO UPDATE SET seq = excluded.seq
                """).execute(arguments: [store, mark.current])
        }
    }

    /// The highest seq of `store`'s journal the log holds (0: none).
    static func stored(_ store: String, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(try db.cachedStatement(sql: "SELECT seq FROM journal_mark WHERE store = ?"), arguments: [store]) ?? 0
    }
}
