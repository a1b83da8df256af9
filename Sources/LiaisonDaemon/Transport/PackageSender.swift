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
/// as initiator, then offer → (accept → data… → end) → receipt, package by
/// package. Every outcome is written to the store; failures get a jittered,
/// exponential backoff.
struct PackageSender {
    let context: DaemonContext
    let group: EventLoopGroup

    /// How many due deliveries a sender takes from the store at a time.
    static let batchSize = 64

    /// Delivers `peer`'s due packages; never throws: outcomes go to the store.
    func deliver(to peer: PeerRecord) async {
        var logger = context.logger
        logger[metadataKey: "peer"] = "\(peer.name)"
        var pending = (try? context.store.dueDeliveries(peer: peer.name, now: Timestamp.now(), limit: Self.batchSize)) ?? []
        guard !pending.isEmpty else { return }
        // A node that revoked its own key sends nothing more: its key may be in other hands.
        if context.home.isRevoked {
            for d in pending {
                try? context.store.markFailed(packageID: d.packageID, peer: d.peer, error: "node.revoked: this node revoked its own identity key")
                await context.auditAfterTheFact(context.event(.policyDenied, .denied, peer: peer, package: d.packageID,
                                                              reason: "node.revoked: this node revoked its own identity key"))
            }
            return
        }
        do {
            try await PeerDialer(context: context, group: group).withSession(to: peer) { session in
                // Keep the session while there is work: packages queued meanwhile go out
                // on the same connection instead of a new handshake each.
                while !pending.isEmpty {
                    while let delivery = pending.first {
                        if Task.isCancelled || Task.isShuttingDownGracefully { break }
                        try await deliverOne(delivery, to: peer, session: &session, logger: logger)
                        pending.removeFirst()
                    }
                    if Task.isCancelled || Task.isShuttingDownGracefully { break }
                    pending = try await nextWork(for: peer)
                }
                if session.sentRekeys > 0 { logger.debug("session to \(peer.name) rekeyed \(session.sentRekeys) times") }
            }
        } catch {
            logger.warning("delivery to \(peer.name) failed: \(error)")
            try? context.store.recordPeerError(fingerprint: peer.fingerprint, error: "\(error)")
            DaemonMetrics.deliveryFailed(peer: peer.name)
            for delivery in pending {
                try? context.store.recordFailure(packageID: delivery.packageID, peer: delivery.peer, error: "\(error)",
                                                 nextAttempt: Timestamp.now() + backoff(attempts: delivery.attempts))
            }
        }
    }

