import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore
import LiaisonWire
import Logging

/// The witness side: a peer asks this node to cosign its audit checkpoint.
///
/// It cosigns only a checkpoint signed by the peer's log key that is consistent
/// with the last one this node cosigned for that log (a consistency proof from
/// that size must verify); the first checkpoint of a log is taken on trust. A
/// smaller or forked tree is refused, recorded in our own audit log and logged
/// at critical level: the peer's log was rolled back or rewritten. A log the peer
/// began after one that could not go on (`liaison audit new-log`) is a new log,
/// recorded with the one it follows; that one then takes no more cosignatures.
struct WitnessService {
    let context: DaemonContext
    let peer: PeerRecord
    let logger: Logger

    func handle(note: [UInt8], oldSize: UInt64, proof: [[UInt8]]) async -> SessionMessage {
        // As the peer is now: one blocked, revoked or removed since the session opened gets nothing.
        guard let current = context.peers.peer(named: peer.name), current.logFingerprint == peer.logFingerprint,
              !current.revoked, current.trust != .blocked else {
            return .witnessRefused(knownSize: 0, reason: "this node no longer exchanges anything with you")
        }
        let opened: OpenedCheckpoint
        // The node's first log is named after its first keys; a log it began after
        // one that could not go on (`audit new-log`) adds the time it began.
        let family = NodeLogNames.origin(peer.auditLogFingerprint)
        let origin = String(decoding: note.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        // Another log name than the one on file: say which, as that is the likely cause
        // (a partner that added this node after it rotated, with a card lacking its log-origin).
        guard let label = NodeLogNames.label(of: origin, family: family) else {
            guard !origin.hasPrefix(family + "/") else {
                return .witnessRefused(knownSize: 0, reason: "\(origin) is not a name of a log of yours: a later log is named \(family)/<the UTC time it began, YYYYMMDDTHHMMSSZ>")
            }
            return .witnessRefused(knownSize: 0, reason: "this witness knows your log as \(family), not by this checkpoint's name: its operator must remove you and add your current card")
        }
        // A log named as begun well past this witness's clock would, once cosigned,
        // leave every log its node begins before that time (a mistaken clock put
        // right) for an older one: not taken.
        if let label, label > NodeLogNames.successorLabel(at: Timestamp.now() + Self.clockLeeway) {
            return .witnessRefused(knownSize: 0, reason: "your log's name says it began at \(label), more than a day after this witness's clock: check your clock")
        }
        let logKey: NoteVerifierKey
        do {
            let firstLogKey = try NodeLogNames.logKey(peer.keys, named: peer.auditLogFingerprint)
            guard let key = NodeLogNames.logKey(firstLogKey, for: origin) else { throw AuditError(.originMismatch, "not a log of yours") }
            logKey = key
            opened = try Checkpoint.open(note, logKey: logKey)
        } catch {
            return .witnessRefused(knownSize: 0, reason: "the checkpoint does not verify with your log key: \(error)")
        }
        let checkpoint = opened.checkpoint
        do {
            let logs = try context.auditLog.witnessedLogs(family: family)
            let state = logs.first { $0.origin == checkpoint.origin }
            let newest = logs.last
            // The record of a log name is kept for the log key that began it here: another
            // key under the same name (a thief of a retired first identity key naming its
            // own log after it, say) neither moves it nor is taken for a fork of it. Nor is
            // it cosigned as a log of its own: a cosignature signs the checkpoint's body
            // (origin, size, root), not the key, so one given to another key's tree would
            // vouch for that tree under the real key's note too (a split view). A node's
            // log key never changes, so the first identity key has vouched for two log
            // keys: one of them was stolen. Critical, but not a fork. A log begun after
            // another is held to the key the last one was witnessed under.
            if let known = state ?? newest, !Self.signed(known, by: logKey) {
                logger.critical("witness: \(peer.name) asks to cosign \(checkpoint.origin) with another log key than the one this node witnessed its log under: the identity key that log began under has named two log keys, so one of them is not its node's; refused (check with \(peer.name)'s operator which is genuine)")
                await context.auditAfterTheFact(context.event(.checkpointCosigned, .denied, actor: DaemonContext.actor(peer), peer: peer,
                                                              reason: "witness.other-key: this node witnesses that log under another log key",
                                                              details: ["origin": checkpoint.origin, "size": String(checkpoint.size)]))
                noteRefusal("another log key than the one its log is witnessed under (\(checkpoint.origin))")
                return .witnessRefused(knownSize: 0, reason: "this witness keeps \(known.origin) for another log key, and cosigns that name for it alone")
            }
            // A log the node closed when it began a later one takes no more cosignatures:
            // else a copy of it restored from a backup would carry on beside the new one.
            if let newest, newest.origin != checkpoint.origin,
               !NodeLogNames.isLater(label, than: NodeLogNames.label(of: newest.origin, family: family) ?? nil) {
                return await refuseSuperseded(checkpoint, by: newest)
            }
            if let state {
                guard checkpoint.size >= state.size else {
                    return await refuse(checkpoint, state, "a rollback: size \(checkpoint.size) is below the \(state.size) already cosigned")
                }
                guard oldSize == UInt64(state.size) else {
                    // The requester assumed another size: tell it ours, it retries with a proof from there.
                    return .witnessRefused(knownSize: UInt64(state.size), reason: "conflict: the last cosigned size is \(state.size)",
                                           evidence: Self.evidence(state))
                }
                guard MerkleTree.verifyConsistency(oldSize: state.size, newSize: checkpoint.size, oldRoot: state.root,
                                                   newRoot: checkpoint.rootHash, proof: proof) else {
                    return await refuse(checkpoint, state, "a fork: the tree of \(checkpoint.size) does not extend the one of \(state.size) cosigned before")
                }
            }
            let now = Timestamp.now()
            // Signing with our log key is an action of ours: recorded before the line leaves.
            // A tree already cosigned (the same size and root: the requester lost our line)
            // is signed again under the entry that stands for it, so a partner asking
            // over and over cannot add an entry each time.
            let alreadyCosigned = state.map { $0.size == checkpoint.size && $0.root == checkpoint.rootHash } ?? false
            if !alreadyCosigned {
                var details = ["origin": checkpoint.origin, "size": String(checkpoint.size), "cosigned-size": String(state?.size ?? 0)]
                // A log begun after the one this node witnessed: taken on trust like any
                // first checkpoint, but said aloud, with how far the closed one was cosigned.
                if state == nil, let newest {
                    details["succeeds"] = newest.origin
                    details["succeeded-size"] = String(newest.size)
                    logger.warning("witness: \(peer.name) began a new audit log, \(checkpoint.origin), after \(newest.origin), which this node cosigned up to \(newest.size) entries; that one takes no more cosignatures (ask \(peer.name)'s operator why: its log.started entry says)")
                }
                try await context.audit(context.event(.checkpointCosigned, actor: DaemonContext.actor(peer), peer: peer, details: details))
            }
            let line = try context.cosigner.cosign(checkpoint, timestamp: UInt64(max(0, now)))
            try context.auditLog.recordWitnessed(checkpoint, note: String(decoding: note, as: UTF8.self), peer: peer.fingerprint.description,
                                                 expected: state, newest: (family, newest), now: now)
            return .witnessCosignature(line: Array(line.line.utf8.dropLast()))
        } catch {
            logger.error("cannot witness \(peer.name)'s checkpoint: \(error)")
            return .witnessRefused(knownSize: 0, reason: "the witness cannot cosign right now; retry later")
        }
    }

    /// Kept for `status`, beside the critical log line and the audit entry.
    private func noteRefusal(_ what: String) {
        let now = Timestamp.iso8601(Timestamp.now())
        context.witnessRefusals.withLockedValue { refusals in
            let count = (refusals[peer.logFingerprint]?.count ?? 0) + 1
            refusals[peer.logFingerprint] = PeerStatus.WitnessRefusal(count: count, lastAt: now, reason: what)
        }
    }

    private func refuse(_ checkpoint: Checkpoint, _ state: WitnessedLog, _ what: String) async -> SessionMessage {
        logger.critical("witness: \(peer.name)'s audit log shows \(what); refusing to cosign")
        noteRefusal(what)
        await context.auditAfterTheFact(context.event(.checkpointCosigned, .denied, actor: DaemonContext.actor(peer), peer: peer,
                                                      reason: "witness.inconsistent: \(what)",
                                                      details: ["origin": checkpoint.origin, "size": String(checkpoint.size),
                                                                "cosigned-size": String(state.size)]))
        return .witnessRefused(knownSize: UInt64(state.size), reason: "refused: \(what)", evidence: Self.evidence(state))
    }

    /// How far (seconds) a log's beginning may lie past this witness's clock.
    static let clockLeeway: Int64 = 86_400

    private func refuseSuperseded(_ checkpoint: Checkpoint, by newest: WitnessedLog) async -> SessionMessage {
        let what = "superseded: \(checkpoint.origin) was followed by \(newest.origin), which this node cosigned up to \(newest.size) entries"
        logger.error("witness: \(peer.name) asks to cosign a log it closed (\(what)): a copy of it restored from a backup? refusing to cosign")
        noteRefusal(what)
        await context.auditAfterTheFact(context.event(.checkpointCosigned, .denied, actor: DaemonContext.actor(peer), peer: peer,
                                                      reason: "witness.superseded: \(what)",
                                                      details: ["origin": checkpoint.origin, "size": String(checkpoint.size),
                                                                "succeeded-by": newest.origin]))
        return .witnessRefused(knownSize: 0, reason: "refused: \(what)", evidence: Self.evidence(newest))
    }

    /// Whether `log`'s stored note is signed by `key`'s public key (under `log`'s own name).
    private static func signed(_ log: WitnessedLog, by key: NoteVerifierKey) -> Bool {
        guard let named = try? NoteVerifierKey(name: log.origin, type: key.type, publicKey: key.publicKey) else { return false }
        return (try? Checkpoint.open(Array(log.note.utf8), logKey: named)) != nil
    }

    /// The checkpoint last cosigned for a log, as its log key signed it: what shows
    /// the requester that the refusal is founded (``WitnessEvidence``).
    static func evidence(_ state: WitnessedLog) -> [UInt8] {
        let note = Array(state.note.utf8)
        return note.count <= SessionMessage.maximumNoteByteCount ? note : []
    }
}
