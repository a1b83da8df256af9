import Foundation
import GRDB
import LiaisonAudit

/// The audit log's group commit: callers queue leaves, one thread writes
/// everything queued in one immediate transaction and commits it (one fsync),
/// then tells every caller in that batch the indices their leaves got — or the
/// error, in which case none of the batch was written.
///
/// While a commit runs, new callers queue up and form the next batch, so the
/// more concurrent the load, the more events share each fsync.
final class AuditGroupCommit: @unchecked Sendable {
    typealias Completion = @Sendable (Result<Range<Int>, any Error>) -> Void

    private struct Request {
        let leaves: [PendingLeaf]
        /// Set when the leaves come from a node store's audit journal.
        let journal: JournalTransfer?
        /// Nobody waits for it: it may be held back to share the next commit.
        let mayWait: Bool
        let completion: Completion
    }

    /// How long a journal transfer (durable already, and waited for by nobody)
    /// may be held back to share a commit (``CommitThread``): with the transfers
    /// after it, and with any append, which ends the hold at once and takes the
    /// held entries along ahead of its own. So the log's commits stay off the
    /// way of the packages being sent and received, and share their fsyncs.
    static let transferHold: Duration = .milliseconds(20)

    private let pool: DatabasePool?
    private var thread: CommitThread<Request>!
    /// Tells the callers of a large batch their outcome, so that the committer
    /// moves straight on to the next batch while the last one's callers are
    /// resumed. A small batch is told on the committer thread: under light load
    /// a hop to another thread would only add to every caller's wait. So callers
    /// may hear in another order than their batches committed; each is told only
    /// once its own leaves are durable, and nothing relies on the order.
    private let notifier = CommitThread<@Sendable () -> Void>(name: "audit-notify", limit: .max, weight: { _ in 1 }) { batch in
        for notify in batch { notify() }
    }
    // Only touched by the committer thread: the tree's right edge and the query
    // index's backlog as of the last commit.
    private var edge = MerkleAccumulator()
    private var backlog = LeafKeyIndex.Backlog()

    init(pool: DatabasePool?) {
        self.pool = pool
        thread = CommitThread(name: "audit-commit", limit: AuditLog.maximumBatch, weight: { $0.leaves.count },
                              mayWait: \.mayWait, hold: Self.transferHold) { [self] batch in commit(batch) }
    }

    var isWritable: Bool { pool != nil }

    /// Lets the committer thread finish what is queued and exit.
    func stop() { thread.stop() }

    // The committer thread holds this object until it exits, so by now it has
    // handed the notifier its last batch: the notifier tells those and exits.
    deinit { notifier.stop() }

    /// Queues `leaves` for the next commit. With `journal`, they are journal entries
    /// (one seq each, ascending): those the log already holds are skipped, and the
    /// store's mark moves to the last seq in the same commit. An empty request
    /// writes nothing and completes once every earlier one has. A request that
    /// `mayWait` is held back up to ``transferHold`` for another to share its commit.
    func submit(_ leaves: [PendingLeaf], journal: JournalTransfer? = nil, mayWait: Bool = false, completion: @escaping Completion) {
        guard pool != nil else {
            completion(.failure(StoreError(.cannotOpen, "the audit log was opened read-only; nothing can be appended")))
            return
        }
        precondition(journal.map { $0.seqs.count == leaves.count } ?? true, "one journal seq per leaf")
        // Checked and queued in one step: a request racing close() fails, never waits forever.
        guard thread.submit(Request(leaves: leaves, journal: journal, mayWait: mayWait, completion: completion)) else {
            completion(.failure(StoreError(.cannotOpen, "the audit log was closed; nothing can be appended")))
            return
        }
    }

    private func commit(_ batch: [Request]) {
        guard let pool else { return }
        guard batch.contains(where: { !$0.leaves.isEmpty }) else {
            // Only barriers: everything queued before them is already told.
            let size = edge.size
            for request in batch { request.completion(.success(size..<size)) }
            return
        }
        do {
            var edge = self.edge
            var backlog = self.backlog
            var outcomes: [Result<Range<Int>, any Error>] = []
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    outcomes = []
                    (edge, backlog) = try Self.currentState(db, cached: (self.edge, self.backlog))
                    let inserter = try LeafInserter(db)
                    var keys: [LeafKeyEntry] = []
                    var marks = JournalMarks()
                    for request in batch {
                        let start = edge.size
                        if let journal = request.journal, try marks.current(journal.store, db) < journal.follows {
                            // An earlier transfer failed: these wait for the journal's carry-over.
                            outcomes.append(.failure(StoreError(.conflict, "an earlier part of the audit journal is not in the log yet")))
                            continue
                        }
                        for (position, leaf) in request.leaves.enumerated() {
                            if let journal = request.journal {
                                guard try marks.take(journal.seqs[position], of: journal.store, db) else { continue }
                            }
                            try inserter.insert(leaf, at: edge.size)
                            if let key = leaf.peerKey { keys.append(LeafKeyEntry(key: key, index: edge.size)) }
                            if let key = leaf.packageKey { keys.append(LeafKeyEntry(key: key, index: edge.size)) }
                            try edge.append(leafHash: leaf.hash, reportingFrom: AuditLog.minimumStoredLevel) { try inserter.insert($0) }
                        }
                        outcomes.append(.success(start..<edge.size))
                    }
                    try LeafKeyIndex.file(keys, inserter: inserter, backlog: &backlog)
                    try marks.save(db)
                    return .commit
                }
            }
            self.edge = edge
            self.backlog = backlog
            let told = Array(zip(batch.map(\.completion), outcomes))
            notify(callers: batch.count) { for (completion, outcome) in told { completion(outcome) } }
        } catch {
            // Nothing of the batch was written; the next commit re-reads the edge.
            self.edge = MerkleAccumulator()
            self.backlog = LeafKeyIndex.Backlog()
            let failure = StoreError.wrapping(error, while: "record the audit event", in: pool.path)
            let completions = batch.map(\.completion)
            notify(callers: batch.count) { for completion in completions { completion(.failure(failure)) } }
        }
    }

    /// Runs `tell` here for a batch of a few callers, on the notifier thread otherwise.
    private func notify(callers: Int, _ tell: @escaping @Sendable () -> Void) {
        if callers <= Self.inlineNotifyLimit { tell() } else { notifier.submit(tell) }
    }

    /// Largest batch (in callers) told on the committer thread.
    static let inlineNotifyLimit = 16

    /// The tree's right edge and the query index's backlog as stored: `cached`
    /// if nobody else appended since, otherwise read from the database (the edge
    /// is one row per set bit of the size).
    static func currentState(_ db: Database, cached: (MerkleAccumulator, LeafKeyIndex.Backlog)) throws
        -> (MerkleAccumulator, LeafKeyIndex.Backlog) {
        let size = try AuditLog.size(db)
        if size == cached.0.size { return cached }
        return (try AuditLog.storedEdge(db, size: size), try LeafKeyIndex.backlog(db))
    }
}

