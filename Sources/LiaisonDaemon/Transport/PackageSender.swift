import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonWire
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Delivers a peer's due packages over one outbound connection: dial, handshake
/// as initiator, then batch by batch: every small package is pushed whole
/// (many in flight, answered in any order), each large one is offered and
/// streamed (offer → accept → data… → end). Answers are receipts or refusals;
/// a batch's offers share one audit commit, and its receipts share store
/// commits that journal their audit events. Every
/// outcome is written to the store; failures get a jittered, exponential backoff.
struct PackageSender {
    let context: DaemonContext
    let group: EventLoopGroup

    /// How many due deliveries a sender takes from the store at a time.
    static let batchSize = 64

    /// How many of an unreachable peer's due deliveries are put on their backoff in
    /// one commit (a larger queue takes a dial per this many).
    static let postponedAtOnce = 10_000

    /// How the last error of a delivery postponed because its peer could not be
    /// reached begins: once the peer is reached again they are all due at once.
    static let unreachable = "unreachable: "

    /// Delivers `peer`'s due packages; never throws: outcomes go to the store.
    /// Returns true if the session ended with work left (it reached its lifetime,
    /// or a stream was stopped): the caller starts the next one at once.
    @discardableResult
    func deliver(to peer: PeerRecord) async -> Bool {
        var logger = context.logger
        logger[metadataKey: "peer"] = "\(peer.name)"
        context.outboxSignal.senderStarted(peer: peer.name)
        defer { context.outboxSignal.senderEnded(peer: peer.name) }
        var queue = SenderQueue(peer: peer.name, node: peer.logFingerprint, signal: context.outboxSignal, batchSize: Self.batchSize)
        // Packages queued for an earlier node of this name are not this one's: failed,
        // once per holder of the name while the keyring stays as it is, and only if
        // this record is still the name's holder.
        guard context.peers.peer(named: peer.name)?.logFingerprint == peer.logFingerprint else { return false }
        if context.peers.firstSender(of: peer) {
            await context.failOpenDeliveries(named: peer.name, peer: nil, notFor: peer.logFingerprint,
                                             reason: "peer.removed: queued for an earlier peer named \(peer.name), not the node that holds the name now")
        }
        var pending = queue.read {
            (try? context.store.duePackages(peer: peer.name, now: Timestamp.now(), excluding: [], limit: Self.batchSize, node: peer.logFingerprint)) ?? []
        }
        guard !pending.isEmpty else { return false }
        // Answered deliveries whose recording failed: they get the backoff with what is pending.
        var unrecorded: [Delivery] = []
        // A node that revoked its own key sends nothing more: its key may be in other hands.
        if context.home.isRevoked {
            await context.failOpenDeliveries(named: peer.name, peer: peer, reason: "node.revoked: this node revoked its own identity key")
            return false
        }
        // Why the session ended with work left, if it did: the next one starts at once.
        var renewing: String?
        // Set once the handshake is done: a failure before it means the peer cannot be reached.
        var reached = false
        do {
            try await PeerDialer(context: context, group: group).withSession(to: peer) { session in
                reached = true
                // Back after an outage: what waits out a backoff for it goes on this session.
                if context.mayHavePostponed.withLockedValue({ $0.remove(peer.name) != nil }) {
                    do {
                        let brought = try await context.store.bringForward(peer: peer.name, failedWith: Self.unreachable, now: Timestamp.now())
                        if brought > 0 {
                            logger.info("\(peer.name) is reachable again: \(brought) postponed deliveries are due now")
                            queue.readNext()
                        }
                    } catch {
                        // Looked at again by the next session.
                        context.mayHavePostponed.withLockedValue { _ = $0.insert(peer.name) }
                    }
                }
                let pushes = session.peerFeatures.contains(.push)
                let opened = ContinuousClock.now
                // Keep the session while there is work: packages queued meanwhile go out
                // on the same connection instead of a new handshake each. The answers to
                // a batch's pushes are recorded while the next batch goes out (one such
                // recording at a time); those packages stay queued until recorded, so
                // the next batch is chosen without them. If a recording fails, its
                // packages and the batch answered since get the backoff below.
                try await withThrowingTaskGroup(of: Void.self) { recorder in
                    var recording: [Delivery] = []
                    func recorded() async throws {
                        do { try await recorder.next() } catch { unrecorded = recording; throw error }
                    }
                    while !pending.isEmpty {
                        if Task.isCancelled || Task.isShuttingDownGracefully { break }
                        let batch = try await deliverBatch(pending, to: peer, session: &session, renewingAt: opened + context.settings.sessionLifetime,
                                                           logger: logger)
                        try await recorded()
                        let answers = batch.answers
                        recording = answers.map(\.item.delivery)
                        pending = []
                        if !answers.isEmpty { recorder.addTask { [logger] in try await record(answers, from: peer, logger: logger) } }
                        if Task.isCancelled || Task.isShuttingDownGracefully { break }
                        // The session ends with the stopped stream; what is left goes on the next one.
                        if batch.streamStopped {
                            renewing = "ended with a stopped stream"
                            break
                        }
                        // A session is renewed when it reaches its lifetime (its keys then
                        // come from a fresh agreement); what is left goes on the next one.
                        if ContinuousClock.now - opened >= context.settings.sessionLifetime {
                            renewing = "reached its lifetime (session-lifetime-seconds)"
                            break
                        }
                        pending = try await nextWork(for: peer, excluding: Set(recording.map(\.packageID)), queue: &queue, pushing: pushes)
                    }
                    try await recorded()
                }
                if session.sentRekeys > 0 { logger.debug("session to \(peer.name) rekeyed \(session.sentRekeys) times") }
            }
            if let renewing { logger.debug("session to \(peer.name) \(renewing); dialling again") }
            return renewing != nil
        } catch {
            let reason = DeliveryFailureText.describe(error)
            logger.warning("delivery to \(peer.name) failed: \(reason)")
            try? await context.store.recordPeerError(fingerprint: peer.fingerprint, error: reason)
            DaemonMetrics.deliveryFailed(peer: peer.name)
            var failed = pending.map(\.delivery) + unrecorded
            if !reached {
                // Not reached: everything due for it waits its backoff now, in the same
                // commit, not only this batch (the scheduler would otherwise dial again
                // at once for the next batch, and again, a commit per package each time).
                let taken = Set(failed.map(\.packageID))
                failed += ((try? context.store.dueDeliveries(peer: peer.name, now: Timestamp.now(), limit: Self.postponedAtOnce)) ?? [])
                    .filter { !taken.contains($0.packageID) }
            }
            let now = Timestamp.now()
            _ = try? await context.store.recordFailures(failed.map { ($0.packageID, now + backoff(attempts: $0.attempts)) }, peer: peer.name,
                                                        error: reached ? reason : Self.unreachable + reason)
            if !reached { context.mayHavePostponed.withLockedValue { _ = $0.insert(peer.name) } }
            return false
        }
    }

