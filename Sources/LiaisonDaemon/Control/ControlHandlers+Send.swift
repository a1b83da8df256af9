import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

/// `send` and `send.files`: seal payloads from the control connection to the
/// allowed recipients and queue them. `send` carries one payload; `send.files`
/// several (`files`), each sealed into its own package, and all queued in one
/// store transaction that also records them — all of them, or none.
extension ControlHandlers {
    /// Most bytes of sealed packages one `send.files` holds in memory until all are
    /// queued; later small packages of the request go to files, as large ones do
    /// (and are then offered and streamed rather than pushed).
    static let sendFilesMemoryBudget = 2 << 20

    /// Payload bytes between two looks at the disk reserve while a send streams in.
    static let reserveCheckInterval = 16 << 20

    func send(_ request: ControlRequest, _ io: inout ControlConnection, actor: AuditActor, record: AuditEvent) async throws {
        let receipts: [SendReceipt]
        do {
            receipts = try await queueSend(request, &io, actor: actor, record: record)
        } catch {
            await recordFailed(record, error)
            throw error
        }
        if request.command == .send { try await io.send(directResult: receipts[0]) } else { try await io.send(directResult: receipts) }
    }

    /// One payload sealed into the outbox, not yet durable, recorded or queued.
    private struct SealedPayload {
        let sealed: SealedPackage
        let selection: RecipientSelection
        let payloadBytes: UInt64
        let markingsNote: String?
        let sealedEvent: AuditEvent
    }

    /// Seals every payload of the request, then queues the packages in one store
    /// commit that also records the command, the denials, the sealing and the
    /// queueing (journaled: `queue`).
    private func queueSend(_ request: ControlRequest, _ io: inout ControlConnection, actor: AuditActor, record: AuditEvent) async throws -> [SendReceipt] {
        try context.home.ensureNotRevoked("sends packages")
        try context.diskReserve.ensureRoom(to: "queue the package")
        let count = request.command == .send ? 1 : request.files ?? 0
        guard (1...ControlRequest.maximumFilesPerSend).contains(count) else {
            throw ControlFailure(code: "control.bad-request",
                                 message: "one send carries 1 to \(ControlRequest.maximumFilesPerSend) files, not \(count); send the rest in another")
        }
        let now = Timestamp.now()
        let markings = try context.configuration.markings(tlp: try required(request.tlp, "tlp"), classification: request.classification,
                                                          releasableTo: request.releasableTo ?? [], caveats: request.caveats ?? [])
        let expiry = try context.configuration.expiry(request.expires, now: now)
        var sealed: [SealedPayload] = []
        var denials: [AuditEvent] = []
        var deniedAlready = Set<String>()
        var heldInMemory = 0
        do {
            for index in 0..<count {
                let (payload, withheld): (SealedPayload, [AuditEvent])
                do {
                    // The files before this one are on the disk now: many small ones add up.
                    if index > 0 { try context.diskReserve.ensureRoom(to: "queue the package") }
                    let room = heldInMemory + OutboxSink.inlineLimit <= Self.sendFilesMemoryBudget ? OutboxSink.inlineLimit : 0
                    (payload, withheld) = try await sealPayload(request, &io, markings: markings, now: now, expiry: expiry, actor: actor,
                                                                memoryLimit: room)
                } catch where request.command == .sendFiles {
                    throw Self.naming(error, file: index + 1, of: count)
                }
                sealed.append(payload)
                if payload.sealed.sink.isInMemory { heldInMemory += payload.sealed.sink.byteCount }
                // The same peer withheld at the same markings is recorded once per request.
                for denial in withheld where deniedAlready.insert("\(denial.details["peer-name"] ?? "")\u{0}\(denial.markings ?? "")").inserted {
                    denials.append(denial)
                }
            }
        } catch {
            // Nothing is queued. The packages sealed so far are dropped with their
            // temporary files; the denials already decided are still recorded.
            await context.auditAfterTheFact(contentsOf: denials)
            throw error
        }
        let queued = try makeDurable(sealed.map(\.sealed))
        try await queue(queued, events: [record] + denials + sealed.map(\.sealedEvent))
        return zip(sealed, queued).map { payload, item in
            context.logger.info("queued package \(item.package.id) (\(payload.payloadBytes) bytes, \(item.package.markings)) for \(item.recipients.joined(separator: ", "))")
            return sendReceipt(item.package, recipients: item.recipients, selection: payload.selection, payloadBytes: payload.payloadBytes,
                               markingsNote: payload.markingsNote)
        }
    }

    /// `error` with its message prefixed by which payload of a `send.files` it is
    /// about ("file 3 of 16: …"; the CLI puts the file's name there).
    static func naming(_ error: any Error, file: Int, of count: Int) -> any Error {
        let prefix = "file \(file) of \(count): "
        switch error {
        case let error as CoreError: return CoreError(error.code, prefix + error.message)
        case let error as ControlFailure: return ControlFailure(code: error.code, message: prefix + error.message)
        default: return error
        }
    }

