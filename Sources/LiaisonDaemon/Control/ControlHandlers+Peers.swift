import LiaisonAudit
import LiaisonControl
import LiaisonCore

/// Peer lifecycle on the running daemon: change a peer's trust, show one peer
/// with its effective policy, revoke or remove it. Each change is audited before it is
/// made, and revoking or blocking a peer ends its open sessions at once.
extension ControlHandlers {
    func setTrust(_ request: ControlRequest, actor: AuditActor) async throws -> PeerDetail {
        let name = try required(request.name, "name")
        var peer = try knownPeer(name)
        let level = try TrustLevel(parsing: try required(request.trust, "trust"))
        let previous = peer.trust
        guard level != previous else { return try detail(peer) }
        peer.trust = level
        // A maximum TLP no operator chose is the trust level's default and follows the
        // trust to the new one's (a downgrade must not leave a trusted peer's RED behind);
        // one chosen stays, even one equal to a default (a restriction to GREEN must not
        // be lifted by a round trip through limited).
        let oldMaximum = peer.maximumTLP
        if !peer.maximumTLPChosen { peer.maximumTLP = PeerRecord.defaultMaximumTLP(for: level) }
        var details = ["from": previous.rawValue, "to": level.rawValue]
        if peer.maximumTLP != oldMaximum { details["max-tlp"] = "\(oldMaximum.label) → \(peer.maximumTLP.label)" }
        let change = context.event(.trustChanged, actor: actor, peer: peer, details: details)
        try await context.audit(change)
        // Apply only this change to the peer as it is now: a revocation that landed
        // while the audit record was written must not be undone.
        try await recordingFailure(of: change) {
            try context.peers.update { keyring in
                guard var current = keyring.peer(named: name) else { throw CoreError(.unknownPeer, "\(name) was removed meanwhile") }
                if !current.maximumTLPChosen { current.maximumTLP = PeerRecord.defaultMaximumTLP(for: level) }
                current.trust = level
                try keyring.replace(current)
            }
        }
        context.logger.notice("peer \(name): trust \(previous) → \(level)")
        if level == .blocked {
            let cut = context.cutSessions(of: peer)
            if cut > 0 { context.logger.notice("ended \(cut) open session(s) with \(name): it is blocked") }
        }
        return try detailAfterChange(name)
    }

