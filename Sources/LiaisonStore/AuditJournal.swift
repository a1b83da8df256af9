import Foundation
import GRDB
import LiaisonAudit

/// The audit journal: how a store write and the audit events recording it
/// become durable in one commit.
///
/// The daemon's busiest writes (queueing packages, accepting one, storing a
/// receipt) pass their audit events to the store, which writes them into its
/// `audit_journal` table in the same transaction as the change itself. So the
/// events are durable exactly when the change is (fail closed: no change without
/// its record, one fsync instead of two in a row). Right after that commit, on
/// the thread that committed it and in commit order (commits never overlap), the entries are queued for
/// the audit log (``AuditLog``), which appends them as leaves and moves the
/// store's mark (`journal_mark`) in the same commit; anything the daemon records
/// later is queued behind them, so the log keeps the order things happened in.
/// Nobody waits for that transfer: it may wait up to
/// ``AuditGroupCommit/transferHold`` to share a commit with the transfers after
/// it or with the next append.
///
/// If a transfer fails, the entries stay in the journal, later transfers wait
/// (each names the one it follows), and every journaled write and direct append
/// first carries over what is waiting (``NodeStore/carryOverAuditJournal()``),
/// failing while that fails. At start the daemon carries over whatever a crash
/// left. Entries the log holds are deleted from the journal by later writes.
final class AuditJournal: @unchecked Sendable {
    /// The store's identity, which names it in the log's marks.
    let store: String
    let log: AuditLog

    private let lock = NSLock()
    // Guarded by `lock`.
    /// The last seq handed to the log: the next transfer follows it.
    private var submittedThrough: Int64
    /// Every seq up to here is in the log.
    private var transferredThrough: Int64
    /// Journal rows up to here have been deleted (by a write that may yet roll back).
    private var trimmedThrough: Int64
    /// The last seq that was not handed over (or not taken) because a transfer failed.
    private var waitingThrough: Int64 = 0
    /// Why entries are waiting; nil while transfers flow.
    private var failure: StoreError?

    /// A journal whose entries up to `mark` are already in `log`. Entries after it
    /// wait until ``NodeStore/carryOverAuditJournal()`` has run.
    init(store: String, log: AuditLog, mark: Int64) {
        self.store = store
        self.log = log
        submittedThrough = mark
        transferredThrough = mark
        trimmedThrough = 0
        failure = StoreError(.conflict, "the audit journal has not been carried over since the store was opened")
    }

    /// Whether entries are waiting for a carry-over.
    var isWaiting: Bool {
        lock.lock(); defer { lock.unlock() }
        return failure != nil
    }

    /// Writes `leaves` into the journal inside the caller's transaction, returning
    /// their seqs, and deletes the entries the log already holds.
    func write(_ leaves: [PendingLeaf], _ db: Database) throws -> [Int64] {
        let insert = try db.cachedStatement(sql: "INSERT INTO audit_journal (leaf) VALUES (?)")
        var seqs: [Int64] = []
        seqs.reserveCapacity(leaves.count)
        for leaf in leaves {
            try insert.execute(arguments: [Data(leaf.data)])
            seqs.append(db.lastInsertedRowID)
        }
        lock.lock()
        let trim = transferredThrough > trimmedThrough ? transferredThrough : nil
        if let trim { trimmedThrough = trim }
        lock.unlock()
        if let trim { try db.cachedStatement(sql: "DELETE FROM audit_journal WHERE seq <= ?").execute(arguments: [trim]) }
        return seqs
    }

    /// Hands what `writes` journaled to the log: called by the store's group commit
    /// right after their transaction committed, in commit order (commits never overlap).
    func committed(_ writes: [JournalWrite]) {
        var leaves: [PendingLeaf] = [], seqs: [Int64] = []
        for write in writes {
            leaves += write.leaves
            seqs += write.seqs
        }
        guard let last = seqs.last else { return }
        lock.lock()
        if failure != nil {
            waitingThrough = max(waitingThrough, last)
            lock.unlock()
            return
        }
        let follows = submittedThrough
        submittedThrough = last
        lock.unlock()
        log.transfer(leaves, JournalTransfer(store: store, seqs: seqs, follows: follows)) { [self] result in
            lock.lock(); defer { lock.unlock() }
            switch result {
            case .success:
                transferredThrough = max(transferredThrough, last)
            case .failure(let error) where last > transferredThrough:
                waitingThrough = max(waitingThrough, last)
                failure = failure ?? StoreError.wrapping(error, while: "carry audit events from the journal into the audit log", in: log.path)
            case .failure:
                break   // a carry-over already took these
            }
        }
    }

    /// Carries every entry the log lacks over to it, in order; returns how many
    /// it carried. Transfers flow again once nothing is waiting.
    func carryOver(reading pool: DatabasePool) async throws -> Int {
        var carried = 0
        // Bounded: each round carries at least one entry or ends, and an entry
        // reported waiting is already committed, so a later round reads it.
        for _ in 0..<100_000 {
            let mark = try log.journalMark(store: store)
            let rows: [(Int64, [UInt8])]
            do {
                rows = try await pool.read { db in
                    try Row.fetchAll(db, sql: "SELECT seq, leaf FROM audit_journal WHERE seq > ? ORDER BY seq LIMIT ?",
                                     arguments: [mark, AuditLog.maximumBatch]).map { row in
                        let leaf: Data = row[1]
                        return (row[0], Array(leaf))
                    }
                }
            } catch {
                throw StoreError.wrapping(error, while: "read the audit journal")
            }
            if rows.isEmpty {
                if resume(at: mark) { return carried }
                continue
            }
            let leaves = try rows.map { seq, bytes in
                do { return PendingLeaf(try AuditEvent(canonicalBytes: bytes), data: bytes) } catch {
                    throw StoreError(.corrupt, "entry \(seq) of the store's audit journal is not an audit event (\(error)); "
                                         + "restore \(NodeStore.fileName) from a backup")
                }
            }
            let transfer = JournalTransfer(store: store, seqs: rows.map(\.0), follows: mark)
            try await log.transfer(leaves, transfer)
            carried += rows.count
        }
        throw StoreError(.conflict, "the audit journal did not empty")
    }
    /// Lets transfers flow again after a carry-over found nothing after `mark`,
    /// unless an entry was reported waiting since (then it is read next round).
    private func resume(at mark: Int64) -> Bool {
        lock.lock(); defer { lock.unlock() }
        guard waitingThrough <= mark else { return false }
        failure = nil
        submittedThrough = max(submittedThrough, mark)
        transferredThrough = max(transferredThrough, mark)
        return true
    }
}

/// The audit events one store write journals: their leaves, and once the write
/// has run in its transaction, their seqs (empty if it failed).
final class JournalWrite: @unchecked Sendable {
    /// Set again by the write itself when its events depend on what it changed;
    /// like `seqs`, written only by the store's group commit, one commit at a time.
    var leaves: [PendingLeaf]
    /// Written only by the store's group commit, one commit at a time.
    var seqs: [Int64] = []

    init(_ leaves: [PendingLeaf]) {
        self.leaves = leaves
    }
}

/// The store's journal, once the daemon has tied it to its audit log.
final class JournalLink: @unchecked Sendable {
    private let lock = NSLock()
    private var attached: AuditJournal?

    var journal: AuditJournal? {
        get { lock.lock(); defer { lock.unlock() }; return attached }
        set { lock.lock(); attached = newValue; lock.unlock() }
    }
}
