import LiaisonAudit
import LiaisonCore
import LiaisonStore
import LiaisonWire
import NIOConcurrencyHelpers
import NIOCore

/// The requester side of witnessing: ask each witness peer to cosign a
/// checkpoint, proving consistency with the last size that witness cosigned,
/// and store the cosignatures that verify.
struct WitnessClient: Sendable {
    let context: DaemonContext
    let group: EventLoopGroup

    /// The peers that witness this node's log: `[audit] witnesses`, or every
    /// unrevoked `partner` or `trusted` peer.
    var witnesses: [PeerRecord] {
        let usable = context.peers.keyring.peers.filter { !$0.revoked && $0.trust != .blocked && !$0.addresses.isEmpty }
        if let names = context.configuration.audit.witnesses {
            return usable.filter { names.contains($0.name) }
        }
        return usable.filter { $0.trust == .partner || $0.trust == .trusted }
    }

    /// Asks every witness that has not cosigned `stored` (nor a later checkpoint) to
    /// cosign it; true if one of them did not answer (not reachable, or not in time).
    /// A refusal is an answer: asking again would only be refused again.
    @discardableResult
    func collectCosignatures(for stored: StoredCheckpoint) async -> Bool {
        guard stored.size > 0 else { return false }
        let unanswered = NIOLockedValueBox(false)
        await withDiscardingTaskGroup { group in
            for peer in witnesses {
                group.addTask {
                    if await request(stored, from: peer) == .unanswered { unanswered.withLockedValue { $0 = true } }
                }
            }
        }
        return unanswered.withLockedValue { $0 }
    }

    /// How a request to one witness ended.
    enum Outcome: Equatable {
        /// Cosigned, or had nothing to do (it cosigned this or a later checkpoint).
        case done
        /// It answered with a refusal, or something else.
        case refused
        /// No answer: it could not be reached, or did not answer in time (or this daemon is stopping).
        case unanswered
    }

