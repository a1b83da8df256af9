import LiaisonAudit
import LiaisonCore
import LiaisonWire
import NIOCore

/// A peer announcing, on a session made with its previous transport key, that it
/// rotated its keys. The statement must be signed by the identity key this node
/// has on file for that peer; then it is audited (fail closed) and the peer's
/// keyring record takes the new keys, keeping the old ones until the overlap ends.
/// Anything else (malformed, another node's, stale, replayed, a revoked key, one
/// sooner than ``PeerRotationPace`` allows, one racing another rotation of the same
/// peer, or one with no room left to record the retired key) is audited as a
/// refused `key.rotated`, before any entry says it was taken, changes nothing and
/// ends the session. A keyring change that fails after the entry (the disk, or
/// the operator changing the peer at that moment) is audited as a failed one.
extension PackageReceiver {
    /// How long a rotation waits for another of the same peer to be taken before it is refused.
    static let rotationTurnWait = TimeAmount.seconds(5)

    func honourRotation(_ bytes: [UInt8]) async throws -> SessionMessage {
        let now = Timestamp.now()
        let statement: RotationStatement
        do {
            statement = try RotationStatement(decoding: bytes, now: now)
        } catch let error as CoreError {
            throw await refuseRotation("\(error.code.rawValue): \(error.message)")
        }
        // One rotation of this peer at a time, from here until the keyring takes the
        // new keys: what is checked below then holds, so a rotation refused is refused
        // before its audit entry, never after an entry saying it was taken. The same
        // statement may come on two sessions at once (the partner tells it before
        // each dial): the second waits, then finds it taken and acknowledges it.
        let turn: HandshakeTurns.Turn
        do {
            turn = try await context.peerRotationTurns.begin(peer: peer.logFingerprint.description, until: .now() + Self.rotationTurnWait)
        } catch is DeadlinePassed {
            throw await refuseRotation("\(peer.name) is rotating on another session at the same time")
        }
        defer { turn.end() }
        guard let current = context.peers.peer(named: peer.name), current.hasIdentity(peer.keys.identity, at: now) else {
            throw await refuseRotation("\(peer.name) was removed or re-keyed meanwhile")
        }
        // The same rotation again (its acknowledgement was lost): acknowledge it again.
        if current.keys.identity == statement.card.keys.identity, let previous = current.previousKeys(at: now),
           statement.verify(previousIdentity: previous.identity) {
            return .rotationAccepted
        }
        // Only the key on file for this very peer can replace it: a statement for
        // another node, or an old one replayed after a later rotation, changes nothing.
        guard current.keys.identity == peer.keys.identity, statement.verify(previousIdentity: current.keys.identity) else {
            throw await refuseRotation("the statement is not signed by \(peer.name)'s current identity key (forged, another node's, or stale)")
        }
        guard !current.revoked, !context.home.revokedPeerIdentities().contains(KeyText.encode(statement.card.keys.identity)) else {
            throw await refuseRotation("the new identity key is revoked; a revoked key never comes back through a rotation")
        }
        // A node's log keeps its key for life: a new card may not change it (a thief of the
        // identity key could otherwise have the real checkpoints refused by witnesses).
        guard statement.card.keys.log == current.keys.log else {
            throw await refuseRotation("the new card has another log key; a node's audit log keeps its key for life")
        }
        guard !context.configuration.pinnedPeers.contains(where: { $0.name == peer.name }) else {
            throw await refuseRotation("\(peer.name) is pinned in liaison.toml; its operator must update its keys there by hand")
        }
        let previous = statement.previousIdentity
        let pace = context.settings.peerRotationPace
        if let tooSoon = pace.refusal(previousOverlapEnd: context.home.latestRotationOverlapEnd(of: current), now: now) {
            throw await refuseRotation(tooSoon)
        }
        let newKeys = statement.card.keys
        if let other = context.peers.keyring.peers.first(where: { $0.name != peer.name && ($0.keys.identity == newKeys.identity || $0.keys.transport == newKeys.transport) }) {
            throw await refuseRotation("the new keys are already \(other.name)'s")
        }
        // The overlap is the peer's choice, within this node's bounds.
        let overlapUntil = min(statement.overlapUntil, now + RotationStatement.maximumOverlapSeconds)
        guard overlapUntil > now else {
            throw await refuseRotation("the statement's overlap window ended at \(Timestamp.iso8601(overlapUntil)) (stale)")
        }
        // Its line's room in the history file, shared by every peer, is reserved now.
        let room: Int
        do {
            room = try context.peerRotationRoomReserved.withLockedValue { reserved in
                let needed = try context.home.ensurePeerRotationRoom(peer: current, previous: previous, until: overlapUntil, reserved: reserved)
                reserved += needed
                return needed
            }
        } catch let error as CoreError {
            throw await refuseRotation(error.message)
        }
        defer { context.peerRotationRoomReserved.withLockedValue { $0 -= room } }
        // The rotation's names, in its entry and in a later `failed` one alike.
        let details = ["previous": statement.previousFingerprint.description, "fingerprint": statement.fingerprint.description]
        var taken = details
        taken["by"] = "peer"
        taken["identity"] = KeyText.encode(statement.card.keys.identity)
        taken["rotated-at"] = Timestamp.iso8601(statement.rotatedAt)
        taken["overlap-until"] = Timestamp.iso8601(overlapUntil)
        try await context.audit(context.event(.keyRotated, actor: DaemonContext.actor(peer), peer: peer, remote: remote, details: taken))
        do {
            let home = context.home
            try context.peers.update { keyring in
                // Checked again under the keyring's lock: the operator may have changed the peer meanwhile.
                guard let record = keyring.peer(named: peer.name), record.keys.identity == previous else {
                    throw CoreError(.rotationRefused, "\(peer.name) was removed or changed by the operator meanwhile")
                }
                try keyring.rotate(named: peer.name, to: statement.card, overlapUntil: overlapUntil)
                // Packages signed by the old key that arrive during the overlap stay readable after it,
                // and revocation by it keeps working: no rotation is taken without this record.
                try home.recordPeerRotation(peer: record, previous: previous, until: overlapUntil)
            }
        } catch {
            throw await rotationNotCompleted(error, details: details)
        }
        logger.notice("\(peer.name) rotated its keys: now \(statement.fingerprint.short), previous keys accepted until \(Timestamp.iso8601(overlapUntil))")
        return .rotationAccepted
    }

