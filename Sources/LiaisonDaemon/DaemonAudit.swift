import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonWire

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

    /// ``audit(_:)`` for an array.
    func audit(contentsOf events: [AuditEvent]) async throws {
        do {
            try await auditLog.append(events)
        } catch let error as StoreError {
            logger.critical("audit log cannot be written (\(error.code.rawValue)): refusing the action")
            DaemonMetrics.auditFailure()
            throw CoreError(.auditUnavailable, "the audit log cannot be written (\(error.message)); nothing was done. Fix the audit volume and retry")
        }
    }

    /// Appends `events` that record a refusal or failure; if the log is down the
    /// daemon's own log says so, and the refusal stands.
    func auditAfterTheFact(_ events: AuditEvent...) async {
        await auditAfterTheFact(contentsOf: events)
    }

    /// Records deliveries the store just marked expired (they were not sent).
    func recordExpired(_ deliveries: [Delivery]) async {
        guard !deliveries.isEmpty else { return }
        await auditAfterTheFact(contentsOf: deliveries.map {
            event(.packageExpired, .failed, peer: peers.peer(named: $0.peer), package: $0.packageID,
                  reason: "package.expired: it expired before it could be delivered", details: ["peer-name": $0.peer])
        })
    }

    /// ``auditAfterTheFact(_:)`` for an array.
    func auditAfterTheFact(contentsOf events: [AuditEvent]) async {
        do { try await auditLog.append(events) } catch {
            logger.critical("audit log cannot be written: \(events.count) events not recorded: \(error)")
            DaemonMetrics.auditFailure()
        }
    }

    /// The actor for a peer.
    static func actor(_ peer: PeerRecord) -> AuditActor { .peer(peer.fingerprint.description) }
}
