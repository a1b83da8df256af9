import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto

/// Where `send` takes its payload from: the frames still to come on the control
/// connection, a payload already read whole (so that its STIX markings could be
/// checked before anything was sealed), or a beginning read ahead to find out
/// whether it is a bundle, followed by the rest from the connection. Buffered
/// plaintext is wiped when released.
final class SendPayload {
    private let buffered: PlaintextBuffer?
    /// Whether the connection still holds the rest of the payload after `buffered`.
    private let continues: Bool
    private var offset = 0
    /// The daemon's memory the buffer holds, given back with it.
    private let shares: [ByteBudget.Share]

    /// Streams from the connection (`buffered` nil), serves `buffered` as the whole
    /// payload, or serves `buffered` and then, if `continues`, the connection's frames.
    /// `shares` are the daemon's memory `buffered` was read under, held as long as it.
    init(buffered: PlaintextBuffer?, continues: Bool = false, holding shares: [ByteBudget.Share] = []) {
        self.buffered = buffered
        self.continues = continues
        self.shares = shares
    }

    /// The next piece of the payload, empty at its end, or nil when the connection
    /// closed before the end. Each piece is a copy the caller wipes.
    func next(_ io: inout ControlConnection) async throws -> [UInt8]? {
        guard let buffered else { return try await io.reader.next() }
        if offset < buffered.count {
            let piece = buffered.copy(from: offset, length: ControlFraming.dataFrameLength)
            offset += piece.count
            return piece
        }
        return continues ? try await io.reader.next() : []
    }
}

/// STIX markings at send (docs/access-control.md, "STIX markings"): a bundle's
/// TLP markings must not contradict the package's; the stricter one wins, or,
/// with `strictMarkings`, the send is refused with the reason.
extension ControlHandlers {
    /// For a STIX content type, reads the whole payload (at most
    /// ``STIXMarkings/maximumPayloadBytes``) and checks the bundle's TLP against
    /// `markings`, which are raised to the bundle's when it is stricter. A payload
    /// of any other type that opens a JSON object and is at most
    /// ``STIXMarkings/maximumSniffedBytes`` is read whole too, and checked if it turns
    /// out to be a bundle. A conflict under `strictMarkings` is audited as
    /// `policy.denied` and thrown, so nothing is sealed or queued. Any other payload
    /// streams, unchecked.
    func readPayload(_ request: ControlRequest, _ io: inout ControlConnection, markings: inout Markings,
                     actor: AuditActor) async throws -> (payload: SendPayload, check: STIXMarkingCheck?) {
        let declared = STIXMarkings.isSTIX(contentType: request.contentType)
        let limit = declared ? STIXMarkings.maximumPayloadBytes : STIXMarkings.maximumSniffedBytes
        // Room for the frame that crosses the limit of an unlabelled payload, however
        // large a frame the client sent: it is kept, and the rest then streams unread.
        let buffer = PlaintextBuffer(limit: limit + ControlFraming.maximumFrameLength)
        // What is read whole counts against the daemon's budget for it, frame by frame
        // (each twice: the buffer, and the joined copy the check reads), not per
        // connection; past the budget the send is refused for now, never kept waiting.
        var shares: [ByteBudget.Share] = []
        var total = 0
        while true {
            guard var frame = try await io.reader.next() else {
                throw ControlFailure(code: "control.truncated", message: "the payload ended before the sender said it was complete; nothing was queued")
            }
            defer { frame.withUnsafeMutableBytes { Sodium.wipe($0) } }   // plaintext: do not leave it in freed memory
            if frame.isEmpty { break }
            if !declared && total == 0 && !STIXMarkings.mayBeBundle(prefix: frame) {
                _ = buffer.append(frame)
                return (SendPayload(buffered: buffer, continues: true), nil)
            }
            total += frame.count
            if total <= buffer.limit {
                guard let share = context.wholePayloads.take(2 * frame.count) else {
                    throw ControlFailure(code: "control.busy",
                                         message: "the daemon is reading as many payloads whole (for their STIX markings) as its memory for them allows; retry in a moment")
                }
                shares.append(share)
            }
            if !declared {
                guard buffer.append(frame) else { preconditionFailure("the read-ahead buffer has room for one more frame") }
                if total > limit { return (SendPayload(buffered: buffer, continues: true, holding: shares), nil) }
                continue
            }
            // Past the limit the rest of a STIX payload is read and dropped, so that the client hears why.
            if total <= buffer.limit { _ = buffer.append(frame) }
        }
        guard total <= limit else { throw STIXMarkings.tooLarge(total) }
        let check: STIXMarkingCheck
        do {
            check = try buffer.withBytes {
                try STIXMarkingCheck(payload: $0, contentType: request.contentType, markings: markings, strict: request.strictMarkings ?? false)
            }
        } catch let error as CoreError where error.code == .policyMarkingConflict {
            context.logger.notice("policy: send of \(markings.banner) refused: its STIX bundle is marked more strictly [\(error.code.rawValue)]")
            await context.auditAfterTheFact(context.event(.policyDenied, .denied, actor: actor, markings: markings.banner,
                                                          reason: "\(error.code.rawValue): \(error.message)",
                                                          details: ["direction": "send", "strict-markings": "true"]))
            throw error
        }
        if let from = check.raisedFrom {
            context.logger.notice("markings: TLP raised from \(from) to \(check.markings.tlp) by the STIX bundle's markings")
        }
        markings = check.markings
        // An unlabelled payload that is not a bundle is simply not STIX.
        return (SendPayload(buffered: buffer, holding: shares), declared || check.bundle != nil ? check : nil)
    }
}
