import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonWire
import Logging
import ServiceLifecycle

/// Carries out control-socket requests against the daemon's state.
struct ControlHandlers: Sendable {
    let context: DaemonContext

    /// Serves the connection's next request. Returns true when it was answered with
    /// a result, every frame of it read: the connection may then carry another.
    /// After a refusal or a failure (which may leave frames of the request unread,
    /// or have cut a streamed answer short) and when the client hung up instead of
    /// asking, it returns false.
    ///
    /// The caller's role is looked up once the request has arrived, for every
    /// request, not once per connection: someone taken out of a group loses the role
    /// at their next request, even on a connection they keep open.
    func serve(_ io: inout ControlConnection, caller: PeerCredentials?) async -> Bool {
        do {
            // Every read and write is bounded by the connection's deadline (`ControlDeadline`).
            let request: ControlRequest
            do {
                guard let first = try await io.nextRequest() else { return false }
                do { request = try JSONDecoder().decode(ControlRequest.self, from: Data(first)) } catch {
                    throw ControlFailure(code: "control.bad-request", message: "the request could not be read (CLI and daemon versions differ?)")
                }
            } catch let failure as ControlFailure {
                // Refused before it was understood (unreadable, too large, cut short): recorded
                // all the same, within the refusals' budget.
                await context.auditControlRefusal(context.event(.controlCommand, .denied, actor: identify(caller).actor,
                                                                reason: "\(failure.code): \(failure.message)"))
                throw failure
            }
            let (role, actor) = identify(caller)
            // SIGTERM stops the daemon taking work; what it has taken, it finishes.
            if Task.isShuttingDownGracefully {
                context.logger.notice("control: \(request.command.rawValue) from \(caller?.description ?? "unknown caller") refused: shutting down")
                throw ControlFailure(code: "control.stopping", message: "liaisond is shutting down; retry once it is running again")
            }
            let kind: AuditEventKind = request.command.rawValue.hasPrefix("audit.") ? .auditQuery : .controlCommand
            guard let role, role.permits(request.command) else {
                await context.auditControlRefusal(context.event(kind, .denied, actor: actor, reason: "control.forbidden: needs the operator role",
                                                                details: Self.auditDetails(request)))
                context.logger.warning("control: \(request.command.rawValue) refused for \(caller?.description ?? "unknown caller") (role \(role?.rawValue ?? "none"))")
                DaemonMetrics.controlRequest("refused")
                let unmapped = caller?.uid == ControlRole.overflowUID
                if unmapped {
                    context.logger.error("control: a caller came with uid \(ControlRole.overflowUID): liaisond runs in a user namespace that does not map its users (PrivateUsers= in its unit?), so no role can be decided")
                }
                throw ControlFailure(code: "control.forbidden",
                                     message: unmapped
                                        ? "the daemon cannot tell who you are (it sees uid \(ControlRole.overflowUID)): it runs in a user namespace that does not map your user; remove PrivateUsers= from its unit"
                                        : role == nil
                                        ? "you are not an operator or auditor of this node; ask to be added to a group in [access] of liaison.toml"
                                        : "`\(request.command.rawValue)` needs the operator role; auditors may only read status, receipts and the audit log")
            }
            context.logger.info("control: \(request.command.rawValue) from \(caller?.description ?? "unknown caller") as \(role.rawValue)")
            DaemonMetrics.controlRequest(request.command.rawValue)
            let record = context.event(kind, actor: actor, details: Self.auditDetails(request))
            if Self.recordedWithEffect.contains(request.command) {
                // Recorded in the same commit as the package it queues (see `send`).
                try await dispatch(request, &io, actor: actor, record: record)
            } else {
                // Fail closed: a command the log cannot record is not run.
                try await context.audit(record)
                try await dispatch(request, &io, actor: actor, record: record)
            }
            return true
        } catch is AnsweredFailure {
            // The client has been told already, at the end of what was streamed to it.
        } catch let failure as ControlFailure {
            try? await io.send(error: failure)
        } catch let error as CoreError {
            try? await io.send(error: ControlFailure(code: error.code.rawValue, message: error.message))
        } catch let error as StoreError {
            try? await io.send(error: ControlFailure(code: error.code.rawValue, message: error.message))
        } catch let error as AuditError {
            try? await io.send(error: ControlFailure(code: error.code.rawValue, message: error.message))
        } catch {
            context.logger.error("control request failed: \(error)")
            try? await io.send(error: ControlFailure(code: "daemon.internal", message: "the daemon could not complete the request: \(error)"))
        }
        return false
    }

