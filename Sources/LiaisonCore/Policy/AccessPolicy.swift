/// What a peer is cleared for: the attributes the policy compares with a
/// package's markings.
public struct PeerClearance: Sendable, Hashable {
    /// How far the peer is trusted.
    public var trust: TrustLevel
    /// Whether its identity key is revoked.
    public var revoked: Bool
    /// The most sensitive TLP level it may receive.
    public var maximumTLP: TrafficLightProtocol
    /// The highest classification it is cleared for (a rung of the node's ladder).
    public var clearance: String
    /// The releasability communities it belongs to (upper case).
    public var communities: Set<String>

    /// A clearance.
    public init(trust: TrustLevel, revoked: Bool = false, maximumTLP: TrafficLightProtocol, clearance: String, communities: Set<String> = []) {
        self.trust = trust
        self.revoked = revoked
        self.maximumTLP = maximumTLP
        self.clearance = clearance
        self.communities = communities
    }
}

extension TrustLevel {
    /// The most sensitive TLP level the policy ever lets reach a peer of this trust,
    /// whatever its own maximum: GREEN for `limited`, AMBER+STRICT for `partner`
    /// (TLP:RED needs `trusted`), nil for `blocked`. Kept beside the rules that make it.
    public var tlpCeiling: TrafficLightProtocol? {
        switch self {
        case .blocked: nil
        case .limited: .green
        case .partner: .amberStrict
        case .trusted: .red
        }
    }
}

extension PeerClearance {
    /// The most sensitive TLP level that can reach this peer: its maximum, capped by
    /// its trust's ceiling; nil if nothing can (blocked or revoked).
    public var effectiveMaximumTLP: TrafficLightProtocol? {
        guard !revoked, let ceiling = trust.tlpCeiling else { return nil }
        return min(maximumTLP, ceiling)
    }
}

/// Which way a package moves relative to this node.
public enum PolicyDirection: String, Sendable, CaseIterable {
    /// We seal it to the peer.
    case send
    /// The peer delivers it to us.
    case receive
    /// We re-share a package we received (as a new package that names its origin).
    case forward
}

/// What else a decision depends on.
public struct PolicyContext: Sendable {
    /// The classification ladder, lowest first.
    public var ladder: [String]
    /// For `forward`: whether the peer belongs to the same organisation as the one
    /// the package was originally shared with (TLP:AMBER stays inside it).
    public var sameOrganisation: Bool
    /// For `forward`: whether the peer is where the package came from (it sent it, or
    /// a `FWD/` caveat names it as an earlier origin): it already has it.
    public var peerIsOrigin: Bool

    /// A context.
    public init(ladder: [String], sameOrganisation: Bool = false, peerIsOrigin: Bool = false) {
        self.ladder = ladder
        self.sameOrganisation = sameOrganisation
        self.peerIsOrigin = peerIsOrigin
    }
}

/// The rule that decided. Raw values are stable: they appear in audit records and
/// in `policy explain`.
public enum PolicyRule: String, Sendable, CaseIterable {
    case revokedPeer = "peer-revoked"
    case blockedPeer = "peer-blocked"
    case forwardToOrigin = "forward-to-origin"
    case redNeverForwarded = "tlp-red-never-forwarded"
    case amberStrictNeverForwarded = "tlp-amber-strict-never-forwarded"
    case amberOnlyWithinOrganisation = "tlp-amber-forward-within-organisation-only"
    case limitedTrustOnlyClearGreen = "limited-trust-clear-green-unclassified-only"
    case redRequiresTrusted = "tlp-red-requires-trusted"
    case tlpAboveMaximum = "tlp-above-peer-maximum"
    case unknownClassification = "classification-not-on-ladder"
    case classificationAboveClearance = "classification-above-clearance"
    case notReleasable = "not-releasable-to-peer"
    case allowed = "allowed"
}

/// A decision with the rule that made it and a sentence for people.
public struct PolicyDecision: Sendable, Equatable {
    /// Whether the package may go (or come) to (or from) the peer.
    public let allowed: Bool
    /// The deciding rule.
    public let rule: PolicyRule
    /// Why, for `policy explain` and audit records.
    public let explanation: String
}

/// The one place that decides who may receive what. Pure: the same inputs always
/// give the same decision; deny by default (a package is allowed only when no rule
/// refuses it). Rules are checked in a fixed order and the first refusal decides.
public enum AccessPolicy {
    /// Decides whether `markings` may move in `direction` between this node and `peer`.
    public static func decide(_ markings: Markings, peer: PeerClearance, direction: PolicyDirection, context: PolicyContext) -> PolicyDecision {
        func deny(_ rule: PolicyRule, _ why: String) -> PolicyDecision { PolicyDecision(allowed: false, rule: rule, explanation: why) }
        if peer.revoked { return deny(.revokedPeer, "the peer's key is revoked") }
        if peer.trust == .blocked { return deny(.blockedPeer, "the peer is blocked") }
        if direction == .forward {
            if context.peerIsOrigin {
                return deny(.forwardToOrigin, "the peer is where this package came from (it sent it, or a FWD/ caveat names it) and already has it; a package is never forwarded back to its origin")
            }
            switch markings.tlp {
            case .red: return deny(.redNeverForwarded, "TLP:RED is for the named recipients only and is never shared onward")
            case .amberStrict: return deny(.amberStrictNeverForwarded, "TLP:AMBER+STRICT stays within the recipient's organisation and is never shared onward")
            case .amber where !context.sameOrganisation:
                return deny(.amberOnlyWithinOrganisation, "TLP:AMBER may be shared onward only within the recipient's own organisation")
            default: break
            }
        }
        guard let rank = context.ladder.firstIndex(of: markings.classification) else {
            return deny(.unknownClassification, "\(markings.classification) is not on this node's classification ladder")
        }
        if peer.trust == .limited && (markings.tlp > .green || rank > 0) {
            return deny(.limitedTrustOnlyClearGreen, "a limited peer may only exchange TLP:CLEAR or TLP:GREEN \(context.ladder.first ?? "") material")
        }
        if markings.tlp == .red && peer.trust < .trusted {
            return deny(.redRequiresTrusted, "TLP:RED goes only to trusted peers; this peer is \(peer.trust)")
        }
        if markings.tlp > peer.maximumTLP {
            return deny(.tlpAboveMaximum, "\(markings.tlp) is above the peer's maximum, \(peer.maximumTLP)")
        }
        guard let cleared = context.ladder.firstIndex(of: peer.clearance), rank <= cleared else {
            return deny(.classificationAboveClearance, "\(markings.classification) is above the peer's clearance, \(peer.clearance)")
        }
        // Releasability limits who may be sent the package; on receipt the sender has
        // already made that choice for us, so it is checked on send and forward only.
        if direction != .receive && !markings.releasableTo.isEmpty && peer.communities.isDisjoint(with: markings.releasableTo) {
            return deny(.notReleasable, "releasable only to \(markings.releasableTo.joined(separator: ", ")); the peer belongs to \(peer.communities.isEmpty ? "no community" : peer.communities.sorted().joined(separator: ", "))")
        }
        return PolicyDecision(allowed: true, rule: .allowed, explanation: "every rule allows \(markings.banner) \(direction == .receive ? "from" : "to") this peer")
    }
}
