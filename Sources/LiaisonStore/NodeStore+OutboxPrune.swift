import GRDB
import LiaisonAudit

/// Giving back the disk that packages sent in full hold: the operator's
/// `liaison outbox prune`.
extension NodeStore {
    /// Marks pruned, at `now`, the packages kept in files that were queued before
    /// `queuedBefore` and whose every delivery is closed (delivered, expired or
    /// failed), and whose file is the home's own `outbox/<id>.lpkg` (a row an old
    /// release wrote with a path elsewhere is left alone: that path may name
    /// another file by now), at most `limit` of them (the oldest first), and returns them, so
    /// that the caller removes their files; a call that returns `limit` may have
    /// left more. The rows,
    /// deliveries and receipts stay. `events`, the audit events recording it, are
    /// journaled in the same commit (``AuditJournal``), and only if something was
    /// pruned. A package already pruned, kept in its row, or with a delivery still
    /// open is left as it is (the schema refuses to prune one with an open delivery).
    ///
    /// The files are removed after the commit: a crash in between leaves files that
    /// the daemon removes at its next start (a pruned row's file is not kept).
    public func pruneOutboxFiles(queuedBefore: Int64, now: Int64, limit: Int = AuditLog.maximumBatch,
                                 auditing events: (@Sendable ([OutboxPackage]) -> [AuditEvent])? = nil) async throws -> [OutboxPackage] {
        precondition(limit > 0 && (events == nil || limit <= AuditLog.maximumBatch), "prune 1 to AuditLog.maximumBatch packages at a time")
        let files = self.files
        return try await commit("prune the outbox's sent files", auditingResult: events) { db in
            try Row.fetchAll(try db.cachedStatement(sql: """
                UPDATE outbox_package SET pruned_at = :now
                WHERE rowid IN (SELECT rowid FROM outbox_package INDEXED BY outbox_package_prunable
                                WHERE pruned_at IS NULL AND path IS NOT NULL AND created < :before
                                  AND path = 'outbox/' || id || '.lpkg'
                                  AND NOT EXISTS (SELECT 1 FROM delivery WHERE package_id = outbox_package.id AND state IN ('queued', 'sending'))
                                ORDER BY created LIMIT :limit)
                RETURNING \(OutboxPackage.columns)
                """), arguments: ["now": now, "before": queuedBefore, "limit": limit]).map { try OutboxPackage(row: $0, files: files) }
                .sorted { $0.created < $1.created }
        }
    }
}
