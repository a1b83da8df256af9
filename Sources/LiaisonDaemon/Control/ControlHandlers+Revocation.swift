import LiaisonAudit
import LiaisonControl
import LiaisonCore
import NIOPosix

/// `keys.revoke`: this node revokes its own identity key (after a compromise, say)
/// and tells its partners, who honour the signed statement without any operator
/// action. Irreversible: from then on this node sends and forwards nothing.
extension ControlHandlers {
    func revokeOwnKey(_ request: ControlRequest, actor: AuditActor) async throws -> RevocationReport {
        let home = context.home
        // One change of this node's keys at a time: two revocations would sign, audit and
        // announce two statements; a rotation meanwhile would replace the key being revoked.
        guard context.keyChangeInProgress.withLockedValue({ busy in defer { busy = true }; return !busy }) else {
            throw CoreError(.keyChangeNotNow, "a change of this node's keys (keys revoke or keys rotate) is already in progress; wait for it to finish")
        }
        defer { context.keyChangeInProgress.withLockedValue { $0 = false } }
        // Revoking again re-sends the statement already issued (to reach partners
        // that were unreachable the first time); it is never replaced.
        let statement: RevocationStatement
        let alreadyRevoked = home.isRevoked
        if let existing = try home.revocation() {
            statement = existing
        } else {
            // The reason is signed into the statement once and for good, for partners' operators:
            // a revocation without one would stay without one (found in an operator's trial).
            guard let reason = request.reason, !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CoreError(.invalidArgument, "say why with --reason TEXT: it is signed into the revocation once and for good, for partners' operators to read; nothing was revoked")
            }
            statement = try RevocationStatement(revoking: context.secrets.identity, at: Timestamp.now(), reason: reason)
            // Fail closed: nothing is revoked that the log does not record first.
            try await context.audit(context.event(.keyRevoked, actor: actor, details: [
                "identity": KeyText.encode(statement.identity), "revoked-at": Timestamp.iso8601(statement.revokedAt),
                "reason": statement.reason, "by": "self",
            ]))
            try home.saveRevocation(statement)
            context.logger.critical("this node revoked its own identity key; it sends and forwards nothing from now on")
        }
        // Announced once to every partner; later runs only to those not reached yet
        // (partners already told now refuse this node's handshakes).
        let pending = Set(home.pendingRevocationPeers())
        let peers = context.peers.keyring.peers.filter { !$0.revoked && (!alreadyRevoked || pending.contains($0.fingerprint.description)) }
        let outcome = await RevocationAnnouncer(context: context, group: MultiThreadedEventLoopGroup.singleton).announce(statement, to: peers)
        // The daemon keeps retrying the unreached ones (RevocationRetrier).
        try home.savePendingRevocationPeers(outcome.unreachedFingerprints)
        context.logger.notice("revocation statement acknowledged by \(outcome.told.count) peer(s); \(outcome.unreached.count) not reached yet")
        return RevocationReport(node: statement.fingerprint.description, revokedAt: Timestamp.iso8601(statement.revokedAt),
                                reason: statement.reason, statementPath: home.revocationPath, told: outcome.told, unreached: outcome.unreached,
                                repeated: alreadyRevoked)
    }

    /// Honours a partner's own revocation statement that reached the operator by
    /// other means: it must be signed by the identity key of a known peer.
    func importRevocation(_ request: ControlRequest, actor: AuditActor) async throws -> PeerStatus {
        let statement = try RevocationStatement(text: try required(request.statement, "statement"))
        // Any key the peer holds or ever held (``NodeHome/peer(everHolding:in:)``).
        guard let peer = context.home.peer(everHolding: statement.identity, in: context.peers.keyring) else {
            // A partner removed since: its packages in the inbox stay readable with its
            // retired key (`peers remove`), so the key's revocation must still count.
            if let retired = context.home.retiredPeerKeys().first(where: { $0.identity == statement.identity }) {
                return try await revokeRetired(retired, statement: statement, actor: actor)
            }
            return try await revokeUnknown(statement, actor: actor)
        }
        guard statement.verify(identity: statement.identity) else {
            throw CoreError(.revocationSignatureInvalid, "the statement is not signed by \(peer.name)'s identity key; it was not imported. Ask \(peer.name) for it again")
        }
        if !peer.revoked {
            try await context.audit(context.event(.keyRevoked, actor: actor, peer: peer, details: [
                "identity": KeyText.encode(statement.identity), "revoked-at": Timestamp.iso8601(statement.revokedAt),
                "reason": statement.reason, "by": "statement",
            ]))
            let cut = try context.revokePeer(peer, revoking: statement.identity)
            context.logger.notice("imported \(peer.name)'s revocation of its own key; ended \(cut) open session(s)")
        }
        guard let status = try peerStatuses().first(where: { $0.name == peer.name }) else {
            throw CoreError(.unknownPeer, "\(peer.name) was removed meanwhile")
        }
        return status
    }

    /// Honours the revocation of a key no peer here holds or held: the statement is
    /// signed by the key it revokes, so it is recorded, and a card with that key is
    /// refused if someone imports it later (a node told of a compromise before it
    /// met the node).
    private func revokeUnknown(_ statement: RevocationStatement, actor: AuditActor) async throws -> PeerStatus {
        guard statement.verify(identity: statement.identity) else {
            throw CoreError(.revocationSignatureInvalid, "the statement is not signed by the key it revokes (\(statement.fingerprint.short)); it was not imported")
        }
        // This node's own key (current, or previous during an overlap): only its holder can
        // sign that, and this node did not, or `keys revoke` would have been used. Refused,
        // loudly: the key is in someone else's hands.
        // Its own earlier keys too: the previous one after the overlap, and the first (which
        // signs the log-origin proof); whoever holds one can pass for this node.
        if let issued = try? context.home.revocation(), issued == statement {
            throw CoreError(.invalidArgument, "this is this node's own revocation (\(context.home.revocationPath)); there is nothing to import")
        }
        let own = Set([context.fingerprint, context.configuration.logFingerprint]
                      + [(try? context.home.rotation())?.previousFingerprint].compactMap { $0 })
        guard !own.contains(statement.fingerprint) else {
            await context.auditAfterTheFact(context.event(.keyRevoked, .denied, actor: actor,
                                                          reason: "identity.own-key: a statement revoking this node's own key \(statement.fingerprint.short), signed with it, was imported",
                                                          details: ["fingerprint": statement.fingerprint.description]))
            context.logger.critical("an operator imported a statement revoking this node's own identity key (\(statement.fingerprint.short)), signed with that key: someone else holds it; run `liaison keys revoke` and set up a new node")
            throw CoreError(.invalidArgument, "this statement revokes this node's own key, and is signed with it: someone else holds that key. Revoke it yourself (`liaison keys revoke`) and set up a new node")
        }
        return try await recordRevocation(statement, of: Self.unknownRevokedName, trust: "unknown", actor: actor,
                                          details: ["fingerprint": statement.fingerprint.description, "known": "false"],
                                          logged: "\(statement.fingerprint.short), a key no peer here holds: a card with it is refused from now on")
    }

    /// The name `peers.import-revocation` answers with for a key no peer here holds.
    static let unknownRevokedName = "(no peer here)"

    /// Honours the revocation of a key that a peer no longer in the keyring held
    /// (removed; its retired key still opens what it sent): recorded revoked, so
    /// those packages are refused from now on, and audited under the name it had.
    private func revokeRetired(_ retired: NodeHome.RetiredPeerKey, statement: RevocationStatement, actor: AuditActor) async throws -> PeerStatus {
        guard statement.verify(identity: statement.identity) else {
            throw CoreError(.revocationSignatureInvalid, "the statement is not signed by the key it revokes (\(retired.peer)'s, removed); it was not imported")
        }
        return try await recordRevocation(statement, of: "\(retired.peer) (removed)", trust: "removed", actor: actor,
                                          details: ["peer-name": retired.peer, "removed": "true"],
                                          logged: "\(retired.peer)'s key (a removed peer): what it sent is refused from now on")
    }

    /// Records the verified revocation of a key no peer in the keyring holds, once:
    /// audited first (fail closed), then kept, so that what the key signed is refused
    /// from now on. Answers with the status of the key under `name`.
    private func recordRevocation(_ statement: RevocationStatement, of name: String, trust: String, actor: AuditActor,
                                  details: [String: String], logged: String) async throws -> PeerStatus {
        if !context.home.revokedPeerIdentities().contains(KeyText.encode(statement.identity)) {
            let common = ["identity": KeyText.encode(statement.identity), "revoked-at": Timestamp.iso8601(statement.revokedAt),
                          "reason": statement.reason, "by": "statement"]
            try await context.audit(context.event(.keyRevoked, actor: actor, details: common.merging(details) { _, specific in specific }))
            try context.home.recordRevokedPeer(statement.identity)
            context.logger.notice("imported the revocation of \(logged)")
        }
        return PeerStatus(name: name, fingerprint: statement.fingerprint.description, trust: trust, addresses: [],
                          revoked: true, lastHandshake: nil, lastError: nil, queued: 0, delivered: 0, failed: 0, bytesSent: 0, bytesReceived: 0)
    }
}