    /// The caller's role (none for unknown credentials) and how the audit log names them.
    private func identify(_ caller: PeerCredentials?) -> (role: ControlRole?, actor: AuditActor) {
        let role = caller.flatMap {
            ControlRole.of(uid: $0.uid, gid: $0.gid, daemonUID: getuid(), access: context.configuration.access, groupsOf: ControlRole.systemGroups)
        }
        return (role, AuditActor.local(uid: caller?.uid ?? UInt32.max, role: role?.rawValue ?? "none"))
    }

    /// A request that failed after its answer had begun (a streamed `inbox.get`),
    /// and whose failure the client has been told: nothing more is sent, and the
    /// connection carries no further request.
    struct AnsweredFailure: Error {}

    /// Commands whose audit record is journaled with their effect in the store's
    /// commit (one commit instead of two on the busiest path); if such a
    /// command fails before its effect, it is recorded as failed, with the reason.
    static let recordedWithEffect: Set<ControlRequest.Command> = [.send, .sendFiles, .forward]

    /// Records a ``recordedWithEffect`` command that failed before its effect was recorded.
    func recordFailed(_ record: AuditEvent, _ error: any Error) async {
        var failed = record
        failed.outcome = .failed
        failed.reason = Self.auditReason(error)
        await context.auditAfterTheFact(failed)
    }

    /// A failure's stable code and message, for an audit record.
    static func auditReason(_ error: any Error) -> String {
        switch error {
        case let error as ControlFailure: "\(error.code): \(error.message)"
        case let error as CoreError: "\(error.code.rawValue): \(error.message)"
        case let error as StoreError: "\(error.code.rawValue): \(error.message)"
        default: "daemon.internal: \(error)"
        }
    }

    /// What a command's audit record keeps of its request: the command and the
    /// names and ids it acts on, never payloads or cards.
    static func auditDetails(_ request: ControlRequest) -> [String: String] {
        var details = ["command": request.command.rawValue]
        details["name"] = request.name
        details["id"] = request.id
        details["to"] = request.to?.joined(separator: ",")
        details["files"] = request.files.map { String($0) }
        details["tlp"] = request.tlp
        details["trust"] = request.trust
        details["strict-markings"] = request.strictMarkings.map { String($0) }
        details["all-or-nothing"] = request.allOrNothing == true ? "true" : nil
        details["overlap-days"] = request.overlapDays.map { String($0) }
        details["older-than-seconds"] = request.olderThanSeconds.map { String($0) }
        details["from"] = request.command == .inboxGet ? request.peer : nil
        details["despite-revocation"] = request.despiteRevocation == true ? "asked" : nil
        return details
    }

    private func dispatch(_ request: ControlRequest, _ io: inout ControlConnection, actor: AuditActor, record: AuditEvent) async throws {
        switch request.command {
        case .status: try await io.send(result: try status())
        case .peersList: try await io.send(result: try peerStatuses())
        case .peersAdd: try await io.send(result: try await addPeer(request, actor: actor))
        case .peersRemove: try await io.send(result: try await removePeer(request, actor: actor))
        case .send, .sendFiles: try await send(request, &io, actor: actor, record: record)
        case .outboxList: try await io.send(result: try outbox(request))
        case .outboxPrune: try await io.send(result: try await pruneOutbox(request, actor: actor))
        case .inboxList: try await io.send(result: try inbox(limit: ControlRequest.listLimit(request.limit)))
        case .inboxGet: try await inboxGet(request, &io, actor: actor)
        case .receipts: try await io.send(result: try receipts(request))
        case .forward: try await forward(request, &io, actor: actor, record: record)
        case .auditQuery: try await io.send(result: try auditQuery(request))
        case .auditLeaves: try await io.send(result: try auditLeaves(request))
        case .auditCheckpoint: try await io.send(result: try await auditCheckpoint())
        case .auditKeys: try await io.send(result: try auditKeys(request))
        case .auditWitnessed: try await io.send(result: try auditWitnessed(request))
        case .auditProve: try await io.send(result: try await auditProve(request))
        case .peersSetTrust: try await io.send(result: try await setTrust(request, actor: actor))
        case .peersSet: try await io.send(result: try await setAttributes(request, actor: actor))
        case .peersShow: try await io.send(result: try showPeer(request))
        case .peersRevoke: try await io.send(result: try await revoke(request, actor: actor))
        case .keysRevoke: try await io.send(result: try await revokeOwnKey(request, actor: actor))
        case .keysRotate: try await io.send(result: try await rotateOwnKeys(request, actor: actor))
        case .peersImportRevocation: try await io.send(result: try await importRevocation(request, actor: actor))
        }
    }

