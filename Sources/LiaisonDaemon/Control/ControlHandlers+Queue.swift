import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// The end that `send` and `forward` share: packages sealed into the outbox are
/// made durable, recorded, and queued — or leave nothing behind.
extension ControlHandlers {
    /// Finishes `incremental` into `sink`, appends `events` to the audit log (fail
    /// closed: nothing is queued unless they are durable), and queues the package
    /// for `recipients`. `events` must hold the package's own entry naming its
    /// recipients (`package.sealed` or `package.forwarded`): that entry, in the
    /// queueing's commit, is the record that it was queued.
    func queueSealed(_ incremental: inout IncrementalSealer, into sink: OutboxSink, created: Int64, expires: Int64?,
                     markings: Markings, recipients: [String], events: [AuditEvent]) async throws -> OutboxPackage {
        let sealed = try await finishSealed(&incremental, into: sink, created: created, expires: expires, markings: markings,
                                            recipients: recipients, nodes: Self.nodes(of: recipients, in: context.peers))
        let queued = try makeDurable([sealed])
        try await queue(queued, events: events)
        return queued[0].package
    }

    /// A package sealed into the outbox, not yet durable, recorded or queued.
    struct SealedPackage {
        let id: PackageID
        let sink: OutboxSink
        let created: Int64
        let expires: Int64?
        let markings: Markings
        let recipients: [String]
        /// The node each recipient name stood for when it was chosen (and sealed to).
        let nodes: [String: NodeFingerprint]
    }

    /// Writes the last of `incremental` into `sink`. A package that spilled to a
    /// file is still a temporary file (``makeDurable(_:)`` puts it in place).
    func finishSealed(_ incremental: inout IncrementalSealer, into sink: OutboxSink, created: Int64, expires: Int64?,
                      markings: Markings, recipients: [String], nodes: [String: NodeFingerprint]) async throws -> SealedPackage {
        var output = sink
        try await incremental.finish(into: &output)
        return SealedPackage(id: incremental.packageID, sink: sink, created: created, expires: expires, markings: markings,
                             recipients: recipients, nodes: nodes)
    }

    /// Makes every sealed package's file durable at its path (packages in memory
    /// become durable with their rows), only once all of them are sealed. A crash
    /// before their rows are committed leaves files no row names, which the next
    /// start removes (``DaemonContext/sweepOutbox()``). If one fails, none is left
    /// in place (a file that failed to commit removes itself).
    func makeDurable(_ sealed: [SealedPackage]) throws -> [QueuedPackage] {
        var queued: [QueuedPackage] = []
        do {
            for item in sealed {
                let path: String?, body: [UInt8]?
                switch try item.sink.finish() {
                case .file(let placed): (path, body) = (placed, nil)
                case .inline(let bytes): (path, body) = (nil, bytes)
                }
                queued.append(QueuedPackage(package: OutboxPackage(id: item.id, path: path, size: Int64(item.sink.byteCount), created: item.created,
                                                                   expires: item.expires, tlp: item.markings.tlp, markings: item.markings.banner),
                                            body: body, recipients: item.recipients, recipientNodes: item.nodes))
            }
        } catch {
            Self.discardFiles(of: queued)
            throw error
        }
        return queued
    }

    /// The node each of `names` stands for now, by its lifelong fingerprint: what the
    /// deliveries are filed under besides the name (a later holder of it is not them).
    static func nodes(of names: [String], in peers: PeerDirectory) -> [String: NodeFingerprint] {
        var nodes: [String: NodeFingerprint] = [:]
        for name in names { nodes[name] = peers.peer(named: name)?.logFingerprint }
        return nodes
    }

    /// Removes the files of packages that will not be queued after all.
    private static func discardFiles(of packages: [QueuedPackage]) {
        for queued in packages { if let path = queued.package.path { unlink(path) } }
    }