    /// Due deliveries for `peer` other than those in `excluded` (answered, being
    /// recorded), waiting up to the linger time for new ones so a busy link keeps
    /// one session instead of a handshake per package. When only packages handed
    /// over to this sender were queued for the peer since the last read, it takes
    /// those instead of reading the queue again (``SenderQueue``). While it waits
    /// on a session that takes pushes (`pushing`), small packages queued for the
    /// peer are handed over and record their offers with their queueing (``EarlyOffers``).
    private func nextWork(for peer: PeerRecord, excluding excluded: Set<PackageID>, queue: inout SenderQueue,
                          pushing: Bool) async throws -> [DuePackage] {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(context.settings.lingerMilliseconds))
        func next() throws -> [DuePackage] {
            // The name may have passed to another node since this sender started: it takes
            // nothing more (what was handed over stays queued), and the next sender starts
            // with the name's new holder.
            guard context.peers.peer(named: peer.name)?.logFingerprint == peer.logFingerprint else { return [] }
            if let due = queue.takeHandedOver(excluding: excluded) {
                if !due.isEmpty { context.logger.debug("\(due.map(\.package.id.description).joined(separator: ", ")) handed over to the sender to \(peer.name)") }
                return due
            }
            return try queue.read {
                try context.store.duePackages(peer: peer.name, now: Timestamp.now(), excluding: excluded, limit: Self.batchSize, node: peer.logFingerprint)
            }
        }
        var due = try next()
        while due.isEmpty && ContinuousClock.now < deadline && !Task.isCancelled && !Task.isShuttingDownGracefully {
            // Woken at once by a new send, or at the deadline (a retry may be due by then).
            // A graceful shutdown ends the wait at once (the session then closes).
            let generation = queue.generation, timeout = deadline - ContinuousClock.now
            if pushing { context.earlyOffers.senderWaiting(peer: peer.name) }
            await withGracefulShutdownHandler {
                await context.outboxSignal.wait(past: generation, timeout: timeout)
            } onGracefulShutdown: {
                context.outboxSignal.announce()
            }
            if pushing { context.earlyOffers.senderBusy(peer: peer.name) }
            due = try next()
        }
        return due
    }

    /// Closes `item`'s delivery with its verified `receipt`, its events journaled with
    /// it; the package and, if it could not be closed, why.
    private func close(_ item: Outgoing, with receipt: DeliveryReceipt, peer: PeerRecord) async -> (PackageID, (any Error)?) {
        let stored = StoredReceipt(packageID: item.package.id, peer: peer.name, signedBy: receipt.recipient,
                                   receivedAt: receipt.receivedAt, body: receipt.body, signature: receipt.signature)
        do {
            // Delivered as of this node's clock: the receipt's own time is the peer's word (kept with it).
            _ = try await context.store.markDelivered(stored, at: Timestamp.now(), auditing: [deliveredEvent(item, receipt, peer: peer)])
            return (stored.packageID, nil)
        } catch {
            return (stored.packageID, error)
        }
    }

    /// A delivery ready to go: its package, the header hash its receipt must name,
    /// and the sealed bytes if the package is small enough to push.
    private struct Outgoing: Sendable {
        let delivery: Delivery
        let package: OutboxPackage
        let headerHash: [UInt8]
        /// What its header says it is marked, decided again as it leaves.
        let markings: Markings
        let body: [UInt8]?
    }

    /// A pushed package and the peer's answer to it.
    private typealias Answer = (item: Outgoing, reply: SessionMessage)

    /// What one batch brought back: the pushes' answers, for the caller to record,
    /// and whether a stream was stopped midway (``StreamRefused``), which ends the
    /// session: the peer is still waiting for the rest of that package.
    private struct BatchOutcome {
        var answers: [Answer] = []
        var streamStopped = false
    }

    /// Delivers one batch on the session: re-decides each package, records the
    /// offers, pushes the small packages back to back and collects their answers
    /// (returned, for the caller to record), then offers and streams the large
    /// ones one at a time, recording each answer; once the session reaches its
    /// lifetime (`renewal`) the large ones left stay queued for the next session.
    /// A stream stopped midway (its package refused) ends the batch there: the
    /// packages after it stay queued, untouched, and the pushes' answers are still
    /// returned.
    private func deliverBatch(_ deliveries: [DuePackage], to peer: PeerRecord, session: inout SecureSession,
                              renewingAt renewal: ContinuousClock.Instant, logger: Logger) async throws -> BatchOutcome {
        let now = Timestamp.now()
        var outgoing: [Outgoing] = []
        var anyExpired = false
        for due in deliveries {
            let delivery = due.delivery, package = due.package, storedBody = due.body
            if package.isExpired(at: now) { anyExpired = true; continue }
            let body: [UInt8]?, header: PackageHeader
            do {
                (body, header) = try Self.readStored(package, body: storedBody, store: context.store)
            } catch {
                // This package's problem, not the batch's: the others still go.
                let reason = "outbox.unreadable: the sealed package cannot be read (\(error)); send it again"
                logger.error("\(package.id) cannot be read from the outbox: \(error)")
                try await settle(package.id, logger: logger) { try await context.store.markFailed(packageID: package.id, peer: peer.name, error: reason) }
                await context.auditAfterTheFact(context.event(.packageRejected, .failed, peer: peer, package: package.id, markings: package.markings,
                                                              reason: reason, details: ["peer-name": peer.name]))
                continue
            }
            // The decision is taken again now, against the peer as it is now: a trust change,
            // a lower clearance or a revocation since the package was queued (or since this
            // session opened) stops it here. So does this node's own revocation.
            guard try await stillAllowed(package, markings: header.markings, to: peer, logger: logger) else { continue }
            outgoing.append(Outgoing(delivery: delivery, package: package, headerHash: header.hash, markings: header.markings, body: body))
        }
        if anyExpired { await context.expireDue(now: now) }
        guard !outgoing.isEmpty else { return BatchOutcome() }
        // No claim is needed to keep two senders off one delivery: the scheduler runs one
        // sender per peer. A pushed package stays `queued` until its receipt is stored; an
        // offered one is marked `sending` once accepted (so `outbox list` shows it
        // streaming) and goes back to `queued` with its failure if the attempt fails, or
        // at the next start after a crash: either way it is retried.
        // Small packages are pushed to a peer that takes pushes (a peer of an earlier
        // release is offered them, one at a time); the store keeps no body larger
        // than a push carries, and larger packages are files, offered and streamed.
        let canPush = session.peerFeatures.contains(.push)
        let pushed = canPush ? outgoing.filter { $0.body != nil } : []
        // Fail closed: nothing leaves for a peer without its audit record (the pushes'
        // in one commit; each offered package's just before its offer), unless its
        // first offer was recorded with its queueing, moments ago (``EarlyOffers``).
        let unrecorded = pushed.filter { !recordedEarly($0, peer: peer) }
        if !unrecorded.isEmpty { try await context.audit(contentsOf: unrecorded.map(offeredEvent(peer))) }
        // Back to back, handed to the socket together.
        try await session.send(contentsOf: pushed.map { .push(packageID: $0.package.id, expires: $0.package.expires, bytes: $0.body!) })
        var answers: [Answer] = []
        var waiting = Dictionary(uniqueKeysWithValues: pushed.map { ($0.package.id, $0) })
        while !waiting.isEmpty {
            guard let reply = try await session.receive() else {
                throw WireError(.unexpectedMessage, "the peer closed the connection before answering")
            }
            if case .close(let reason) = reply {
                throw WireError(.unexpectedMessage, "the peer closed the session (\(reason)) before answering \(waiting.count) pushed packages")
            }
            guard let id = Self.answeredPackage(reply), let item = waiting.removeValue(forKey: id) else {
                throw WireError(.unexpectedMessage, "an answer for a package that is not awaiting one")
            }
            answers.append((item, reply))
        }
        var offered = 0
        for item in outgoing where item.body == nil || !canPush {
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            // Past the session's lifetime the rest waits, queued, for the next session
            // (after one offer at least, so every session moves the queue on).
            if offered > 0, ContinuousClock.now >= renewal { break }
            // Decided again before each offer: streaming the packages before it may have
            // taken long enough for the package to expire or the peer to change.
            if item.package.isExpired(at: Timestamp.now()) {
                await context.expireDue(now: Timestamp.now())
                continue
            }
            guard try await stillAllowed(item.package, markings: item.markings, to: peer, logger: logger) else { continue }
            offered += 1
            if !recordedEarly(item, peer: peer) { try await context.audit(offeredEvent(peer)(item)) }
            try await session.send(.offer(packageID: item.package.id, size: UInt64(item.package.size), expires: item.package.expires))
            var reply = try await session.receive()
            if case .accept(let id, let offset) = reply, id == item.package.id {
                // Shown as `sending` while it streams (`outbox list`); an attempt cut off
                // goes back to `queued` with its failure, or at the next start.
                _ = try? await context.store.markSending(packageID: item.package.id, peer: peer.name)
                do {
                    try await stream(item, from: offset, to: peer, session: &session, logger: logger)
                } catch let stopped as StreamRefused {
                    logger.notice("\(stopped); the session ends, and the packages after it wait for the next")
                    return BatchOutcome(answers: answers, streamStopped: true)
                }
                reply = try await session.receive()
            }
            guard let reply else { throw WireError(.unexpectedMessage, "the peer closed the connection before answering") }
            guard Self.answeredPackage(reply) == item.package.id else {
                throw WireError(.unexpectedMessage, "unexpected answer to an offer")
            }
            try await record([(item, reply)], from: peer, logger: logger)
        }
        return BatchOutcome(answers: answers)
    }

    /// A stored package's sealed bytes (`body`, read with it, if kept in the database) and its header.
    private static func readStored(_ package: OutboxPackage, body: [UInt8]?, store: NodeStore) throws -> (body: [UInt8]?, header: PackageHeader) {
        if package.path == nil {
            guard let body else { throw CoreError(.io, "its stored bytes are missing") }
            var source = MemorySource(body)
            return (body, try PackageOpener.readHeader(from: &source))
        }
        var source = try StoredPackageSource.outbox(package, store: store)
        defer { source.close() }
        return (nil, try PackageOpener.readHeader(from: &source))
    }

    /// Whether this offer was recorded with the package's queueing: its first, and
    /// marked (``EarlyOffers``). The mark is used up either way.
    private func recordedEarly(_ item: Outgoing, peer: PeerRecord) -> Bool {
        context.earlyOffers.take(item.package.id, peer: peer.name) && item.delivery.attempts == 0
    }

    /// The `package.offered` entry for an outgoing package to `peer`.
    private func offeredEvent(_ peer: PeerRecord) -> (Outgoing) -> AuditEvent {
        { item in
            context.event(.packageOffered, peer: peer, package: item.package.id, markings: item.package.markings,
                          details: ["bytes": String(item.package.size), "attempt": String(item.delivery.attempts + 1)])
        }
    }

    /// The package a receipt or refusal answers; nil for any other message.
    private static func answeredPackage(_ message: SessionMessage) -> PackageID? {
        switch message {
        case .receipt(let receipt): receipt.packageID
        case .reject(let id, _, _): id
        default: nil
        }
    }

    /// Records the answers to a batch: every verified receipt's delivery in the
    /// store with its events journaled (their writes share commits), and each
    /// refusal or bad receipt on its own.
    private func record(_ answers: [Answer], from peer: PeerRecord, logger: Logger) async throws {
        var delivered: [(Outgoing, DeliveryReceipt)] = []
        for (item, reply) in answers {
            let package = item.package
            switch reply {
            case .receipt(let receipt):
                guard context.receiptVerifies(receipt, from: peer, packageID: package.id, headerHash: item.headerHash) else {
                    // A wrong receipt is this package's problem, not the session's: record it
                    // and let the operator look, rather than retrying the whole batch forever.
                    logger.error("\(peer.name) answered \(package.id) with a receipt that does not verify")
                    await context.auditAfterTheFact(context.event(.receiptReceived, .failed, actor: DaemonContext.actor(peer), peer: peer,
                                                                  package: package.id, reason: "receipt.invalid: the receipt does not verify with the peer's identity key"))
                    try await settle(package.id, logger: logger) {
                        try await context.store.markFailed(packageID: package.id, peer: peer.name, error: "the recipient's receipt does not verify")
                    }
                    continue
                }
                delivered.append((item, receipt))
            case .reject(_, let reason, let detail):
                logger.warning("\(peer.name) refused \(package.id): \(detail)")
                await context.auditAfterTheFact(context.event(.packageRejected, reason == .unavailable ? .failed : .denied,
                                                              actor: DaemonContext.actor(peer), peer: peer, package: package.id,
                                                              markings: package.markings, reason: "\(reason): \(detail)"))
                try await settle(package.id, logger: logger) {
                    switch reason {
                    case .unavailable:
                        try await context.store.recordFailure(packageID: package.id, peer: peer.name, error: "refused for now: \(detail)",
                                                              nextAttempt: Timestamp.now() + backoff(attempts: item.delivery.attempts))
                    case .expired:
                        try await context.store.markFailed(packageID: package.id, peer: peer.name, error: "the recipient found it expired: \(detail)")
                    case .invalid, .refused, .tooLarge:
                        try await context.store.markFailed(packageID: package.id, peer: peer.name,
                                                           error: "refused: \(detail)" + sealedBeforeRotation(package, peer: peer, detail: detail))
                    }
                }
            default:
                throw WireError(.unexpectedMessage, "unexpected answer to an offer")
            }
        }
        guard !delivered.isEmpty else { return }
        // Each delivery is closed on its own, its events journaled with it (the
        // writes share commits): one that cannot be (failed meanwhile, say) does
        // not cost the others theirs. A lone one (an idle link) is closed on this
        // task, without a child task to start on its way.
        var failures: [PackageID: any Error] = [:]
        if delivered.count == 1 {
            let (id, error) = await close(delivered[0].0, with: delivered[0].1, peer: peer)
            failures[id] = error
        } else {
            failures = await withTaskGroup(of: (PackageID, (any Error)?).self) { group in
                for (item, receipt) in delivered { group.addTask { await close(item, with: receipt, peer: peer) } }
                var failures: [PackageID: any Error] = [:]
                for await (id, error) in group { if let error { failures[id] = error } }
                return failures
            }
        }
        for (item, receipt) in delivered {
            if let error = failures[item.package.id].map(context.journaledWriteError) {
                logger.warning("\(peer.name) received \(item.package.id), but its delivery could not be closed: \(error)")
                guard let storeError = error as? StoreError, storeError.code == .conflict else { throw error }
                // The receipt verified: named, so that the recipient's package.received has its match here.
                await context.auditAfterTheFact(context.event(.receiptReceived, .failed, actor: DaemonContext.actor(peer), peer: peer,
                                                              package: item.package.id,
                                                              reason: "\(storeError.code.rawValue): a verified receipt arrived, but \(storeError.message)",
                                                              details: receipt.auditDetails()))
                continue
            }
            logger.info("delivered \(item.package.id) to \(peer.name); receipt verified")
            // Timed from the queueing if this daemon queued it, else from the package's creation (whole seconds).
            let waited = context.queueTimes.delivered(item.package.id) ?? Double(Timestamp.now() - item.package.created)
            DaemonMetrics.delivered(peer: peer.name, bytes: item.package.size, secondsSinceQueued: waited)
        }
    }

    /// What a delivery closed by a verified receipt records: one `package.delivered`
    /// entry carrying the receipt (``DeliveryReceipt/auditDetails(adding:)``). Versions before
    /// 2026-11-29 wrote `package.sent` and `receipt.received` beside it, each
    /// repeating what this entry says.
    private func deliveredEvent(_ item: Outgoing, _ receipt: DeliveryReceipt, peer: PeerRecord) -> AuditEvent {
        context.event(.packageDelivered, peer: peer, package: item.package.id, markings: item.package.markings,
                      details: receipt.auditDetails(adding: ["bytes": String(item.package.size)]))
    }

    /// Writes one package's outcome to the store. A delivery the expiry sweep closed
    /// meanwhile (its package in flight, or its expiry passed since the batch was
    /// read) refuses the write (`conflict`) and keeps its `expired`: that is this
    /// package's outcome, not the batch's, so the others still go and their
    /// answers are still recorded. Any other store error is thrown.
    private func settle(_ id: PackageID, logger: Logger, _ write: () async throws -> Void) async throws {
        do {
            try await write()
        } catch let error as StoreError where error.code == .conflict {
            logger.notice("the answer for \(id) was not recorded: \(error.message)")
        }
    }

    /// Streams the sealed package from `offset`, deciding again every
    /// ``framesBetweenDecisions`` frames whether it may still go to `peer`: if not,
    /// its delivery is failed and audited, and ``StreamRefused`` ends the session.
    private func stream(_ item: Outgoing, from offset: UInt64, to peer: PeerRecord, session: inout SecureSession, logger: Logger) async throws {
        let package = item.package
        guard offset <= UInt64(package.size) else { throw WireError(.unexpectedMessage, "resume offset beyond the package") }
        var source = try StoredPackageSource.outbox(package, store: context.store)
        defer { source.close() }
        try source.skip(to: offset)
        var position = offset, frames = 0
        while position < UInt64(package.size) {
            frames += 1
            if frames % Self.framesBetweenDecisions == 0, let refusal = currentRefusal(item.markings, for: peer) {
                try await refuse(package, markings: item.markings, because: refusal, to: peer, logger: logger)
                throw StreamRefused(package: package.id, refusal: refusal)
            }
            let n = Int(min(UInt64(SessionMessage.maximumDataByteCount), UInt64(package.size) - position))
            try await session.outbound.sendData(count: n, from: &source)
            position += UInt64(n)
        }
        try await session.send(.end(packageID: package.id, size: UInt64(package.size)))
    }

    /// What a refusal of a package sealed before this node's latest rotation likely
    /// means: the peer knows only the new keys (it imported the new card instead of
    /// taking the rotation), so it cannot tell the package is this node's. The peer's
    /// answer does not say why (``UndisclosedRefusal``); this says what to do.
    private func sealedBeforeRotation(_ package: OutboxPackage, peer: PeerRecord, detail: String) -> String {
        guard detail.contains("[package.not-accepted]"), let rotation = try? context.home.rotation(), package.created <= rotation.rotatedAt else { return "" }
        return " (it was sealed under this node's keys from before its rotation of \(Timestamp.iso8601(rotation.rotatedAt)); if \(peer.name) took this node's new card rather than the rotation, or the overlap ended first, it no longer accepts those keys: send the file again)"
    }

    /// Exponential backoff with jitter: 1 s, 2 s, 4 s … capped, times 0.5–1.0.
    func backoff(attempts: Int) -> Int64 {
        let base = min(context.settings.retryMaximum, context.settings.retryInitial * pow(2, Double(min(attempts, 30))))
        let jitter = 0.5 + Double((try? Sodium.uniformRandom(1000)) ?? 500) / 2000
        return max(1, Int64((base * jitter).rounded()))
    }
}
