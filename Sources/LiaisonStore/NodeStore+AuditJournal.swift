import GRDB
import LiaisonAudit

/// Tying the store's audit journal (``AuditJournal``) to the node's audit log.
extension NodeStore {
    /// Lets writes journal their audit events for `log` (the daemon does this
    /// once, at start, then calls ``carryOverAuditJournal()``). Until then a write
    /// given events refuses them.
    public func attachAuditJournal(to log: AuditLog) throws {
        let store = try read("read the store's identity") { db in
            try String.fetchOne(db, sql: "SELECT id FROM store_identity WHERE only = 0")
        }
        guard let store else { throw StoreError(.corrupt, "the store has no identity row; restore it from a backup") }
        journalLink.journal = AuditJournal(store: store, log: log, mark: try log.journalMark(store: store))
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