    func required<T>(_ value: T?, _ field: String) throws -> T {
        guard let value else { throw ControlFailure(code: "control.bad-request", message: "the request lacks \"\(field)\"") }
        return value
    }

    // MARK: status and listings

    private func status() throws -> StatusReport {
        let counts = try context.store.counts()
        let previous = context.localKeys.withLockedValue { keys in
            keys.previous.flatMap { secrets in keys.previousUntil.flatMap { Timestamp.now() < $0 ? (secrets: secrets, until: $0) : nil } }
        }
        let disk = context.diskReserve.reading()
        let checkpoint = try? context.auditLog.newestCheckpoint()
        // Partners still to be told of this node's own key changes, by name.
        func names(_ fingerprints: [String]) -> [String]? {
            let named = fingerprints.map { fingerprint in
                context.peers.keyring.peers.first { $0.fingerprint.description == fingerprint }?.name ?? fingerprint
            }
            return named.isEmpty ? nil : named.sorted()
        }
        var report = StatusReport(node: context.configuration.name, fingerprint: context.fingerprint.description,
                            listen: context.configuration.listen, startedAt: Timestamp.iso8601(context.startedAt),
                            peers: try peerStatuses(), queued: counts.queued + counts.sending, delivered: counts.delivered,
                            failed: counts.failed, expired: counts.expired, inbox: counts.inbox,
                            previousFingerprint: previous?.secrets.publicKeys.fingerprint.description,
                            previousKeysUntil: previous.map { Timestamp.iso8601($0.until) },
                            diskFree: disk?.available, diskReserve: context.diskReserve.bytes,
                            revoked: context.home.isRevoked, auditSize: try? context.auditLog.size(),
                            checkpointSize: checkpoint?.size, checkpointSignedAt: checkpoint.map { Timestamp.iso8601($0.signedAt) },
                            checkpointWitnesses: checkpoint?.witnesses.count,
                            checkpointRefused: context.witnessAlarm.withLockedValue { $0 } ?? context.checkpointRefusal.withLockedValue { $0 })
        if let succession = context.logSuccession {
            report.auditLogOrigin = context.logSigner.verifierKey.name
            report.auditLogBegunAt = Timestamp.iso8601(succession.begunAt)
            report.auditLogSucceeds = succession.succeeds
        }
        // Kept after the overlap too: those partners were never told, until reached with the
        // new keys. Revoked and blocked partners are left out; one no longer known by that
        // fingerprint (removed, or rotated since) is shown by it.
        let unreachable = Set(context.peers.keyring.peers.filter { $0.revoked || $0.trust == .blocked }.map(\.fingerprint.description))
        report.rotationNotTold = (try? context.home.rotation()) == nil ? nil : names(context.home.pendingRotationPeers().filter { !unreachable.contains($0) })
        report.revocationNotTold = names(context.home.pendingRevocationPeers())
        return report
    }

