import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonWire
import NIOConcurrencyHelpers

/// How the daemon writes its audit log: events built from what the daemon
/// knows (peers, packages, callers), appended through the group commit.
///
/// ``audit(_:)`` fails closed: it throws ``CoreError/Code/auditUnavailable`` when
/// the log cannot be written, and callers then do not carry out the action.
/// ``auditAfterTheFact(_:)`` records refusals and failures, which are safe to
/// carry out even when the log is down (the log then says so in the daemon's log).
extension DaemonContext {
    /// An event stamped now.
    func event(_ kind: AuditEventKind, _ outcome: AuditOutcome = .ok, actor: AuditActor = .daemon, peer: PeerRecord? = nil,
               package: PackageID? = nil, markings: String? = nil, reason: String? = nil, remote: String? = nil,
               details: [String: String] = [:]) -> AuditEvent {
        AuditEvent(time: Timestamp.nowMilliseconds(), kind: kind, outcome: outcome, actor: actor, peer: peer?.fingerprint.description,
                   peerName: peer?.name, package: package?.description, markings: markings, reason: reason, remote: remote,
                   details: details)
    }

    /// Appends `events` durably, or throws ``CoreError/Code/auditUnavailable``: the
    /// caller must then not do what they record.
    func audit(_ events: AuditEvent...) async throws {
        try await audit(contentsOf: events)
    }

    /// ``audit(_:)`` for an array. Events waiting in the store's audit journal go
    /// into the log first, so that the log keeps the order things happened in.
    func audit(contentsOf events: [AuditEvent]) async throws {
        if store.auditJournalIsWaiting { try await carryOverAuditJournal() }
        do {
            try await auditLog.append(events)
        } catch let error as StoreError {
            throw auditUnavailable(error)
        }
    }

    /// Carries the audit events a crash or a failed transfer left in the store's
    /// journal into the log (``NodeStore/carryOverAuditJournal()``), or throws
    /// ``CoreError/Code/auditUnavailable``.
    func carryOverAuditJournal() async throws {
        do {
            let carried = try await store.carryOverAuditJournal()
            if carried > 0 { logger.notice("carried \(carried) audit events over from the store's journal into the audit log") }
        } catch let error as StoreError {
            throw auditUnavailable(error)
        }
    }

    /// The error for an action refused because the log cannot record it (logged
    /// and counted here): ``CoreError/Code/auditUnavailable``.
    func auditUnavailable(_ error: StoreError) -> CoreError {
        logger.critical("audit log cannot be written (\(error.code.rawValue)): refusing the action")
        DaemonMetrics.auditFailure()
        return CoreError(.auditUnavailable, "the audit log cannot be written (\(error.message)); nothing was done. Fix the audit volume and retry")
    }

    /// What a journaled store write's failure means to the caller: refused because
    /// its events cannot reach the log (``StoreError/Code/auditUnavailable``) comes
    /// out as ``auditUnavailable(_:)``; any other error as it is.
    func journaledWriteError(_ error: any Error) -> any Error {
        guard let error = error as? StoreError, error.code == .auditUnavailable else { return error }
        return auditUnavailable(error)
    }

    /// Appends `events` that record a refusal or failure; if the log is down the
    /// daemon's own log says so, and the refusal stands.
    func auditAfterTheFact(_ events: AuditEvent...) async {
        await auditAfterTheFact(contentsOf: events)
    }

    /// Moves the queued deliveries whose packages have expired at `now` to `expired`
    /// (they were not sent), each with its `package.expired` entry journaled in the
    /// same commit, so a crash cannot keep the one without the other. Returns how
    /// many. If the entries cannot reach the log, nothing is expired and the next
    /// sweep tries again; an expired package is not due meanwhile, so it is never sent.
    @discardableResult
    func expireDue(now: Int64) async -> Int {
        var expired = 0
        // Bounded: a backlog larger than this many batches goes on at the next sweep.
        for _ in 0..<16 where (try? store.hasExpiredDue(now: now)) ?? true {
            let batch: [Delivery]
            do {
                batch = try await store.expireDue(now: now, limit: AuditLog.maximumBatch) { [self] deliveries in
                    deliveries.map {
                        event(.packageExpired, .failed, peer: peers.peer(named: $0.peer), package: $0.packageID,
                              reason: "package.expired: it expired before a receipt for it was recorded", details: ["peer-name": $0.peer])
                    }
                }
            } catch {
                // At most once a minute: the sweep runs every second.
                if expiryWarnings.withLockedValue({ $0.take(now: SecureSession.now()) }) {
                    logger.error("expired packages stay queued, unsent, until their audit entries can be recorded: \(journaledWriteError(error))")
                }
                break
            }
            expired += batch.count
            guard batch.count == AuditLog.maximumBatch else { break }
        }
        if expired > 0 { logger.notice("\(expired) queued deliveries expired without being sent") }
        return expired
    }

