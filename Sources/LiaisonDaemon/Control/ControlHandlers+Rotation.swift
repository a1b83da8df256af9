import LiaisonAudit
import LiaisonControl
import LiaisonCore
import NIOPosix

/// `keys.rotate`: this node replaces its identity, encryption and transport keys
/// (the log key stays: the audit log keeps its key and name). The previous identity
/// signs the new card; partners take it over the transport without operator action
/// and accept both key sets until the overlap ends.
extension ControlHandlers {
    /// Overlap window when the operator names none.
    static let defaultOverlapDays = 14

    func rotateOwnKeys(_ request: ControlRequest, actor: AuditActor) async throws -> RotationReport {
        let days = request.overlapDays ?? Self.defaultOverlapDays
        let maximumDays = Int(RotationStatement.maximumOverlapSeconds / 86_400)
        guard (1...maximumDays).contains(days) else {
            throw CoreError(.invalidArgument, "the overlap must be 1–\(maximumDays) days; partners accept the previous keys that long")
        }
        guard context.keyChangeInProgress.withLockedValue({ busy in defer { busy = true }; return !busy }) else {
            throw CoreError(.keyChangeNotNow, "a change of this node's keys (keys revoke or keys rotate) is already in progress; wait for it to finish")
        }
        defer { context.keyChangeInProgress.withLockedValue { $0 = false } }
        let home = context.home
        let now = Timestamp.now()
        let keys = context.localKeys.withLockedValue { $0 }
        let prepared = try home.prepareRotation(keys.configuration, current: keys.secrets,
                                                previous: { try home.previousSecrets(sealing: context.sealingKey)?.secrets },
                                                now: now, overlapSeconds: Int64(days) * 86_400)
        let statement = prepared.statement
        let newKeys = prepared.secrets.publicKeys
        var details = [
            "by": "self", "previous": statement.previousFingerprint.description, "fingerprint": statement.fingerprint.description,
            "identity": KeyText.encode(newKeys.identity), "encryption": KeyText.encode(newKeys.encryption),
            "transport": KeyText.encode(newKeys.transport), "rotated-at": Timestamp.iso8601(statement.rotatedAt),
            "overlap-until": Timestamp.iso8601(statement.overlapUntil),
        ]
        // The rotation goes ahead without the proof of the log's name (it may be an
        // emergency), but not unsaid: partners added later cannot witness the log.
        if let problem = prepared.logOriginProblem {
            details["log-origin"] = "not on the new card: \(problem)"
            context.logger.warning("the new card cannot prove this node's log name, so partners who add it cannot witness its log: \(problem)")
        }
        // Fail closed: no rotation that the log does not record first.
        try await context.audit(context.event(.keyRotated, actor: actor, details: details))
        // Every unrevoked partner is to be told; the list is written before the keys
        // change, so a crash in between still leaves them to the retrier.
        // Under the list's lock until the keys are committed (see strikeOffRotationPendingOnceReached).
        let partners = context.peers.keyring.peers.filter { !$0.revoked }
        let committed: Result<NodeConfiguration, any Error> = context.rotationPendingLock.withLock {
            Result {
                try context.savePendingRotation(partners.map(\.fingerprint.description))
                return try home.commitRotation(prepared, configuration: keys.configuration, current: keys.secrets, sealing: context.sealingKey)
            }
        }
        let configuration: NodeConfiguration
        do {
            configuration = try committed.get()
        } catch {
            // Once the new statement is on disk the rotation has happened: liaisond
            // finishes it when it next starts, and the partners must still be told.
            let recorded = (try? home.rotation())?.card.keys == newKeys
            if !recorded { try? context.rotationPendingLock.withLock { try context.savePendingRotation([]) } }
            await context.auditAfterTheFact(context.event(.keyRotated, .failed, actor: actor,
                                                          reason: recorded ? "recorded but not completed: \(error)" : "\(error)"))
            guard recorded else { throw error }
            throw CoreError(.io, "the rotation is recorded but could not be completed (\(error)); restart liaisond to finish it, then partners are told")
        }
        context.adoptRotation(configuration: configuration, secrets: prepared.secrets, previous: keys.secrets, overlapUntil: statement.overlapUntil)
        context.logger.notice("rotated this node's keys: \(statement.previousFingerprint.short) → \(statement.fingerprint.short); overlap until \(Timestamp.iso8601(statement.overlapUntil))")
        let outcome = await RotationAnnouncer(context: context, group: MultiThreadedEventLoopGroup.singleton)
            .announce(statement, previous: keys.secrets, to: partners)
        context.logger.notice("key rotation acknowledged by \(outcome.told.count) peer(s); \(outcome.unreached.count) not reached yet")
        return RotationReport(previous: statement.previousFingerprint.description, node: statement.fingerprint.description,
                              rotatedAt: Timestamp.iso8601(statement.rotatedAt), overlapUntil: Timestamp.iso8601(statement.overlapUntil),
                              statementPath: home.rotationPath, cardPath: home.rotationCardPath, told: outcome.told, unreached: outcome.unreached)
    }
}