    func peerStatuses() throws -> [PeerStatus] {
        let states = Dictionary(uniqueKeysWithValues: try context.store.peerStates().map { ($0.fingerprint, $0) })
        let perPeer = try context.store.deliveryCountsByPeer()
        let now = Timestamp.now()
        // One read for every peer: what this node, as a witness, holds of each one's logs.
        let witnessed = (try? context.auditLog.witnessedLogsByFamily()) ?? [:]
        return context.peers.keyring.peers.map { peer in
            // A peer that rotated its keys has two rows (found in an operator's trial: its
            // handshakes as initiator, kept under its lifelong fingerprint, went unshown).
            let state = PeerState.combining(states[peer.fingerprint], states[peer.logFingerprint])
            let counts = perPeer[peer.name] ?? [:]
            var status = PeerStatus(peer, lastHandshakeAt: state?.lastHandshakeAt, lastError: state?.lastError,
                                    bytesSent: state?.bytesSent ?? 0, bytesReceived: state?.bytesReceived ?? 0,
                                    queued: (counts[.queued] ?? 0) + (counts[.sending] ?? 0), delivered: counts[.delivered] ?? 0,
                                    failed: counts[.failed] ?? 0, now: now)
            if (counts[.queued] ?? 0) > 0 {
                status.queueError = try? context.store.queuedError(peer: peer.name)
                if let next = try? context.store.nextAttempt(peer: peer.name), next > now { status.nextAttempt = Timestamp.iso8601(next) }
            }
            status.witnessRefusal = context.witnessRefusals.withLockedValue { $0[peer.logFingerprint] }
            // Said to its witness's operator too, not only in the log: the peer began a new log.
            if let logs = witnessed[NodeLogNames.origin(peer.auditLogFingerprint)], logs.count > 1 {
                status.newAuditLog = PeerStatus.NewAuditLog(origin: logs[logs.count - 1].origin, after: logs[logs.count - 2].origin,
                                                            afterCosignedSize: logs[logs.count - 2].size)
            }
            return status
        }
    }