    /// Records a refusal that someone on the network caused (a rejected handshake or
    /// offer). Within a budget (20/s, bursts of 200) each is an entry; beyond it they
    /// are counted, and the next recorded one says how many were left out — so a flood
    /// of garbage cannot fill the audit volume and, failing closed, stop the node.
    func auditNetworkRefusal(_ refusal: AuditEvent) async {
        await auditRefusal(refusal, within: refusalBudget)
    }

    /// Records a refusal that anyone on the network can cause without a peer's keys
    /// (a handshake that is garbage, from an unknown, revoked or blocked key, or a
    /// replayed message 1), within a budget of its own: one every 10 s, bursts of 60,
    /// so a flood from one host or many adds at most about 8,700 entries a day (a few
    /// MiB), where the budget for refusals of authenticated peers would allow 20 a second.
    func auditAnonymousRefusal(_ refusal: AuditEvent) async {
        await auditRefusal(refusal, within: anonymousRefusalBudget)
    }

    /// Records a control command refused to its caller, within a budget of its own
    /// (as ``auditNetworkRefusal(_:)``): whoever may open the socket but has no role
    /// for what they ask cannot fill the audit volume either, and a flood from the
    /// network cannot crowd these out.
    func auditControlRefusal(_ refusal: AuditEvent) async {
        await auditRefusal(refusal, within: controlRefusalBudget)
    }

    private func auditRefusal(_ refusal: AuditEvent, within budget: NIOLockedValueBox<RefusalBudget>) async {
        var refusal = refusal
        guard let suppressed = budget.withLockedValue({ $0.admit(now: SecureSession.now()) }) else {
            DaemonMetrics.auditSuppressed()
            return
        }
        if suppressed > 0 { refusal.details["suppressed-before"] = String(suppressed) }
        await auditAfterTheFact(refusal)
    }

    /// ``auditAfterTheFact(_:)`` for an array.
    func auditAfterTheFact(contentsOf events: [AuditEvent]) async {
        do {
            // The store's error, not `carryOverAuditJournal()`'s: that one counts and
            // logs a refused action, and this is one failure of a record, logged below.
            if store.auditJournalIsWaiting { try await store.carryOverAuditJournal() }
            try await auditLog.append(events)
        } catch {
            logger.critical("audit log cannot be written, so these events are not recorded: \(events.map(\.kind.rawValue).joined(separator: ", ")): \(error)")
            DaemonMetrics.auditFailure()
        }
    }

    /// Signs a checkpoint of the audit log now (if it grew) — unless a witness has
    /// reported that the log was rolled back or forked: then nothing is signed.
    func signCheckpoint() throws -> StoredCheckpoint {
        if let alarm = witnessAlarm.withLockedValue({ $0 }) {
            throw StoreError(.conflict, "refusing to sign a checkpoint: \(alarm)")
        }
        return try auditLog.signCheckpoint(with: logSigner, now: Timestamp.now())
    }

    /// Stops this node signing checkpoints until it restarts: a witness's evidence
    /// that this log was rolled back, forked or closed, or a log this node's key
    /// did not begin (``DaemonContext``'s start).
    func raiseWitnessAlarm(_ message: String) {
        witnessAlarm.withLockedValue { $0 = $0 ?? message }
        logger.critical("\(message)")
    }

    /// The actor for a peer.
    static func actor(_ peer: PeerRecord) -> AuditActor { .peer(peer.fingerprint.description) }
}