    /// Asks one witness; failures are logged, and retried by the checkpointer when it
    /// did not answer (``AuditCheckpointer``). The
    /// exchange, connection and handshake included, gets the idle timeout
    /// (`idle-timeout-seconds`) in all: a witness that answers a byte at a time
    /// cannot hold the checkpointer, and with it every later checkpoint.
    func request(_ stored: StoredCheckpoint, from peer: PeerRecord) async -> Outcome {
        let deadline = context.settings.idleTimeout, until = NIODeadline.now() + deadline
        do {
            let witnessKey = try NodeLogNames.witnessKey(peer.keys, named: peer.auditLogFingerprint)
            guard !stored.witnesses.contains(witnessKey.name) else { return .done }
            var oldSize = try context.auditLog.newestCosignedSize(witness: witnessKey.name) ?? 0
            // It cosigned a later checkpoint already (asked for this one late): that vouches for this one too.
            guard oldSize <= stored.size else { return .done }
            let note = SignedNote.withoutCosignatures(stored.note, logKey: context.logSigner.verifierKey)
            let reply: SessionMessage = try await PeerDialer(context: context, group: group).withSession(to: peer, until: until) { session in
                var evidence: [UInt8] = []
                for _ in 0..<2 {
                    guard oldSize <= stored.size else { break }
                    let proof = try context.auditLog.consistencyProof(oldSize: oldSize, newSize: stored.size)
                    try await session.send(.witnessRequest(note: note.bytes, oldSize: UInt64(oldSize), proof: proof))
                    let answer = try await session.receive()
                    // A witness that last cosigned another size tells us which: retry once from there.
                    if case .witnessRefused(let known, let reason, let shown)? = answer, reason.hasPrefix("conflict"), known != UInt64(oldSize) {
                        oldSize = Int(clamping: known)
                        evidence = shown
                        continue
                    }
                    // No answer because this daemon is stopping is no witness's refusal.
                    if answer == nil, Task.isCancelled { throw CancellationError() }
                    // Cut at the deadline: no answer, not a refusal (logged below as such).
                    if answer == nil, NIODeadline.now() >= until {
                        throw WireError(.unexpectedMessage, "the witness did not answer in time")
                    }
                    return answer ?? .witnessRefused(knownSize: 0, reason: "the witness closed the session")
                }
                return .witnessRefused(knownSize: UInt64(oldSize), reason: "refused: the witness has cosigned a larger tree than this log holds",
                                       evidence: evidence)
            }
            switch reply {
            case .witnessCosignature(let bytes):
                let line = try NoteSignature(parsing: String(decoding: bytes, as: UTF8.self))
                let opened = try Checkpoint.open(try note.adding(line).bytes, logKey: context.logSigner.verifierKey, witnesses: [witnessKey])
                guard let verified = opened.cosignatures.first(where: { $0.key == witnessKey }) else {
                    throw CoreError(.invalidArgument, "the cosignature from \(peer.name) does not verify")
                }
                try context.auditLog.addCosignature(size: stored.size, line: line, timestamp: verified.cosignatureTimestamp ?? 0,
                                                    now: Timestamp.now())
                context.logger.info("checkpoint \(stored.size) cosigned by \(peer.name)")
                return .done
            case .witnessRefused(let known, let reason, let evidence):
                guard known > UInt64(stored.size) || reason.hasPrefix("refused") else {
                    context.logger.warning("witness \(peer.name) refused checkpoint \(stored.size): \(reason)")
                    return .refused
                }
                // It says this log was rolled back or rewritten: believed only if the
                // checkpoint it shows, signed by this log's key, proves it.
                let verdict = try WitnessEvidence.judge(evidence, log: context.auditLog, logKey: context.logSigner.verifierKey,
                                                        family: NodeLogNames.origin(context.configuration.logFingerprint))
                var details = ["size": String(stored.size), "witness-size": String(known), "evidence": verdict.description]
                // Kept for `audit new-log`: the log to follow is the later one, not this copy.
                if case .superseded(let origin) = verdict { details["superseded-by"] = origin }
                await context.auditAfterTheFact(context.event(.checkpointCosigned, .denied, actor: DaemonContext.actor(peer), peer: peer,
                                                              reason: "witness.refused: \(reason)", details: details))
                if case .unfounded(let why) = verdict {
                    context.logger.error("witness \(peer.name) refused checkpoint \(stored.size), saying this log was rolled back or rewritten (\(reason)), but \(why): not taken as evidence; checkpoints are still signed")
                } else if case .superseded = verdict {
                    context.raiseWitnessAlarm("witness \(peer.name) refused checkpoint \(stored.size): \(verdict). \(context.auditLog.path) is a log this node closed; put back its newest log, or stop the daemon and begin another with `liaison audit new-log`")
                } else {
                    context.raiseWitnessAlarm("witness \(peer.name) refused checkpoint \(stored.size): \(verdict). \(context.auditLog.path) was rolled back or rewritten; restore its newest copy, or, if there is none (a node restored from a backup), stop the daemon and begin a new log with `liaison audit new-log`")
                }
                return .refused
            default:
                context.logger.warning("witness \(peer.name) answered a cosignature request with something else")
                return .refused
            }
        } catch let error where Task.isCancelled || error is CancellationError {
            // The daemon is stopping (the cut may surface as any I/O error): not a
            // witness that cannot be reached.
            context.logger.debug("cosignature request to witness \(peer.name) for checkpoint \(stored.size) abandoned: stopping")
            return .unanswered
        } catch where NIODeadline.now() >= until {
            context.logger.notice("witness \(peer.name) did not answer the request for checkpoint \(stored.size) within \(deadline.nanoseconds / 1_000_000_000) s (idle-timeout-seconds); asked again shortly")
            return .unanswered
        } catch {
            context.logger.notice("cannot reach witness \(peer.name) for checkpoint \(stored.size): \(error)")
            return .unanswered
        }
    }
}

extension SignedNote {
    /// `note` with only the signature lines of `logKey` (what a witness is asked to cosign).
    static func withoutCosignatures(_ note: SignedNote, logKey: NoteVerifierKey) -> SignedNote {
        (try? SignedNote(text: note.text, signatures: note.signatures.filter { $0.name == logKey.name && $0.keyID == logKey.keyID })) ?? note
    }
}
