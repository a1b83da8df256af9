import GRDB
import LiaisonAudit

/// What the audit log offers a node store's audit journal (``AuditJournal``):
/// taking journal entries over, once each, and saying how far it has.
extension AuditLog {
    /// Queues journal entries `leaves` (with their seqs, ascending, in `transfer`)
    /// for a commit; nobody waits for them, so they may be held back briefly to
    /// share one (``AuditGroupCommit/transferHold``). `completion` hears once they
    /// are durable, or why not.
    func transfer(_ leaves: [PendingLeaf], _ transfer: JournalTransfer, completion: @escaping AuditGroupCommit.Completion) {
        committer.submit(leaves, journal: transfer, mayWait: true, completion: completion)
    }

    /// ``transfer(_:_:completion:)`` without a hold (its caller waits),
    /// returning once the entries are durable (the indices of those that were new)
    /// or throwing why not.
    @discardableResult
    func transfer(_ leaves: [PendingLeaf], _ transfer: JournalTransfer) async throws -> Range<Int> {
        try await withCheckedThrowingContinuation { continuation in
            committer.submit(leaves, journal: transfer) { continuation.resume(with: $0) }
        }
    }

    /// How far the log has taken the journal of the store `store`: the highest seq it holds (0: none).
    func journalMark(store: String) throws -> Int64 {
        try read("read the audit journal's mark") { db in try JournalMarks.stored(store, db) }
    }

    /// How far this log took each node store's audit journal (store identity → seq).
    public func journalMarks() throws -> [String: Int64] {
        try read("read the audit journal's marks") { db in
            var marks: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT store, seq FROM journal_mark") { marks[row[0]] = row[1] }
            return marks
        }
    }

    /// Returns once everything queued for the log before the call is committed (or failed).
    public func barrier() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            committer.submit([]) { _ in continuation.resume() }
        }
    }
}