    /// Reads the next payload from the connection and seals it for the recipients
    /// its markings allow (a STIX bundle may raise them first). Returns the sealed
    /// package and the denials to record; a payload nobody may receive is refused,
    /// with its denials recorded. At most `memoryLimit` bytes of the sealed package
    /// are held in memory; past that it goes to a file.
    private func sealPayload(_ request: ControlRequest, _ io: inout ControlConnection, markings requested: Markings, now: Int64,
                             expiry: Int64?, actor: AuditActor, memoryLimit: Int) async throws -> (SealedPayload, denials: [AuditEvent]) {
        let configuration = context.configuration
        var markings = requested
        // A STIX bundle is read whole first: its TLP markings may raise the package's (ControlHandlers+Markings.swift).
        let (payload, stix) = try await readPayload(request, &io, markings: &markings, actor: actor)
        // Every denial is audited, even when nobody is allowed (then the send is refused below).
        let selection = try configuration.decideRecipients(request.to ?? [], keyring: context.peers.keyring, markings: markings)
        let recipients = selection.allowed
        for withheld in selection.withheld {
            context.logger.notice("policy: \(withheld.name) gets no key wrap for \(markings.banner): \(withheld.decision.rule.rawValue)")
        }
        let peers = recipients.map(\.name).filter { $0 != configuration.name }
        // The nodes chosen now, and sealed to: a name that changes holder meanwhile does not take the package along.
        let nodes = Self.nodes(of: peers, in: context.peers)
        // Each names the package once there is one, so that an auditor asking about the
        // package finds who was withheld from it.
        func denials(of package: PackageID?) -> [AuditEvent] {
            selection.withheld.map {
                context.event(.policyDenied, .denied, actor: actor, peer: context.peers.peer(named: $0.name), package: package,
                              markings: markings.banner, reason: "\($0.decision.rule.rawValue): \($0.decision.explanation)",
                              details: ["direction": "send", "peer-name": $0.name])
            }
        }
        // Asked for every named recipient or none: one withheld refuses the send, its denials recorded.
        if request.allOrNothing == true, !selection.withheld.isEmpty {
            await context.auditAfterTheFact(contentsOf: denials(of: nil))
            throw CoreError(.policyDenied, "nothing was queued (--all-or-nothing): "
                                + selection.withheld.map { "\($0.name) may not receive \(markings.banner): \($0.decision.explanation) [\($0.decision.rule.rawValue)]" }
                                    .joined(separator: "; "))
        }
        guard !peers.isEmpty else {
            await context.auditAfterTheFact(contentsOf: denials(of: nil))
            if selection.withheld.isEmpty, recipients.contains(where: { $0.name == configuration.name }) {
                throw CoreError(.invalidRecipients, "send delivers to peers, and \(configuration.name) is this node itself; name at least one peer, or use `liaison package seal --to \(configuration.name)` for a sealed file")
            }
            throw CoreError(selection.withheld.isEmpty ? .invalidRecipients : .policyDenied,
                            "send needs at least one peer allowed to receive \(markings.banner)"
                                + selection.withheld.map { "; \($0.name): \($0.decision.explanation) [\($0.decision.rule.rawValue)]" }.joined())
        }
        let sealer = try PackageSealer(sender: context.secrets.identity, recipients: recipients.map(\.key), markings: markings,
                                       contentType: request.contentType ?? "application/octet-stream", created: now, expires: expiry)
        var incremental = IncrementalSealer(sealer)
        let file = OutboxSink(path: context.outboxFile(incremental.packageID), memoryLimit: memoryLimit)
        var sink = file
        // A large payload is checked against the disk reserve as it arrives.
        var sinceReserveCheck = 0
        while true {
            // The end of the payload is an empty frame; a connection that closes
            // before it is an interrupted send, never a shorter package.
            guard var frame = try await payload.next(&io) else {
                throw ControlFailure(code: "control.truncated", message: "the payload ended before the sender said it was complete; nothing was queued")
            }
            defer { frame.withUnsafeMutableBytes { Sodium.wipe($0) } }   // plaintext: do not leave it in freed memory, even on an error
            if frame.isEmpty { break }
            sinceReserveCheck += frame.count
            if sinceReserveCheck >= Self.reserveCheckInterval {
                sinceReserveCheck = 0
                try context.diskReserve.ensureRoom(adding: UInt64(Self.reserveCheckInterval), to: "queue the package")
            }
            try await incremental.append(frame, into: &sink)
        }
        // Fail closed: sealed here, but queued only once the log records it (`queue`).
        let sealed = try await finishSealed(&incremental, into: file, created: now, expires: expiry, markings: markings, recipients: peers,
                                            nodes: nodes)
        let sealedEvent = context.event(.packageSealed, actor: actor, package: incremental.packageID, markings: markings.banner,
                                        details: ["recipients": peers.joined(separator: ","), "bytes": String(incremental.payloadByteCount),
                                                  "queued": "true"]
                                            .merging(stix?.auditDetails ?? [:]) { ours, _ in ours })
        return (SealedPayload(sealed: sealed, selection: selection, payloadBytes: incremental.payloadByteCount, markingsNote: stix?.note,
                              sealedEvent: sealedEvent), denials(of: incremental.packageID))
    }
}