    /// Queues all the packages in one store transaction — all of them, or none —
    /// with `events` journaled in it (fail closed: nothing is queued without its
    /// record, and nothing recorded without being queued). Each package's entry in
    /// `events` names its recipients; a separate `package.queued` entry would only
    /// repeat it (versions before 2026-11-29 wrote one). On failure no package file
    /// is left behind.
    ///
    /// A small package's offer to a peer whose sender waits for work is recorded
    /// here too (``EarlyOffers``): it is pushed right after this commit.
    func queue(_ packages: [QueuedPackage], events: [AuditEvent]) async throws {
        let early = earlyOffers(of: packages)
        // Timed from here (a sender reading its queue may deliver one before the commit's
        // announcement); a queueing that fails leaves entries that age out (``QueueTimes``).
        for queued in packages { context.queueTimes.queued(queued.package.id, copies: queued.recipients.count) }
        do {
            // Senders are told on the committing thread, the moment the packages are durable,
            // rather than after this task resumes. The offers are marked only then: a
            // sender that looks first records the offer itself.
            try await context.store.enqueue(packages, auditing: events + early.events) { [context] in
                for (id, peers) in early.marks { context.earlyOffers.recorded(id, peers: peers) }
                context.announceQueued(packages, handingOver: early.handOver)
            }
        } catch {
            Self.discardFiles(of: packages)
            throw context.journaledWriteError(error)
        }
    }

    /// The offers to record with the queueing of `packages`: each small package's
    /// to every recipient whose sender waits for work on a session that takes pushes.
    /// Every small package is also handed to its recipients' senders once queued (per
    /// peer name): a busy sender takes it from memory when it next looks for work,
    /// recording its offer then, instead of reading its queue (``OutboxSignal``).
    private func earlyOffers(of packages: [QueuedPackage])
        -> (events: [AuditEvent], marks: [(PackageID, [String])], handOver: [String: [DuePackage]]) {
        var events: [AuditEvent] = [], marks: [(PackageID, [String])] = [], handOver: [String: [DuePackage]] = [:]
        for queued in packages where queued.body != nil {
            let package = queued.package
            // Only to the node each name was sealed for: a name that changed holder meanwhile is read from the queue.
            var holders: [String: PeerRecord] = [:]
            for name in queued.recipients {
                guard let peer = context.peers.peer(named: name),
                      queued.recipientNodes[name] == nil || peer.logFingerprint == queued.recipientNodes[name] else { continue }
                holders[name] = peer
                handOver[name, default: []].append(queued.duePackage(to: name))
            }
            let peers = context.earlyOffers.waitingPeers(among: queued.recipients.filter { holders[$0] != nil }).compactMap { holders[$0] }
            guard !peers.isEmpty else { continue }
            marks.append((package.id, peers.map(\.name)))
            context.logger.debug("the offer of \(package.id) to \(peers.map(\.name).joined(separator: ", ")) is recorded with its queueing")
            events += peers.map { peer in
                context.event(.packageOffered, peer: peer, package: package.id, markings: package.markings,
                              details: ["bytes": String(package.size), "attempt": "1"])
            }
        }
        return (events, marks, handOver)
    }

    /// What `send` and `forward` answer: the package, who gets it, and who was withheld and why.
    func sendReceipt(_ package: OutboxPackage, recipients: [String], selection: RecipientSelection, payloadBytes: UInt64,
                     markingsNote: String? = nil) -> SendReceipt {
        var receipt = SendReceipt(id: package.id.description, recipients: recipients,
                                  withheld: selection.withheld.map { WithheldRecipient(peer: $0.name, rule: $0.decision.rule.rawValue, reason: $0.decision.explanation) },
                                  markings: package.markings, size: Int64(payloadBytes), expires: package.expires.map(Timestamp.iso8601),
                                  markingsNote: markingsNote)
        receipt.sealedSize = package.size
        receipt.node = context.configuration.name
        return receipt
    }
}
