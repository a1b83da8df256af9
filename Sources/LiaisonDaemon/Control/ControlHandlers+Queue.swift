import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// The end that `send` and `forward` share: a package sealed into the outbox is
/// made durable, recorded, and queued — or leaves nothing behind.
extension ControlHandlers {
    /// Finishes `incremental` into `sink`, appends `events` and the package's
    /// `package.queued` entry to the audit log (fail closed: nothing is queued
    /// unless they are durable), and queues the package for `recipients`.
    func queueSealed(_ incremental: inout IncrementalSealer, into sink: OutboxSink, created: Int64, expires: Int64?,
                     markings: Markings, recipients: [String], actor: AuditActor, events: [AuditEvent]) async throws -> OutboxPackage {
        var output = sink
        try await incremental.finish(into: &output)
        let stored = try sink.finish()
        let package: OutboxPackage, body: [UInt8]?
        switch stored {
        case .file(let path):
            var info = stat()
            stat(path, &info)
            package = OutboxPackage(id: incremental.packageID, path: path, size: Int64(info.st_size), created: created,
                                    expires: expires, tlp: markings.tlp, markings: markings.banner)
            body = nil
        case .inline(let bytes):
            package = OutboxPackage(id: incremental.packageID, path: nil, size: Int64(bytes.count), created: created,
                                    expires: expires, tlp: markings.tlp, markings: markings.banner)
            body = bytes
        }
        do {
            try await context.audit(contentsOf: events + [
                context.event(.packageQueued, actor: actor, package: package.id, markings: markings.banner,
                              details: ["recipients": recipients.joined(separator: ",")]),
            ])
        } catch {
            if let path = package.path { unlink(path) }
            throw error
        }
        do {
            try await context.store.enqueue(package, body: body, recipients: recipients)
        } catch {
            // The log already says the command ran and the package was queued: it now
            // says, for that package, that queueing failed after all and why.
            if let path = package.path { unlink(path) }
            await context.auditAfterTheFact(context.event(.packageRejected, .failed, actor: actor, package: package.id, markings: markings.banner,
                                                          reason: "\(Self.auditReason(error)) (sealed and recorded, but not queued: nothing will be sent)"))
            throw RecordedFailure(underlying: error)
        }
        context.announceQueued()
        return package
    }

    /// What `send` and `forward` answer: the package, who gets it, and who was withheld and why.
    func sendReceipt(_ package: OutboxPackage, recipients: [String], selection: RecipientSelection, payloadBytes: UInt64,
                     markingsNote: String? = nil) -> SendReceipt {
        SendReceipt(id: package.id.description, recipients: recipients,
                    withheld: selection.withheld.map { WithheldRecipient(peer: $0.name, rule: $0.decision.rule.rawValue, reason: $0.decision.explanation) },
                    markings: package.markings, size: Int64(payloadBytes), expires: package.expires.map(Timestamp.iso8601),
                    markingsNote: markingsNote)
    }
}

/// A failure of a command whose own audit record was already committed (with the
/// failure recorded after it): the command must not be recorded again as failed.
struct RecordedFailure: Error {
    let underlying: any Error
}