    /// Due deliveries for `peer`, waiting up to the linger time for new ones so a
    /// busy link keeps one session instead of a handshake per package.
    private func nextWork(for peer: PeerRecord) async throws -> [Delivery] {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(context.settings.lingerMilliseconds))
        var seen = context.outboxGeneration.withLockedValue { $0 }
        var due = try context.store.dueDeliveries(peer: peer.name, now: Timestamp.now(), limit: Self.batchSize)
        while due.isEmpty && ContinuousClock.now < deadline && !Task.isShuttingDownGracefully {
            try await Task.sleep(for: .milliseconds(1))
            let generation = context.outboxGeneration.withLockedValue { $0 }
            // Only look at the database when something new was queued (or a retry may be due).
            if generation != seen || ContinuousClock.now >= deadline {
                seen = generation
                due = try context.store.dueDeliveries(peer: peer.name, now: Timestamp.now(), limit: Self.batchSize)
            }
        }
        return due
    }

    private func deliverOne(_ delivery: Delivery, to peer: PeerRecord, session: inout SecureSession, logger: Logger) async throws {
        guard let package = try context.store.outboxPackage(id: delivery.packageID) else { return }
        if package.isExpired(at: Timestamp.now()) {
            await context.recordExpired(try context.store.expireDue(now: Timestamp.now()))
            return
        }
        // The decision is taken again now, against the peer as it is now: a trust change,
        // a lower clearance or a revocation since the package was queued (or since this
        // session opened) stops it here. So does this node's own revocation.
        let header = try Self.header(of: package.path)
        if let refusal = currentRefusal(header.markings, for: peer) {
            try context.store.markFailed(packageID: package.id, peer: peer.name, error: refusal)
            await context.auditAfterTheFact(context.event(.policyDenied, .denied, peer: peer, package: package.id, markings: package.markings,
                                                          reason: refusal, details: ["direction": "send", "peer-name": peer.name]))
            logger.notice("\(package.id) is no longer sent to \(peer.name): \(refusal)")
            return
        }
        // Fail closed: nothing leaves for a peer without its audit record.
        try await context.audit(context.event(.packageOffered, peer: peer, package: package.id, markings: package.markings,
                                              details: ["bytes": String(package.size), "attempt": String(delivery.attempts + 1)]))
        // No `sending` claim is written: the scheduler runs one sender per peer, and a
        // delivery stays `queued` until its receipt is stored, so a crash retries it.
        try await session.send(.offer(packageID: package.id, size: UInt64(package.size), expires: package.expires))
        var reply = try await session.receive()
        if case .accept(let id, let offset) = reply, id == package.id {
            try await stream(package, from: offset, session: &session)
            reply = try await session.receive()
        }
        switch reply {
        case .receipt(let receipt):
            guard context.receiptVerifies(receipt, from: peer, packageID: package.id, headerHash: header.hash) else {
                // A wrong receipt is this package's problem, not the session's: record it
                // and let the operator look, rather than retrying the whole batch forever.
                logger.error("\(peer.name) answered \(package.id) with a receipt that does not verify")
                await context.auditAfterTheFact(context.event(.receiptReceived, .failed, actor: DaemonContext.actor(peer), peer: peer,
                                                              package: package.id, reason: "receipt.invalid: the receipt does not verify with the peer's identity key"))
                try context.store.markFailed(packageID: package.id, peer: peer.name, error: "the recipient's receipt does not verify")
                return
            }
            try await context.audit(
                context.event(.packageSent, peer: peer, package: package.id, markings: package.markings, details: ["bytes": String(package.size)]),
                context.event(.receiptReceived, actor: DaemonContext.actor(peer), peer: peer, package: package.id,
                              details: ["received-at": Timestamp.iso8601(receipt.receivedAt)]),
                context.event(.packageDelivered, peer: peer, package: package.id, markings: package.markings))
            _ = try context.store.markDelivered(StoredReceipt(packageID: package.id, peer: peer.name, signedBy: receipt.recipient,
                                                              receivedAt: receipt.receivedAt, body: receipt.body, signature: receipt.signature))
            logger.info("delivered \(package.id) to \(peer.name); receipt verified")
            DaemonMetrics.delivered(peer: peer.name, bytes: package.size, secondsSinceQueued: Timestamp.now() - package.created)
        case .reject(let id, let reason, let detail):
            guard id == package.id else { throw WireError(.unexpectedMessage, "a refusal for another package than the one offered") }
            logger.warning("\(peer.name) refused \(package.id): \(detail)")
            await context.auditAfterTheFact(context.event(.packageRejected, reason == .unavailable ? .failed : .denied,
                                                          actor: DaemonContext.actor(peer), peer: peer, package: package.id,
                                                          markings: package.markings, reason: "\(reason): \(detail)"))
            switch reason {
            case .unavailable:
                try context.store.recordFailure(packageID: package.id, peer: peer.name, error: "refused for now: \(detail)",
                                                nextAttempt: Timestamp.now() + backoff(attempts: delivery.attempts))
            case .expired:
                try context.store.markFailed(packageID: package.id, peer: peer.name, error: "the recipient found it expired: \(detail)")
            case .invalid, .refused, .tooLarge:
                try context.store.markFailed(packageID: package.id, peer: peer.name, error: "refused: \(detail)")
            }
        case .none:
            throw WireError(.unexpectedMessage, "the peer closed the connection before answering")
        default:
            throw WireError(.unexpectedMessage, "unexpected answer to an offer")
        }
    }

    /// Streams the sealed file from `offset`.
    private func stream(_ package: OutboxPackage, from offset: UInt64, session: inout SecureSession) async throws {
        guard offset <= UInt64(package.size) else { throw WireError(.unexpectedMessage, "resume offset beyond the package") }
        let fd = open(package.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(.io, "cannot read \(package.path)") }
        defer { close(fd) }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else { throw CoreError(.io, "cannot seek in \(package.path)") }
        var file = FileDescriptorStream(descriptor: fd)
        var buffer = [UInt8](repeating: 0, count: SessionMessage.maximumDataByteCount)
        var position = offset
        while position < UInt64(package.size) {
            let n = try buffer.withUnsafeMutableBytes { try file.readFully(into: $0) }
            guard n > 0 else { throw CoreError(.io, "\(package.path) is shorter than recorded") }
            try await session.send(.data(n == buffer.count ? buffer : Array(buffer[0..<n])))
            position += UInt64(n)
        }
        try await session.send(.end(packageID: package.id, size: UInt64(package.size)))
    }

    /// Exponential backoff with jitter: 1 s, 2 s, 4 s … capped, times 0.5–1.0.
    func backoff(attempts: Int) -> Int64 {
        let base = min(context.settings.retryMaximum, context.settings.retryInitial * pow(2, Double(min(attempts, 30))))
        let jitter = 0.5 + Double((try? Sodium.uniformRandom(1000)) ?? 500) / 2000
        return max(1, Int64((base * jitter).rounded()))
    }

    /// BLAKE2b-512 of a sealed package's header, to check receipts against.
    static func header(of path: String) throws -> PackageHeader {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CoreError(.io, "cannot read \(path)") }
        defer { close(fd) }
        var input = FileDescriptorStream(descriptor: fd)
        return try PackageOpener.readHeader(from: &input)
    }

    /// Why `markings` may no longer go to `peer` (rule code and explanation), or nil.
    private func currentRefusal(_ markings: Markings, for peer: PeerRecord) -> String? {
        if context.home.isRevoked { return "node.revoked: this node revoked its own identity key" }
        guard let current = context.peers.peer(named: peer.name), current.hasIdentity(peer.keys.identity, at: Timestamp.now()) else {
            return "peer.unusable: \(peer.name) was removed or replaced"
        }
        let ladder = context.configuration.classifications
        let decision = AccessPolicy.decide(markings, peer: current.policyClearance(ladder: ladder), direction: .send,
                                           context: PolicyContext(ladder: ladder))
        return decision.allowed ? nil : "\(decision.rule.rawValue): \(decision.explanation)"
    }
}
