import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto

/// Where `send` takes its payload from: the frames still to come on the control
/// connection, or a STIX bundle already read whole so that its markings could be
/// checked before anything was sealed. Buffered plaintext is wiped when released.
final class SendPayload {
    private let buffered: PlaintextBuffer?
    private var offset = 0

    /// Streams from the connection (nil) or serves `buffered`.
    init(buffered: PlaintextBuffer?) { self.buffered = buffered }

    /// The next piece of the payload, empty at its end, or nil when the connection
    /// closed before the end. Each piece is a copy the caller wipes.
    func next(_ io: inout ControlConnection) async throws -> [UInt8]? {
        guard let buffered else { return try await io.reader.next() }
        let piece = buffered.copy(from: offset, length: ControlFraming.dataFrameLength)
        offset += piece.count
        return piece
    }
}

/// STIX markings at send (docs/access-control.md, "STIX markings"): a bundle's
/// TLP markings must not contradict the package's; the stricter one wins, or,
/// with `strictMarkings`, the send is refused with the reason.
extension ControlHandlers {
    /// For a STIX content type, reads the whole payload (at most
    /// ``STIXMarkings/maximumPayloadBytes``) and checks the bundle's TLP against
    /// `markings`, which are raised to the bundle's when it is stricter. A conflict
    /// under `strictMarkings` is audited as `policy.denied` and thrown, so nothing is
    /// sealed or queued. Any other payload is left to stream, unchecked.
    func readPayload(_ request: ControlRequest, _ io: inout ControlConnection, markings: inout Markings,
                     actor: AuditActor) async throws -> (payload: SendPayload, check: STIXMarkingCheck?) {
        guard STIXMarkings.isSTIX(contentType: request.contentType) else { return (SendPayload(buffered: nil), nil) }
        let buffer = PlaintextBuffer(limit: STIXMarkings.maximumPayloadBytes)
        var total = 0
        while true {
            guard var frame = try await io.reader.next() else {
                throw ControlFailure(code: "control.truncated", message: "the payload ended before the sender said it was complete; nothing was queued")
            }
            if frame.isEmpty { break }
            total += frame.count
            // Past the limit the rest is read and dropped, so that the client hears why.
            if total <= buffer.limit { _ = buffer.append(frame) }
            frame.withUnsafeMutableBytes { Sodium.wipe($0) }   // plaintext: do not leave it in freed memory
        }
        guard total <= buffer.limit else { throw STIXMarkings.tooLarge(total) }
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
        return (SendPayload(buffered: buffer), check)
    }
}
