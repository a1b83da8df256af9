import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonWire
import Logging

/// The receiver's verdict on a whole package: verified as its recipient (header,
/// the delivering peer as its sender, every chunk), then either stored with its
/// audit record and answered with a signed receipt, or refused, in words that
/// disclose nothing the peer must not learn (``UndisclosedRefusal``).
extension PackageReceiver {
    /// Verifies a package held whole (a push) and stores it; see ``store(_:id:size:resumed:placement:)``.
    func verifyAndStore<Source: ByteSource>(id: PackageID, size: UInt64, from input: inout Source, resumed: Bool,
                                                    placement: Placement) async throws -> ReceiverAnswer {
        let verdict = Result { try Self.verify(&input, context: context, peer: peer) }
        return try await store(verdict, id: id, size: size, resumed: resumed, placement: placement)
    }

    /// Checks a whole package as its recipient (header, sender, every chunk),
    /// keeping none of its plaintext. The sender must be `peer`, the one delivering
    /// it: checked as soon as the header opens, before any chunk is read. A header
    /// that does not open here, or names another sender, throws an
    /// ``UndisclosedRefusal``.
    static func verify<Source: ByteSource>(_ input: inout Source, context: DaemonContext, peer: PeerRecord) throws -> OpenedPackage {
        // A header that does not parse is the peer's own bytes: saying so tells it nothing of this node.
        let header = try PackageOpener.readHeader(from: &input)
        let now = Timestamp.now()
        let senders = RecordingSenders(deliveringSenders(context: context, peer: peer, now: now))
        var opener: PackageOpener
        do {
            opener = try context.packageOpener(header: header, senders: senders, now: now)
        } catch let error as CoreError where error.code == .expired || error.code == .notYetValid {
            // Checked only once the sender is known to be the delivering peer: its own package's dates.
            throw error
        } catch {
            throw UndisclosedRefusal(error, peer: peer, named: senders.named, keyring: context.peers.keyring)
        }
        var sink = CountingSink()
        return try opener.open(from: &input, to: &sink)
    }

    /// The senders a package `peer` delivers may name: the peer as the keyring has
    /// it now, or, if it was revoked, removed or re-keyed since, as it was (revoked).
    private static func deliveringSenders(context: DaemonContext, peer: PeerRecord, now: Int64) -> DeliveringPeerSenders {
        if let current = context.peers.peer(named: peer.name), current.hasIdentity(peer.keys.identity, at: now) {
            return DeliveringPeerSenders(peer: current, revoked: false, now: now)
        }
        return DeliveringPeerSenders(peer: peer, revoked: true, now: now)
    }

    /// Given the verdict of verifying a received package as its recipient, decides
    /// whether this node accepts it from the peer, and stores it with its audit
    /// record; only then is a receipt returned (anything else is a refusal).
    func store(_ verdict: Result<OpenedPackage, any Error>, id: PackageID, size: UInt64, resumed: Bool,
                       placement: Placement) async throws -> ReceiverAnswer {
        if case .failure(let refusal as UndisclosedRefusal) = verdict {
            return refuseUndisclosed(refusal, id: id, resumed: resumed, placement: placement)
        }
        // The opener was given only this peer's keys; checked again here so that no
        // package of another sender can ever be filed under this one.
        if case .success(let opened) = verdict, !peer.hasIdentity(opened.sender.identity, at: Timestamp.now()) {
            let stray = UndisclosedRefusal(CoreError(.unknownSender, "the package was sealed by \(opened.sender.fingerprint), a key \(peer.name) does not hold"),
                                           peer: peer, named: nil, keyring: context.peers.keyring)
            return refuseUndisclosed(stray, id: id, resumed: resumed, placement: placement)
        }
        return ReceiverAnswer(try await storeVerified(verdict, id: id, size: size, resumed: resumed, placement: placement))
    }

    /// Refuses a package for a reason the peer must not learn (see
    /// ``UndisclosedRefusal``): the peer gets the one uniform reply, this node's
    /// log and audit record the specific reason. A resumed transfer may have kept a
    /// damaged prefix from before a crash: it is to start over, and is told so in
    /// words just as uniform.
    private func refuseUndisclosed(_ refusal: UndisclosedRefusal, id: PackageID, resumed: Bool, placement: Placement) -> ReceiverAnswer {
        if case .spool(let path) = placement { unlink(path) }
        let reply = resumed ? UndisclosedRefusal.restartReply(for: id) : UndisclosedRefusal.reply(for: id)
        guard case .reject(_, let reason, _) = reply else { preconditionFailure("an undisclosed refusal is a reject") }
        logger.warning("package \(id) from \(peer.name) rejected: \(refusal.localReason) [\(refusal.code)]; \(peer.name) was told only that it is not accepted")
        DaemonMetrics.refused(peer: peer.name, reason: "\(reason)")
        return ReceiverAnswer(reply, auditReason: "\(reason): \(refusal.localReason) [\(refusal.code)]")
    }

