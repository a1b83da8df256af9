import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// The end that `send` and `forward` share: packages sealed into the outbox are
/// made durable, recorded, and queued — or leave nothing behind.
extension ControlHandlers {
    /// Finishes `incremental` into `sink`, appends `events` and the package's
    /// `package.queued` entry to the audit log (fail closed: nothing is queued
    /// unless they are durable), and queues the package for `recipients`.
    func queueSealed(_ incremental: inout IncrementalSealer, into sink: OutboxSink, created: Int64, expires: Int64?,
                     markings: Markings, recipients: [String], actor: AuditActor, events: [AuditEvent]) async throws -> OutboxPackage {
        let sealed = try await finishSealed(&incremental, into: sink, created: created, expires: expires, markings: markings,
                                            recipients: recipients)
        try await queue([sealed], actor: actor, events: events)
        return sealed.package
    }

    /// Finishes `incremental` into `sink`: a large package's file is then durable,
    /// a small one's bytes are in memory. Nothing is recorded or queued yet.
    func finishSealed(_ incremental: inout IncrementalSealer, into sink: OutboxSink, created: Int64, expires: Int64?,
                      markings: Markings, recipients: [String]) async throws -> QueuedPackage {
        var output = sink
        try await incremental.finish(into: &output)
        switch try sink.finish() {
        case .file(let path):
            var info = stat()
            stat(path, &info)
            return QueuedPackage(package: OutboxPackage(id: incremental.packageID, path: path, size: Int64(info.st_size), created: created,
                                                        expires: expires, tlp: markings.tlp, markings: markings.banner),
                                 body: nil, recipients: recipients)
        case .inline(let bytes):
            return QueuedPackage(package: OutboxPackage(id: incremental.packageID, path: nil, size: Int64(bytes.count), created: created,
                                                        expires: expires, tlp: markings.tlp, markings: markings.banner),
                                 body: bytes, recipients: recipients)
        }
    }

    /// Appends `events` and every package's `package.queued` entry in one audit
    /// commit (fail closed: nothing is queued unless they are durable), then
    /// queues all the packages in one store transaction: all of them, or none.
    /// On failure no package file is left behind.
    func queue(_ packages: [QueuedPackage], actor: AuditActor, events: [AuditEvent]) async throws {
        func discardFiles() {
            for queued in packages { if let path = queued.package.path { unlink(path) } }
        }
        do {
            try await context.audit(contentsOf: events + packages.map { queued in
                context.event(.packageQueued, actor: actor, package: queued.package.id, markings: queued.package.markings,
                              details: ["recipients": queued.recipients.joined(separator: ",")])
            })
        } catch {
            discardFiles()
            throw error
        }
        do {
            try await context.store.enqueue(packages)
        } catch {
            // The log already says the command ran and the packages were queued: it now
            // says, for each, that queueing failed after all and why.
            discardFiles()
            await context.auditAfterTheFact(contentsOf: packages.map { queued in
                context.event(.packageRejected, .failed, actor: actor, package: queued.package.id, markings: queued.package.markings,
                              reason: "\(Self.auditReason(error)) (sealed and recorded, but not queued: nothing will be sent)")
            })
            throw RecordedFailure(underlying: error)
        }
        context.announceQueued()
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