    private func outbox(_ request: ControlRequest) throws -> [OutboxItem] {
        var states: [DeliveryState] = []
        if let state = request.state {
            guard let parsed = DeliveryState(rawValue: state) else {
                throw CoreError(.invalidArgument, "no delivery state \"\(state)\"; use one of \(DeliveryState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            states = parsed == .queued ? [.queued, .sending] : [parsed]
        }
        let limit = ControlRequest.listLimit(request.limit)
        let entries = try context.store.outbox(limit: limit, offset: 0, peer: request.peer, states: states)
        // A name no partner has and no delivery went to is a typo, not an empty answer.
        if let peer = request.peer, entries.isEmpty, context.peers.peer(named: peer) == nil,
           try context.store.outbox(limit: 1, offset: 0, peer: peer, states: []).isEmpty {
            throw CoreError(.unknownPeer, "no peer named \(peer), and no package was ever queued for one; see `liaison peers list`")
        }
        // What was asked for: a package's deliveries to other peers, or in other states, are left out.
        func shown(_ delivery: Delivery) -> Bool {
            (request.peer == nil || delivery.peer == request.peer) && (states.isEmpty || states.contains(delivery.state))
        }
        return entries.map { entry in
            OutboxItem(id: entry.package.id.description, created: Timestamp.iso8601(entry.package.created),
                       expires: entry.package.expires.map(Timestamp.iso8601), markings: entry.package.markings, size: entry.package.size,
                       deliveries: entry.deliveries.filter(shown).map {
                           DeliveryStatus(peer: $0.peer, state: $0.state.rawValue, attempts: $0.attempts,
                                          nextAttempt: $0.state == .queued ? Timestamp.iso8601($0.nextAttempt) : nil,
                                          lastError: $0.lastError, deliveredAt: $0.deliveredAt.map(Timestamp.iso8601))
                       }, pruned: entry.package.prunedAt.map(Timestamp.iso8601))
        }
    }

    private func inbox(limit: Int) throws -> [InboxItem] {
        // Packages whose signer was revoked since stay listed, marked: `inbox get` refuses them.
        let revoked = Set(context.home.revokedPeerIdentities().compactMap { text -> NodeFingerprint? in
            (try? KeyText.decode(text, field: "identity") as IdentityPublicKey).map(NodeFingerprint.init(identity:))
        })
        // Senders removed since are marked too: the name they had may be another node's now.
        let current = Self.currentSenderKeys(context.peers.keyring, retired: context.home.retiredPeerKeys())
        return try context.store.inbox(limit: limit, offset: 0).map { entry in
            var item = Self.item(entry)
            if revoked.contains(entry.senderFingerprint) { item.senderRevoked = true }
            if !current.contains(entry.senderKey) && !current.contains(entry.senderFingerprint) { item.senderRemoved = true }
            return item
        }
    }

    /// Every fingerprint a peer in `keyring` is known by: its current key's, its
    /// previous one's, its lifelong name and the one its card proves, and each key it
    /// retired by a rotation this node took. An inbox row is filed under the first
    /// (since schema v5) or, older, under the key it came with: either names a peer
    /// still in the keyring.
    static func currentSenderKeys(_ keyring: Keyring, retired: [NodeHome.RetiredPeerKey]) -> Set<NodeFingerprint> {
        var keys = Set<NodeFingerprint>()
        for peer in keyring.peers {
            keys.insert(peer.fingerprint)
            keys.insert(peer.logFingerprint)
            if let name = peer.auditLogName { keys.insert(name) }
            if let previous = peer.previousKeys { keys.insert(previous.fingerprint) }
            for key in retired where key.belongs(to: peer) { keys.insert(NodeFingerprint(identity: key.identity)) }
        }
        return keys
    }

    static func item(_ e: InboxEntry) -> InboxItem {
        InboxItem(id: e.id.description, sender: e.sender, senderFingerprint: e.senderFingerprint.description, tlp: e.tlp.label,
                  classification: e.classification, markings: e.markings, contentType: e.contentType, size: e.size,
                  receivedAt: Timestamp.iso8601(e.receivedAt), expires: e.expires.map(Timestamp.iso8601))
    }

    /// The newest receipts (with `peer`, that peer's), or with `id` every receipt for
    /// that package (one per recipient that returned one), each re-verified and carried whole.
    private func receipts(_ request: ControlRequest) throws -> [ReceiptItem] {
        let stored: [StoredReceipt]
        if let typed = request.id {
            let id = try context.store.packageID(typed: typed)
            stored = try context.store.receipts(packageID: id).filter { r in request.peer.map { r.peer == $0 } ?? true }
            guard !stored.isEmpty else {
                throw CoreError(.unknownPackage, "no receipt for package \(id) has come back (yet); `liaison outbox list` shows its deliveries")
            }
        } else {
            stored = try context.store.receipts(limit: ControlRequest.listLimit(request.limit), peer: request.peer)
        }
        return stored.map { r in
            // A receipt signed before the peer rotated verifies with its previous key.
            let peer = context.peers.peer(named: r.peer)
            let keys = [peer?.keys.identity, peer?.previousKeys?.identity].compactMap { $0 }
            let valid = keys.contains { $0.isValidSignature(r.signature, for: r.body) }
            return ReceiptItem(id: r.packageID.description, peer: r.peer, signedBy: r.signedBy.description,
                               receivedAt: Timestamp.iso8601(r.receivedAt), signatureValid: valid,
                               receipt: Data(r.body + r.signature).base64EncodedString())
        }
    }

    // MARK: peers

    private func addPeer(_ request: ControlRequest, actor: AuditActor) async throws -> PeerStatus {
        let name = try required(request.name, "name")
        let card = try NodeCard(parsing: try required(request.card, "card"), now: Timestamp.now())
        try context.home.ensureImportable(card, expected: request.fingerprint, configuration: context.configuration, keyring: context.peers.keyring)
        var record = PeerRecord(name: name, card: card, trust: try TrustLevel(parsing: request.trust ?? "limited"), added: Timestamp.now())
        // The card's addresses unless others are given.
        record = try PeerEdit(request, ladder: context.configuration.classifications).applied(to: record)
        // Refused before it is recorded (a bad name, a name or key already present),
        // so that `peer.added` is never recorded as done for a peer never added.
        var trial = context.peers.keyring
        try trial.add(record)
        let details = record.attributeDetails
        // The name is free: what is still queued under it was for an earlier holder
        // (a crash came between that one's removal and the failing of its queue).
        await context.failOpenDeliveries(named: name, peer: nil,
                                         reason: "peer.removed: queued for an earlier peer named \(name); not delivered to the one added now")
        guard try context.store.openDeliveries(peer: name, limit: 1).isEmpty else {
            throw CoreError(.auditUnavailable, "packages queued for an earlier peer named \(name) could not be failed, so no peer is added under the name now; retry once the audit log is writable")
        }
        try await context.audit(context.event(.peerAdded, actor: actor, peer: record, details: details))
        do {
            try context.peers.update { try $0.add(record) }
        } catch {
            // Recorded as done but not done (the keyring changed meanwhile, or could
            // not be written): the log must say so.
            await context.auditAfterTheFact(context.event(.peerAdded, .failed, actor: actor, peer: record, reason: Self.auditReason(error),
                                                          details: details))
            throw error
        }
        context.logger.notice("peer \(name) added (\(card.fingerprint.short), trust \(record.trust))")
        guard let status = try peerStatuses().first(where: { $0.name == name }) else {
            throw CoreError(.unknownPeer, "\(name) was removed while it was being added")
        }
        return status
    }

    // MARK: inbox get

    private func inboxGet(_ request: ControlRequest, _ io: inout ControlConnection, actor: AuditActor) async throws {
        let id = try packageID(try required(request.id, "id"), receivedOnly: true)
        guard let entry = try context.store.inboxEntry(id: id, from: request.peer) else {
            // A --from that names nobody is the likelier mistake than a missing package.
            if let sender = request.peer, context.peers.peer(named: sender) == nil, (try? NodeFingerprint(parsing: sender)) == nil,
               (try? context.store.inboxEntries(id: id).isEmpty) == false {
                throw CoreError(.unknownPeer, "no peer named \(sender) (--from takes a peer's name or fingerprint); see `liaison peers list`")
            }
            throw CoreError(.unknownPackage, "no package \(id)\(request.peer.map { " from \($0)" } ?? "") in the inbox; see `liaison inbox list`")
        }
        var input = try StoredPackageSource.inbox(entry, store: context.store)
        defer { input.close() }
        // Verified as of its arrival (a sender's key retired since by a rotation still counts);
        // expiry governs delivery, not reading.
        let senders = context.home.senders(asOf: entry.receivedAt, keyring: context.peers.keyring)
        let header = try PackageOpener.readHeader(from: &input)
        var opener: PackageOpener
        var revoked = false
        do {
            opener = try context.packageOpener(header: header, senders: senders, now: entry.receivedAt)
        } catch let error as CoreError where error.code == .senderRevoked {
            // Whatever of a revoked key is in the inbox came before the revocation was
            // known here (the transport refuses it since), but whoever held the key may
            // have made it: opened only on the operator's explicit word.
            guard request.despiteRevocation == true else {
                let from = request.peer.map { " --from \($0)" } ?? ""
                throw CoreError(.senderRevoked, "\(error.message) (this node learned of it after the package arrived): whoever held that key may have made it. "
                                + "To read it all the same, knowing that, run `liaison inbox get \(id)\(from) --out FILE --despite-revocation` (the audit log records it)")
            }
            opener = try context.packageOpener(header: header, senders: RevocationOverlooked(senders), now: entry.receivedAt)
            revoked = true
        }
        // Plaintext leaves the daemon only with its audit record.
        // The peer of that name only if it is the node that signed it (a removed one's name may be another's now).
        let signer = context.peers.peer(named: entry.sender).flatMap { context.home.identitiesEverHeld(by: $0).contains(opener.sender.identity) ? $0 : nil }
        var details = signer == nil ? ["sender": opener.sender.name] : [:]
        if revoked { details["despite-revocation"] = "signer \(opener.sender.fingerprint) revoked (learned here after the package arrived)" }
        try await context.audit(context.event(.packageOpened, actor: actor, peer: signer, package: id, markings: entry.markings, details: details))
        if revoked { context.logger.warning("package \(id) from \(opener.sender.name) opened despite the revocation of its signer's key, as \(actor) asked") }
        var item = OpenedItem(id: id.description, sender: opener.sender.name, senderFingerprint: opener.sender.fingerprint.description,
                              markings: opener.header.markings.banner, contentType: opener.header.contentType)
        if revoked { item.senderRevoked = true }
        try await io.send(result: item)
        do {
            var chunks: [[UInt8]] = []
            // Plaintext: wiped once sent, and when a send fails (the client went away, say).
            func wipeChunks() {
                for i in chunks.indices { chunks[i].withUnsafeMutableBytes { Sodium.wipe($0) } }
                chunks.removeAll()
            }
            defer { wipeChunks() }
            while try opener.openNextChunk(from: &input, deliver: { data in
                var offset = 0
                while offset < data.count {
                    let n = min(ControlFraming.dataFrameLength, data.count - offset)
                    chunks.append(Array(UnsafeRawBufferPointer(rebasing: data[offset..<(offset + n)])))
                    offset += n
                }
            }) {
                for chunk in chunks { try await io.send(chunk) }
                wipeChunks()
            }
            try await io.send([])
            try await io.send(result: Empty())
        } catch let error as CoreError {
            try await io.send([])
            try await io.send(error: ControlFailure(code: error.code.rawValue, message: error.message))
            throw AnsweredFailure()
        }
    }
}
