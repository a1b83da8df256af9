import LiaisonCore

/// How the daemon (and the CLI, when the daemon is not running) turn a keyring
/// entry and what the store knows of it into the reports `status`, `peers show`
/// and their `--json` print: one mapping, whoever reads the store.
extension PeerStatus {
    /// `peer` with what the store knows of it: when a handshake with it last
    /// completed (Unix seconds), the last problem, bytes each way, and its
    /// deliveries (`queued` counts those being sent too). `now` decides whether its
    /// previous keys (after a rotation) are still accepted.
    public init(_ peer: PeerRecord, lastHandshakeAt: Int64?, lastError: String?, bytesSent: Int64, bytesReceived: Int64,
                queued: Int, delivered: Int, failed: Int, now: Int64) {
        let previous = peer.previousKeys(at: now)
        self.init(name: peer.name, fingerprint: peer.fingerprint.description, trust: peer.trust.rawValue,
                  addresses: peer.addresses, revoked: peer.revoked,
                  lastHandshake: lastHandshakeAt.map(Timestamp.iso8601), lastError: lastError,
                  queued: queued, delivered: delivered, failed: failed, bytesSent: bytesSent, bytesReceived: bytesReceived,
                  previousFingerprint: previous?.fingerprint.description,
                  previousKeysUntil: previous == nil ? nil : peer.previousUntil.map(Timestamp.iso8601),
                  cardValidUntil: peer.validUntil == Int64.max ? nil : Timestamp.iso8601(peer.validUntil))
        auditLogName = peer.auditLogFingerprint == peer.fingerprint ? nil : peer.auditLogFingerprint.description
    }
}

extension PeerDetail {
    /// `peer` (shown as `status`) with its attributes and the access policy's
    /// decision, each way, for every TLP level at its clearance on `ladder` (the
    /// node's classification ladder).
    public init(_ peer: PeerRecord, status: PeerStatus, ladder: [String]) {
        let clearance = peer.policyClearance(ladder: ladder)
        // The rungs up to its clearance, most sensitive first: a level denied at the
        // clearance may still be allowed lower down (a limited peer gets CLEAR and GREEN
        // unclassified only), which is what the row says.
        let rungs = Array(ladder.prefix { $0 != clearance.clearance } + [clearance.clearance]).reversed()
        let rows = TrafficLightProtocol.allCases.map { tlp -> PolicyRow in
            func decide(_ direction: PolicyDirection) -> (decision: PolicyDecision?, upTo: String?) {
                var lowest: PolicyDecision?
                for rung in rungs {
                    guard let markings = try? Markings(tlp: tlp, classification: rung) else { continue }
                    let decision = AccessPolicy.decide(markings, peer: clearance, direction: direction, context: PolicyContext(ladder: ladder))
                    if decision.allowed { return (decision, rung) }
                    lowest = decision
                }
                return (lowest, nil)
            }
            let send = decide(.send), receive = decide(.receive)
            return PolicyRow(tlp: tlp.label, send: send.upTo == nil ? "denied" : "allowed", sendRule: send.decision?.rule.rawValue ?? "invalid",
                             sendUpTo: send.upTo, receive: receive.upTo == nil ? "denied" : "allowed",
                             receiveRule: receive.decision?.rule.rawValue ?? "invalid", receiveUpTo: receive.upTo)
        }
        self.init(status: status, maximumTLP: clearance.maximumTLP.label, clearance: clearance.clearance,
                  communities: clearance.communities.sorted(), maximumPackageBytes: peer.inboundLimits.maximumPackageBytes,
                  packagesPerMinute: peer.inboundLimits.packagesPerMinute, bytesPerDay: peer.inboundLimits.bytesPerDay, policy: rows)
        maximumTLPChosen = peer.maximumTLPChosen
    }
}
