import LiaisonCore
import LiaisonStore
import Logging

/// The access decision a queued package is given again as it leaves: before each
/// push batch, before each offer, and while a large package streams. What was
/// allowed when the package was queued may not be now: the peer's trust,
/// clearance or organisation changed, it was revoked, removed or replaced, or this
/// node revoked its own key.
extension PackageSender {
    /// How many data frames (64 KiB each) a stream sends between two decisions.
    static let framesBetweenDecisions = 16

    /// Why `markings` may no longer go to `peer` (rule code and explanation), or nil.
    ///
    /// A package whose markings carry an origin caveat (`FWD/…`) was sealed by
    /// `liaison forward`, which `send` never does: it is decided by the forwarding
    /// rules, so TLP:AMBER still goes only to a peer of this node's organisation.
    func currentRefusal(_ markings: Markings, for peer: PeerRecord) -> String? {
        if context.home.isRevoked { return "node.revoked: this node revoked its own identity key" }
        guard let current = context.peers.peer(named: peer.name), current.hasIdentity(peer.keys.identity, at: Timestamp.now()) else {
            return "peer.unusable: \(peer.name) was removed or replaced"
        }
        let decision = context.leavingDecision(markings, to: current)
        return decision.allowed ? nil : "\(decision.rule.rawValue): \(decision.explanation)"
    }

    /// Whether `package` (marked `markings`) may still go to `peer`; if not, its
    /// delivery is failed with the reason and the refusal audited, and the other
    /// packages go on.
    func stillAllowed(_ package: OutboxPackage, markings: Markings, to peer: PeerRecord, logger: Logger) async throws -> Bool {
        guard let refusal = currentRefusal(markings, for: peer) else { return true }
        try await refuse(package, markings: markings, because: refusal, to: peer, logger: logger)
        return false
    }

    /// Fails `package`'s delivery to `peer` for `refusal`, its `policy.denied` entry
    /// journaled in the same commit (a crash cannot leave one without the other); a
    /// delivery that closed meanwhile is left as it is and records nothing.
    func refuse(_ package: OutboxPackage, markings: Markings, because refusal: String, to peer: PeerRecord, logger: Logger) async throws {
        let denied = context.event(.policyDenied, .denied, peer: peer, package: package.id, markings: package.markings,
                                   reason: refusal, details: ["direction": markings.leavingDirection.rawValue, "peer-name": peer.name])
        if try await context.store.failIfOpen(packageID: package.id, peer: peer.name, error: refusal, auditing: [denied]) {
            logger.notice("\(package.id) is no longer sent to \(peer.name): \(refusal)")
        } else {
            logger.notice("\(package.id) was not sent to \(peer.name) (\(refusal)); its delivery had already closed")
        }
    }
}

/// A stream cut short because its package may no longer go to the peer; the
/// delivery has been failed and audited, and the session ends (the peer keeps
/// what it spooled, and verifies nothing it did not receive whole).
struct StreamRefused: Error, CustomStringConvertible {
    let package: PackageID
    let refusal: String

    var description: String { "the transfer of \(package) was stopped: \(refusal)" }
}
