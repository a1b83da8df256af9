import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

/// `forward`: re-shares a received package with more peers, only where its
/// markings allow, as a new package signed by this node whose markings name the
/// origin (docs/access-control.md, "Forwarding").
extension ControlHandlers {
    /// Opens inbox package `id` (verifying every chunk), decides per peer in `to`
    /// with the forwarding rules, and re-seals the plaintext to the allowed peers
    /// with the same markings and content type plus the origin caveat. Withheld
    /// peers are audited as `policy.denied`; when none is allowed nothing is sealed.
    func forward(_ request: ControlRequest, _ io: inout ControlConnection, actor: AuditActor, record: AuditEvent) async throws {
        let receipt: SendReceipt
        do {
            receipt = try await queueForward(request, actor: actor, record: record)
        } catch {
            await recordFailed(record, error)
            throw error
        }
        try await io.send(directResult: receipt)
    }

    /// Re-seals the received package for the allowed recipients and queues it,
    /// recording the command with the forward in the queueing commit.
    private func queueForward(_ request: ControlRequest, actor: AuditActor, record: AuditEvent) async throws -> SendReceipt {
        try context.home.ensureNotRevoked("forwards packages")
        let originalID = try packageID(try required(request.id, "id"), receivedOnly: true)
        let configuration = context.configuration
        let keyring = context.peers.keyring
        guard let names = request.to, !names.isEmpty else {
            throw CoreError(.invalidRecipients, "forward needs at least one peer (--to): an empty recipient set is an error, never \"everyone\"")
        }
        guard let entry = try context.store.inboxEntry(id: originalID, from: request.peer) else {
            throw CoreError(.unknownPackage, "no package \(originalID)\(request.peer.map { " from \($0)" } ?? "") in the inbox; see `liaison inbox list`")
        }
        // The forwarded package is about the size of the received one.
        try context.diskReserve.ensureRoom(adding: UInt64(clamping: entry.size), to: "forward the package")
        var input = try StoredPackageSource.inbox(entry, store: context.store)
        defer { input.close() }
        let now = Timestamp.now()
        // Verified as of now (unlike `inbox get`): an expired package, or one whose
        // sender has since been revoked, or whose key it has retired, is not shared onward.
        let stored = try PackageOpener.readHeader(from: &input)
        var opener: PackageOpener
        do {
            opener = try context.packageOpener(header: stored, senders: keyring, now: now)
        } catch let error as CoreError where error.code == .unknownSender {
            throw Self.retiredSender(of: stored, arrived: entry.receivedAt, context: context) ?? error
        }
        // The header is the sender's only once chunk 0's signature verified, so the
        // markings are trusted (and decided on) only after it.
        var first: [UInt8] = []
        first.reserveCapacity(opener.header.chunkSize)   // no reallocation: every plaintext byte is wiped
        defer { first.withUnsafeMutableBytes { Sodium.wipe($0) } }
        _ = try opener.openNextChunk(from: &input) { first.append(contentsOf: $0) }
        let origin = opener.sender, header = opener.header
        let markings = header.markings
        let selection = try configuration.forwardRecipients(names, keyring: keyring, markings: markings, origin: origin.identity)
        for withheld in selection.withheld {
            context.logger.notice("policy: \(withheld.name) is not forwarded \(originalID) (\(markings.banner)): \(withheld.decision.rule.rawValue)")
        }
        let denials = selection.withheld.map {
            context.event(.policyDenied, .denied, actor: actor, peer: context.peers.peer(named: $0.name), package: originalID,
                          markings: markings.banner, reason: "\($0.decision.rule.rawValue): \($0.decision.explanation)",
                          details: ["direction": "forward", "peer-name": $0.name])
        }
        guard !selection.allowed.isEmpty else {
            await context.auditAfterTheFact(contentsOf: denials)
            throw CoreError(.policyDenied, "package \(originalID) (\(markings.banner)) may be forwarded to none of the peers named, so nothing was queued: "
                                + selection.withheld.map { "\($0.name): \($0.decision.explanation) [\($0.decision.rule.rawValue)]" }.joined(separator: "; "))
        }
        let recipients = selection.allowed.map(\.name)
        // Forwarded to one of them before (a second run of the same command, say): a second
        // copy is a new package for them to read twice; only on purpose.
        if request.again != true {
            let caveat = Markings.forwardingCaveat(origin: origin.fingerprint, package: originalID)
            let earlier = try context.store.forwardsCarrying(caveat: caveat).filter { recipients.contains($0.peer) }
            if !earlier.isEmpty {
                await context.auditAfterTheFact(contentsOf: denials)
                throw CoreError(.invalidArgument, "package \(originalID) was already forwarded to "
                                    + earlier.map { "\($0.peer) (as \($0.packageID.description.prefix(12)), \($0.state.rawValue))" }.joined(separator: ", ")
                                    + "; nothing was queued. Pass --again to forward it to them once more")
            }
        }
        let forwarded = try markings.forwarded(from: origin.fingerprint, package: originalID)
        // The new package lives no longer than the original.
        let sealer = try PackageSealer(sender: context.secrets.identity, recipients: selection.allowed.map(\.key), markings: forwarded,
                                       contentType: header.contentType, created: now, expires: header.expires)
        var incremental = IncrementalSealer(sealer)
        let path = context.outboxFile(incremental.packageID)
        let file = OutboxSink(path: path)
        var sink = file
        try await incremental.append(first, into: &sink)
        first.withUnsafeMutableBytes { Sodium.wipe($0) }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(header.chunkSize)
        defer { chunk.withUnsafeMutableBytes { Sodium.wipe($0) } }
        // Each chunk is verified before it is re-sealed; a failure leaves no file behind.
        var more = true
        while more {
            chunk.removeAll(keepingCapacity: true)
            more = try opener.openNextChunk(from: &input, deliver: { data in chunk.append(contentsOf: data) })
            try await incremental.append(chunk, into: &sink)
            chunk.withUnsafeMutableBytes { Sodium.wipe($0) }
            await Task.yield()   // a large package must not hold a cooperative thread throughout
        }
        // Fail closed: sealed but not queued unless the log records it.
        let package = try await queueSealed(&incremental, into: file, created: now, expires: header.expires, markings: forwarded,
                                            recipients: recipients, events: [record] + denials + [
            context.event(.packageForwarded, actor: actor, peer: context.peers.peer(named: origin.name), package: incremental.packageID,
                          markings: forwarded.banner, details: [
                              "origin-package": originalID.description, "origin-sender": origin.fingerprint.description,
                              "origin-sender-name": origin.name, "recipients": recipients.joined(separator: ","),
                              "bytes": String(incremental.payloadByteCount),
                          ]),
        ])
        context.logger.info("forwarded package \(originalID) from \(origin.name) as \(package.id) (\(incremental.payloadByteCount) bytes, \(forwarded.banner)) to \(recipients.joined(separator: ", "))")
        var receipt = sendReceipt(package, recipients: recipients, selection: selection, payloadBytes: incremental.payloadByteCount)
        receipt.forwardedFrom = originalID.description
        return receipt
    }

    /// Why a package whose signer the keyring no longer holds is not forwarded, if
    /// the signer is known as at its arrival (found in an operator's trial: a revoked
    /// partner's earlier key was reported as a key to import): its key revoked since,
    /// or retired by a rotation or a removal. Nil if it never was a partner's.
    static func retiredSender(of header: PackageHeader, arrived: Int64, context: DaemonContext) -> CoreError? {
        let senders = context.home.senders(asOf: arrived, keyring: context.peers.keyring)
        guard let opened = try? context.packageOpener(header: header, senders: RevocationOverlooked(senders), now: arrived) else { return nil }
        let sender = opened.sender
        if senders.sender(withIdentity: sender.identity.rawRepresentation)?.isRevoked == true {
            return CoreError(.senderRevoked, "the package was sealed by \(sender.name), whose identity key is revoked: it is not shared onward")
        }
        return CoreError(.unknownSender, "the package was sealed by \(sender.name) under a key retired since (by its rotation, or its removal from the keyring): forward shares onward only what a partner's current keys sign; `liaison inbox get` still opens it")
    }
}
