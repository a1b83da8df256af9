import Foundation
import GRDB

/// The node store's group commit: callers queue write operations, one thread
/// runs everything queued in one transaction and commits it (one fsync), then
/// tells each caller its own outcome.
///
/// A batch first runs as one plain transaction (the common case: every write
/// succeeds). If any write fails (a conflict, a broken constraint), that
/// transaction is rolled back and the batch runs again with each write in its
/// own savepoint, so the failing one is undone alone and reports its own error
/// while the others commit. If the batch fails as a whole, nothing of it was
/// written: on a full disk (which may fill as the WAL is written at commit) each
/// write is then tried again in a transaction of its own, so those that still
/// fit get in and the others hear why; on any other failure every caller hears
/// it. No caller is answered before the transaction holding its change is
/// durable.
///
/// This keeps fsyncs off Swift's cooperative threads under load (a blocked pool
/// thread stalls the whole daemon on two cores) and lets concurrent deliveries
/// share them; only on an idle daemon does a writer commit its own write
/// (``idleCallers``), sparing the hand-over to the thread and back.
final class StoreGroupCommit: @unchecked Sendable {
    /// One caller's operation: `perform` runs inside the batch's transaction (in its
    /// own savepoint when `isolated`), keeps its result and returns its error, if
    /// any; it may run more than once (the batch, then its own savepoint, then on a
    /// full disk its own transaction; see above), so it only touches the database.
    /// `complete` tells the caller once the commit is known — the commit's error
    /// if it failed, else the operation's result.
    struct Operation {
        let perform: @Sendable (Database, _ isolated: Bool) -> (any Error)?
        let complete: @Sendable ((any Error)?) -> Void
        /// The audit events `perform` journals, if any (``AuditJournal``).
        var journal: JournalWrite? = nil
        /// Whether the change must be durable before its caller hears of it.
        var durable = true
    }

    /// Most operations in one transaction (a bound on how long one commit holds the writer).
    static let maximumBatch = 512

    /// When a caller commits its own write (``CommitThread``): after three writes in
    /// a row each came 0.5 ms or more after the one before, an idle daemon's, if
    /// the last commit took under 2 ms. Under load writes come much closer together,
    /// and a caller on Swift's shared threads must not wait long on the disk. Idle
    /// p50 about 0.08 ms better, throughput level.
    static let idleCallers = CommitThread<Operation>.IdleCallers(gap: .microseconds(500), count: 3, quickCommit: .milliseconds(2))

    private let pool: DatabasePool
    private let link: JournalLink
    /// The writer's `synchronous` setting: FULL (each commit fsynced) unless a batch
    /// of only writes that need not be durable switched it to NORMAL. Only touched
    /// while holding the writer.
    private var committingDurably = true
    private var thread: CommitThread<Operation>!

    /// A group commit on `pool` that hands journaled audit events to `link`'s journal.
    init(pool: DatabasePool, journal link: JournalLink) {
        self.pool = pool
        self.link = link
        thread = CommitThread(name: "store-commit", limit: Self.maximumBatch, weight: { _ in 1 }, idleCallers: Self.idleCallers) { [self] batch in
            commit(batch)
        }
    }

    /// Lets the committer thread finish what is queued and exit.
    func stop() { thread.stop() }

    func submit(_ operation: Operation) { thread.submit(operation) }

    private func commit(_ batch: [Operation]) {
        // The first error an operation met: when SQLite then abandons the whole
        // transaction (a full disk, an I/O error), it names the cause better than
        // the failed commit does.
        var firstError: (any Error)?
        do {
            try pool.writeWithoutTransaction { db in
                let durable = batch.contains(where: \.durable)
                if durable != committingDurably {
                    try db.execute(sql: durable ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                    committingDurably = durable
                }
                var allSucceeded = true
                try db.inTransaction(.immediate) {
                    for operation in batch {
                        if let error = operation.perform(db, false) {
                            firstError = error
                            allSucceeded = false
                            break
                        }
                    }
                    return allSucceeded ? .commit : .rollback
                }
                guard !allSucceeded else { return }
                try db.inTransaction(.immediate) {
                    for operation in batch { _ = operation.perform(db, true) }
                    return .commit
                }
            }
            // Before anyone hears "done": what they record next queues behind these events.
            let journaled = batch.compactMap { $0.journal.flatMap { $0.seqs.isEmpty ? nil : $0 } }
            if !journaled.isEmpty { link.journal?.committed(journaled) }
            for operation in batch { operation.complete(nil) }
        } catch where batch.count > 1 && Self.cause(firstError, commitError: error).code == .diskFull {
            // The disk filled (at commit, when the WAL is written, or before): one
            // operation's share may still fit, so each gets a transaction of its own
            // and its own outcome. Only then: after a lock timeout or an I/O error,
            // a transaction per operation would only wait or fail once per caller.
            for operation in batch { commit([operation]) }
        } catch {
            let failure = Self.cause(firstError, commitError: error)
            for operation in batch { operation.complete(failure) }
        }
    }

    /// What to tell every caller of a batch whose transaction failed: the storage
    /// problem an operation ran into if there was one, else the commit's own error.
    private static func cause(_ operationError: (any Error)?, commitError: any Error) -> StoreError {
        if let storeError = operationError as? StoreError, [.diskFull, .io, .busy, .corrupt, .cannotOpen].contains(storeError.code) {
            return storeError
        }
        return StoreError.wrapping(commitError, while: "commit to the node's database")
    }
}
