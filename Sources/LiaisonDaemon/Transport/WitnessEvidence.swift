import LiaisonAudit
import LiaisonCore
import LiaisonStore

/// What a witness's refusal proves about this node's own audit log.
///
/// A witness that says this log was rolled back or rewritten stops the node
/// signing checkpoints (``DaemonContext/raiseWitnessAlarm(_:)``). Taken on its
/// word, any peer asked to witness could do that. So the refusal must carry the
/// checkpoint the witness cosigned last (``SessionMessage/witnessRefused(knownSize:reason:evidence:)``):
/// signed by this log's own key, it proves a rollback if it is larger than the
/// log now, a fork if its root is not the log's root at its size.
enum WitnessEvidence {
    enum Verdict: Equatable, CustomStringConvertible {
        /// This log signed a checkpoint of `signed` entries and now holds `held`.
        case rolledBack(signed: Int, held: Int)
        /// This log signed another tree of `size` entries than the one it holds now.
        case forked(size: Int)
        /// This node began a later log, `origin`, after this one: this one is an old copy.
        case superseded(by: String)
        /// The refusal proves nothing about this log; why.
        case unfounded(String)

        var description: String {
            switch self {
            case .rolledBack(let signed, let held):
                "this log signed a checkpoint of \(signed) entries and now holds \(held): it was rolled back"
            case .forked(let size):
                "this log signed another tree of \(size) entries than the one it holds: it was rewritten"
            case .superseded(let origin):
                "this node's log key began a later log, \(origin), after this one: this log is an older copy"
            case .unfounded(let why): why
            }
        }
    }

    /// Judges `evidence` (a signed note) against `log`, whose checkpoints `logKey`
    /// signs; `family` is the origin of the node's first log, which its later logs'
    /// names begin with.
    static func judge(_ evidence: [UInt8], log: AuditLog, logKey: NoteVerifierKey, family: String,
                      now: Int64 = Timestamp.now()) throws -> Verdict {
        guard !evidence.isEmpty else { return .unfounded("it sent no checkpoint to show it") }
        // A checkpoint of a log this node's key began after this one proves this one closed.
        let origin = String(decoding: evidence.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
        if origin != logKey.name, let shown = NodeLogNames.label(of: origin, family: family),
           let ours = NodeLogNames.label(of: logKey.name, family: family), NodeLogNames.isLater(shown, than: ours),
           let key = try? NoteVerifierKey(name: origin, type: logKey.type, publicKey: logKey.publicKey),
           (try? Checkpoint.open(evidence, logKey: key)) != nil {
            // One named as begun well past this node's clock (a clock once wrong, a note
            // a witness kept from then) would stop every log begun before that time.
            guard let shown, shown <= NodeLogNames.successorLabel(at: now + WitnessService.clockLeeway) else {
                return .unfounded("the checkpoint it sent is of a log named as begun at \(shown ?? "?"), past this node's clock")
            }
            return .superseded(by: origin)
        }
        let checkpoint: Checkpoint
        do {
            checkpoint = try Checkpoint.open(evidence, logKey: logKey).checkpoint
        } catch {
            return .unfounded("the checkpoint it sent is not one this log's key signed")
        }
        let held = try log.size()
        if checkpoint.size > held { return .rolledBack(signed: checkpoint.size, held: held) }
        guard checkpoint.size > 0 else { return .unfounded("the checkpoint it sent is of the empty log") }
        return try log.root(size: checkpoint.size) == checkpoint.rootHash
            ? .unfounded("the checkpoint it sent is consistent with this log")
            : .forked(size: checkpoint.size)
    }
}
