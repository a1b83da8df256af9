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
        let completion: Completion
    }

    private let pool: DatabasePool?
    private var thread: CommitThread<Request>!
    // Only touched by the committer thread: the tree's right edge as of the last commit.
    private var edge = MerkleAccumulator()

    init(pool: DatabasePool?) {
        self.pool = pool
        thread = CommitThread(name: "audit-commit", limit: AuditLog.maximumBatch, weight: { $0.leaves.count }) { [self] batch in commit(batch) }
    }

    var isWritable: Bool { pool != nil }

    /// Lets the committer thread finish what is queued and exit.
    func stop() { thread.stop() }

    func submit(_ leaves: [PendingLeaf], completion: @escaping Completion) {
        guard pool != nil else {
            completion(.failure(StoreError(.cannotOpen, "the audit log was opened read-only; nothing can be appended")))
            return
        }
        thread.submit(Request(leaves: leaves, completion: completion))
    }

    private func commit(_ batch: [Request]) {
        guard let pool else { return }
        do {
            var edge = self.edge
            var ranges: [Range<Int>] = []
            try pool.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    ranges = []
                    edge = try Self.currentEdge(db, cached: self.edge)
                    let inserter = try LeafInserter(db)
                    for request in batch {
                        let start = edge.size
                        for leaf in request.leaves {
                            try inserter.insert(leaf, at: edge.size)
                            for subtree in try edge.appendReportingSubtrees(leafHash: leaf.hash)
                            where subtree.level >= AuditLog.minimumStoredLevel {
                                try inserter.insert(subtree)
                            }
                        }
                        ranges.append(start..<edge.size)
                    }
                    return .commit
                }
            }
            self.edge = edge
            for (request, range) in zip(batch, ranges) { request.completion(.success(range)) }
        } catch {
            // Nothing of the batch was written; the next commit re-reads the edge.
            self.edge = MerkleAccumulator()
            let failure = StoreError.wrapping(error, while: "record the audit event")
            for request in batch { request.completion(.failure(failure)) }
        }
    }

    /// The tree's right edge as stored: `cached` if nobody else appended since,
    /// otherwise read from the leaf and subtree tables (one row per set bit of the size).
    static func currentEdge(_ db: Database, cached: MerkleAccumulator) throws -> MerkleAccumulator {
        let size = try AuditLog.size(db)
        if size == cached.size { return cached }
        return try AuditLog.storedEdge(db, size: size)
    }
}