    /// ``store(_:id:size:resumed:placement:)`` for every verdict but an undisclosed refusal.
    private func storeVerified(_ verdict: Result<OpenedPackage, any Error>, id: PackageID, size: UInt64, resumed: Bool,
                               placement: Placement) async throws -> SessionMessage {
        /// `detail` goes to the peer (and the audit log); `privately`, to this node's log only.
        func discard(_ reason: SessionMessage.RejectReason, _ detail: String, privately: String? = nil) -> SessionMessage {
            if case .spool(let path) = placement { unlink(path) }
            logger.warning("package \(id) from \(peer.name) rejected: \(detail)\(privately.map { " (\($0))" } ?? "")")
            DaemonMetrics.refused(peer: peer.name, reason: "\(reason)")
            return .reject(packageID: id, reason: reason, detail: detail)
        }
        // Everything verified as the recipient before acknowledging anything.
        let opened: OpenedPackage
        do {
            opened = try verdict.get()
        } catch let error as CoreError {
            if error.code == .io {
                // A local fault, not the peer's: the reason stays in this node's log.
                logger.error("package \(id) from \(peer.name) could not be read back for verification: \(error.message)")
                return discard(.unavailable, "the recipient cannot read the received package; send it again")
            }
            // A resumed transfer may have kept a damaged prefix from before a crash:
            // start it over rather than refusing the package for good.
            if resumed && error.code != .expired {
                return discard(.unavailable, "the resumed package does not verify (\(error.code.rawValue)); send it again from the start")
            }
            return discard(error.code == .expired ? .expired : .invalid, "\(error.message) [\(error.code.rawValue)]")
        }
        guard opened.header.packageID == id else { return discard(.invalid, "the package id does not match the offer") }
        // Checked again now: a large package may have expired while it arrived.
        if let expires = opened.header.expires, Timestamp.now() >= expires {
            return discard(.expired, "the package expired at \(Timestamp.iso8601(expires)) while it was being received")
        }
        // A peer may not push us what we do not accept from it.
        let ladder = context.configuration.classifications
        // As the peer is now: a trust change or revocation during this session applies.
        let current = context.peers.peer(named: peer.name).flatMap { $0.hasIdentity(peer.keys.identity, at: Timestamp.now()) ? $0 : nil }
            ?? { var gone = peer; gone.revoked = true; return gone }()
        let decision = AccessPolicy.decide(opened.header.markings, peer: current.policyClearance(ladder: ladder), direction: .receive,
                                           context: PolicyContext(ladder: ladder))
        guard decision.allowed else {
            // The rule, not its explanation: that names the clearance this node gives the peer.
            return discard(.refused, "this node does not accept \(opened.header.markings.banner) from \(peer.name) [\(decision.rule.rawValue)]",
                           privately: decision.explanation)
        }
        var finalPath: String?
        var body: [UInt8]?
        switch placement {
        case .spool(let path):
            // Named per sender, as in the spool: another sender's package with this id is another file.
            let destination = context.inboxDirectory + "/" + SpoolFiles.senderPrefix(peer) + "\(id).lpkg"
            guard rename(path, destination) == 0 else { return discard(.unavailable, "cannot move the package into the inbox") }
            guard (try? AtomicOutputFile.syncDirectory(context.inboxDirectory)) != nil else {
                unlink(destination)
                return .reject(packageID: id, reason: .unavailable, detail: "the recipient cannot store packages durably right now")
            }
            finalPath = destination
        case .inline(let bytes):
            body = bytes
        }
        let now = Timestamp.now()
        let receipt = DeliveryReceipt(packageID: id, headerHash: opened.header.hash, recipient: localIdentity ?? context.secrets.identity,
                                      sender: peer.fingerprint, receivedAt: now)
        let h = opened.header
        let entry = InboxEntry(id: id, sender: peer.name, senderFingerprint: peer.fingerprint, senderKey: peer.logFingerprint,
                               path: finalPath, size: Int64(size),
                               receivedAt: now, tlp: h.markings.tlp, classification: h.markings.classification,
                               markings: h.markings.banner, contentType: h.contentType, created: h.created, expires: h.expires,
                               receiptBody: receipt.body, receiptSignature: receipt.signature)
        // Fail closed: no inbox entry and no receipt without their audit record,
        // journaled in the same commit: one `package.received` carrying the receipt
        // issued (versions before 2026-11-29 wrote a `receipt.issued` beside it).
        let events = [
            context.event(.packageReceived, actor: DaemonContext.actor(peer), peer: peer, package: id, markings: h.markings.banner,
                          remote: remote, details: receipt.auditDetails(adding: ["bytes": String(size), "content-type": h.contentType])),
        ]
        let new: Bool
        do {
            new = try await context.store.recordReceived(entry, body: body, auditing: events)
        } catch {
            let failure = context.journaledWriteError(error)
            // No row names the file: it goes (had the commit taken, the row would).
            if let finalPath, (try? context.store.inboxEntries(id: id))?.contains(where: { $0.path == finalPath }) == false {
                unlink(finalPath)
            }
            guard let refusal = failure as? CoreError, refusal.code == .auditUnavailable else { throw failure }
            return .reject(packageID: id, reason: .unavailable, detail: "the recipient cannot record packages right now; retry later")
        }
        // Counted before its claim is let go: never in neither.
        if new { context.inboundVolume.add(entry.size, from: entry.senderKey, at: entry.receivedAt) }
        guard new else {
            // Accepted before (a push is not looked up first): the stored answer, never this copy's receipt.
            return try storedAnswer(id) ?? .reject(packageID: id, reason: .unavailable, detail: "the recipient cannot store packages right now")
        }
        logger.info("received package \(id) from \(peer.name) (\(size) bytes, \(h.markings.banner))")
        DaemonMetrics.received(peer: peer.name, bytes: Int(size))
        return .receipt(receipt)
    }
}
