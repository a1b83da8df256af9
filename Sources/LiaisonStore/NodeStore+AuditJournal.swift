import GRDB
import LiaisonAudit

/// Tying the store's audit journal (``AuditJournal``) to the node's audit log.
extension NodeStore {
    /// Lets writes journal their audit events for `log` (the daemon does this
    /// once, at start, then calls ``carryOverAuditJournal()``). Until then a write
    /// given events refuses them.
    ///
    /// The log skips journal entries numbered at or below its mark for this store
    /// (it holds them). A store restored from a backup numbers its next entries
    /// from where the backup stood, below that mark, and they would be skipped —
    /// lost, with their actions done. So when the store is behind the mark, its
    /// numbering is moved past it first; the renumbering is returned, to be recorded.
    @discardableResult
    public func attachAuditJournal(to log: AuditLog) throws -> JournalRenumbering? {
        let store = try read("read the store's identity") { db in
            try String.fetchOne(db, sql: "SELECT id FROM store_identity WHERE only = 0")
        }
        guard let store else { throw StoreError(.corrupt, "the store has no identity row; restore it from a backup") }
        let mark = try log.journalMark(store: store)
        // At start, before any write: GRDB's writer serialises it with the group commit's anyway.
        let renumbering = try writeOnce("move the audit journal's numbering past the log's mark") { db -> JournalRenumbering? in
            // AUTOINCREMENT numbers from sqlite_sequence (or the largest seq present, if greater).
            let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'audit_journal'") ?? 0
            let largest = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM audit_journal") ?? 0
            let next = max(sequence, largest)
            guard next < mark else { return nil }
            try db.execute(sql: "DELETE FROM sqlite_sequence WHERE name = 'audit_journal'")
            try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_journal', ?)", arguments: [mark])
            return JournalRenumbering(storeWasAt: next, logMark: mark)
        }
        journalLink.journal = AuditJournal(store: store, log: log, mark: mark)
        return renumbering
    }

    private func writeOnce<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw StoreError.wrapping(error, while: action) }
    }

    /// Carries every journaled audit event the log does not hold yet into it, in
    /// order — what a crash or a failed transfer left — and deletes the journal's
    /// entries the log holds. Returns how many events it carried.
    @discardableResult
    public func carryOverAuditJournal() async throws -> Int {
        guard let journal = journalLink.journal else { return 0 }
        let carried = try await journal.carryOver(reading: pool)
        let mark = try journal.log.journalMark(store: journal.store)
        try await commit("trim the audit journal") { db in
            try db.execute(sql: "DELETE FROM audit_journal WHERE seq <= ?", arguments: [mark])
        }
        return carried
    }

    /// Whether journaled audit events are waiting for a carry-over (a transfer failed).
    public var auditJournalIsWaiting: Bool { journalLink.journal?.isWaiting ?? false }

    /// Entries in the journal (carried over or not): for tests and status.
    public func auditJournalCount() throws -> Int {
        try read("count the audit journal") { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_journal") ?? 0 }
    }

    /// The attached journal, carried over first if entries are waiting.
    func flowingJournal() async throws -> AuditJournal {
        guard let journal = journalLink.journal else {
            throw StoreError(.invalidArgument, "audit events given to a store without an audit journal; attach the audit log first")
        }
        guard journal.isWaiting else { return journal }
        do {
            _ = try await journal.carryOver(reading: pool)
        } catch let error as StoreError {
            throw StoreError(.auditUnavailable, "audit events wait in the journal: \(error.message)", diagnostics: error.diagnostics)
        }
        return journal
    }
}

/// A store found behind the audit log's mark for it (restored from a backup, most
/// likely), and moved past it: its journal entries up to `storeWasAt` were
/// already in the log, and the next is numbered after `logMark`.
public struct JournalRenumbering: Sendable, Equatable {
    /// The last journal number the store had used.
    public let storeWasAt: Int64
    /// The log's mark for this store: the next entry is numbered after it.
    public let logMark: Int64
}
