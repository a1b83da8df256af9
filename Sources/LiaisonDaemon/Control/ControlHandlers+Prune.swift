import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// `outbox.prune`: the operator gives back the disk that packages sent in full
/// hold. Only files go (small packages live in their rows); the rows, the
/// deliveries, the receipts and the audit log stay.
extension ControlHandlers {
    func pruneOutbox(_ request: ControlRequest, actor: AuditActor) async throws -> PruneReport {
        let olderThan = try required(request.olderThanSeconds, "olderThanSeconds")
        guard olderThan > 0 else {
            throw CoreError(.invalidArgument, "--older-than must be a positive duration (e.g. 30d): a package is pruned only once it was queued that long ago")
        }
        let now = Timestamp.now()
        var report = PruneReport(count: 0, bytes: 0, packages: [])
        // A batch a commit (its audit entries journaled with it); each batch's files
        // go once it is committed. Bounded: a package is pruned once, so every batch
        // but the last is full.
        while true {
            let batch: [OutboxPackage]
            do {
                batch = try await context.store.pruneOutboxFiles(queuedBefore: now - olderThan, now: now) { [context] packages in
                    packages.map {
                        context.event(.packagePruned, actor: actor, package: $0.id, markings: $0.markings,
                                      details: ["size": String($0.size), "queued": Timestamp.iso8601($0.created)])
                    }
                }
            } catch {
                let done = report.count == 0 ? "" : " (\(report.count) packages were pruned before it; the audit log names them)"
                context.logger.error("outbox prune stopped\(done): \(error)")
                throw context.journaledWriteError(error)
            }
            for package in batch {
                // Committed first: a file left by a crash here goes at the next start (sweepOutbox).
                // The store prunes only packages whose file is the home's own outbox/<id>.lpkg.
                if unlink(context.outboxFile(package.id)) != 0 {
                    let code = errno
                    if code != ENOENT {
                        context.logger.warning("could not remove the pruned outbox file of \(package.id): errno \(code); it goes at the next start")
                    }
                }
            }
            report.count += batch.count
            report.bytes += batch.reduce(0) { $0 + $1.size }
            report.packages += batch.prefix(PruneReport.listedAtMost - report.packages.count).map(\.id.description)
            if batch.count < AuditLog.maximumBatch { break }
        }
        if report.count > 0 { context.logger.notice("pruned the sealed files of \(report.count) packages sent in full") }
        return report
    }
}