    /// Edits a peer's attributes; only those given change. Audited as `peer.changed`
    /// with each change (`from → to`) before it is made; nothing to change changes nothing.
    func setAttributes(_ request: ControlRequest, actor: AuditActor) async throws -> PeerDetail {
        let name = try required(request.name, "name")
        let before = try knownPeer(name)
        let edit = try PeerEdit(request, ladder: context.configuration.classifications)
        let after = edit.applied(to: before)
        let changes = PeerEdit.changes(from: before, to: after)
        guard !changes.isEmpty else { return try detail(before) }
        let change = context.event(.peerChanged, actor: actor, peer: after, details: changes)
        try await context.audit(change)
        // Applied to the peer as it is now (a revocation or trust change meanwhile stays).
        try await recordingFailure(of: change) {
            try context.peers.update { keyring in
                guard let current = keyring.peer(named: name) else { throw CoreError(.unknownPeer, "\(name) was removed meanwhile") }
                try keyring.replace(edit.applied(to: current))
            }
        }
        context.logger.notice("peer \(name) changed: \(changes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        return try detailAfterChange(name)
    }

    func showPeer(_ request: ControlRequest) throws -> PeerDetail {
        try detail(try knownPeer(try required(request.name, "name")))
    }

    /// Marks the peer's key revoked: no handshake, no package and no key wrap from
    /// now on, and its open sessions end now. Queued deliveries to it fail.
    func revoke(_ request: ControlRequest, actor: AuditActor) async throws -> PeerDetail {
        var peer = try knownPeer(try required(request.name, "name"))
        guard !peer.revoked else { return try detail(peer) }
        peer.revoked = true
        let revocation = context.event(.keyRevoked, actor: actor, peer: peer, details: ["identity": KeyText.encode(peer.keys.identity)])
        try await context.audit(revocation)
        // Revoked in memory and its sessions cut even if the files cannot be written (fail closed).
        let cut = try await recordingFailure(of: revocation) { try context.revokePeer(peer) }
        // What waits for it is never sent: failed now, not at its next attempt.
        let failed = await context.failOpenDeliveries(named: peer.name, peer: peer,
                                                      reason: "peer.revoked: \(peer.name)'s key was revoked; its packages still queued are not delivered")
        context.logger.notice("peer \(peer.name) revoked; ended \(cut) open session(s), failed \(failed) queued deliveries")
        return try detail(peer)
    }

    /// Removes a peer imported into the keyring, audited as `peer.removed` before it
    /// is removed. A peer pinned in liaison.toml is refused: it would come back at the
    /// next reload of the keyring.
    func removePeer(_ request: ControlRequest, actor: AuditActor) async throws -> RemovedPeer {
        let name = try required(request.name, "name")
        let peer = try knownPeer(name)
        try await context.audit(context.event(.peerRemoved, actor: actor, peer: peer))
        // What it sent stays readable (`inbox get`): its keys are retired as of now, as by a
        // rotation, so packages that arrived before still verify and nothing later does.
        let now = Timestamp.now()
        var kept = true
        for identity in [peer.keys.identity] + [peer.previousKeys?.identity].compactMap({ $0 }) {
            do {
                try context.home.recordPeerRotation(peer: peer, previous: identity, until: now)
            } catch {
                kept = false
                context.logger.warning("peer \(name)'s key \(NodeFingerprint(identity: identity)) could not be kept for reading what it sent: \(error); its packages in the inbox open again if its card is imported")
            }
        }
        do {
            try context.peers.update { try $0.remove(named: name) }
        } catch {
            // Recorded as done but not done: the log must say so.
            await context.auditAfterTheFact(context.event(.peerRemoved, .failed, actor: actor, peer: peer, reason: Self.auditReason(error)))
            throw error
        }
        // Deliveries are filed by name: none may stay open for a node imported later under it.
        let cut = context.cutSessions(of: peer)
        let failed = await context.failOpenDeliveries(named: name, peer: peer,
                                                      reason: "peer.removed: \(name) was removed; its packages still queued or in transfer are not delivered (a receipt arriving later is not recorded)")
        context.logger.notice("peer \(name) removed; ended \(cut) open session(s), failed \(failed) queued deliveries")
        return RemovedPeer(name: name, failedDeliveries: failed, sentPackagesReadable: kept)
    }

    /// Runs `change`, recorded as done in `record` before: if it fails, the log says
    /// so (the same event, `failed`, with the reason) and the error goes on.
    private func recordingFailure<T>(of record: AuditEvent, _ change: () throws -> T) async throws -> T {
        do {
            return try change()
        } catch {
            var failed = record
            failed.outcome = .failed
            failed.reason = Self.auditReason(error)
            await context.auditAfterTheFact(failed)
            throw error
        }
    }

    private func knownPeer(_ name: String) throws -> PeerRecord {
        guard let peer = context.peers.peer(named: name) else {
            throw CoreError(.unknownPeer, "no peer named \(name); see `liaison peers list`")
        }
        guard !context.configuration.pinnedPeers.contains(where: { $0.name == name }) else {
            throw CoreError(.invalidArgument, "\(name) is pinned in liaison.toml; change it there and restart the daemon")
        }
        return peer
    }

    /// The peer with its attributes and the policy's decision for each TLP level.
    /// The peer's detail after a change, with how many of the packages queued for it
    /// the policy now refuses (decided as the sender will decide them, from the
    /// markings the store keeps; at most the first ``queuedLookedAt``).
    private func detailAfterChange(_ name: String) throws -> PeerDetail {
        let peer = try knownPeer(name)
        var shown = try detail(peer)
        let queued = try context.store.outbox(limit: Self.queuedLookedAt, peer: name, states: [.queued, .sending])
        shown.queuedNowRefused = queued.filter { entry in
            guard let markings = try? Markings(parsingBanner: entry.package.markings) else { return false }
            return !context.leavingDecision(markings, to: peer).allowed
        }.count
        return shown
    }

    /// Most queued packages a change looks at to say how many it refuses.
    static let queuedLookedAt = 10_000

    private func detail(_ peer: PeerRecord) throws -> PeerDetail {
        guard let status = try peerStatuses().first(where: { $0.name == peer.name }) else {
            throw CoreError(.unknownPeer, "\(peer.name) was removed meanwhile")
        }
        return PeerDetail(peer, status: status, ladder: context.configuration.classifications)
    }
}