    /// Audits a rotation that was recorded as taken but whose keyring change then
    /// failed (the operator changed the peer meanwhile, or the disk refused): the
    /// keyring is unchanged, the peer keeps its previous keys here, and it is to
    /// rotate again. Returns the error that ends the session.
    /// `details` name the rotation (previous and new fingerprints), as its entry did.
    private func rotationNotCompleted(_ error: any Error, details: [String: String]) async -> WireError {
        let reason = (error as? CoreError).map { $0.message } ?? "\(error)"
        logger.error("a key rotation from \(peer.name) was recorded but not completed: \(reason)")
        await context.auditAfterTheFact(context.event(.keyRotated, .failed, actor: DaemonContext.actor(peer), peer: peer,
                                                      reason: "recorded but not completed: \(reason)", remote: remote, details: details))
        return WireError(.unexpectedMessage, "\(peer.name) sent a key-rotation statement that could not be taken [\(CoreError.Code.rotationRefused.rawValue)]")
    }

    /// Audits a refused rotation (after the fact: refusing is safe even when the log
    /// is down) and returns the error that ends the session.
    private func refuseRotation(_ reason: String) async -> WireError {
        logger.warning("refused a key rotation from \(peer.name): \(reason)")
        await context.auditNetworkRefusal(context.event(.keyRotated, .denied, actor: DaemonContext.actor(peer), peer: peer,
                                                        reason: "\(CoreError.Code.rotationRefused.rawValue): \(reason)", remote: remote))
        return WireError(.unexpectedMessage, "\(peer.name) sent a key-rotation statement that was refused [\(CoreError.Code.rotationRefused.rawValue)]")
    }
}
