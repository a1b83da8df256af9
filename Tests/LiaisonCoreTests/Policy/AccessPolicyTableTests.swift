import LiaisonCore
import Testing

/// The access policy as a table: every row is markings × peer × direction → the
/// expected rule. Deny by default; the first refusing rule decides.
@Suite("Access policy table")
struct AccessPolicyTableTests {
    struct Row: CustomTestStringConvertible, Sendable {
        let tlp: TrafficLightProtocol
        let classification: String
        let releasableTo: [String]
        let peer: PeerClearance
        let direction: PolicyDirection
        let sameOrganisation: Bool
        var peerIsOrigin = false
        let expected: PolicyRule
        var testDescription: String {
            "\(tlp) \(classification) rel\(releasableTo) → \(peer.trust)\(peer.revoked ? "/revoked" : "") max \(peer.maximumTLP) clr \(peer.clearance) \(peer.communities.sorted()) \(direction)\(sameOrganisation ? " same-org" : "") ⇒ \(expected.rawValue)"
        }
    }

    static let ladder = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"]
    static let trusted = PeerClearance(trust: .trusted, maximumTLP: .red, clearance: "SECRET", communities: ["NATO", "EU"])
    static let partner = PeerClearance(trust: .partner, maximumTLP: .amberStrict, clearance: "CONFIDENTIAL", communities: ["NATO"])
    static let partnerAmber = PeerClearance(trust: .partner, maximumTLP: .amber, clearance: "RESTRICTED", communities: ["EU"])
    static let limited = PeerClearance(trust: .limited, maximumTLP: .green, clearance: "UNCLASSIFIED")
    static let limitedGenerous = PeerClearance(trust: .limited, maximumTLP: .red, clearance: "SECRET", communities: ["NATO"])
    static let blocked = PeerClearance(trust: .blocked, maximumTLP: .red, clearance: "SECRET", communities: ["NATO"])
    static let revoked = PeerClearance(trust: .trusted, revoked: true, maximumTLP: .red, clearance: "SECRET", communities: ["NATO"])

    static let rows: [Row] = [
        // Revoked and blocked peers get nothing, whatever the markings or direction.
        Row(tlp: .clear, classification: "UNCLASSIFIED", releasableTo: [], peer: revoked, direction: .send, sameOrganisation: false, expected: .revokedPeer), Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: [], peer: revoked, direction: .receive, sameOrganisation: false, expected: .revokedPeer), Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: revoked, direction: .forward, sameOrganisation: false, expected: .revokedPeer),
        Row(tlp: .clear, classification: "UNCLASSIFIED", releasableTo: [], peer: blocked, direction: .send, sameOrganisation: false, expected: .blockedPeer), Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: blocked, direction: .receive, sameOrganisation: false, expected: .blockedPeer), Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: [], peer: blocked, direction: .forward, sameOrganisation: false, expected: .blockedPeer),
        // TLP onward-sharing rules.
        Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: trusted, direction: .forward, sameOrganisation: false, expected: .redNeverForwarded), Row(tlp: .red, classification: "SECRET", releasableTo: [], peer: trusted, direction: .forward, sameOrganisation: true, expected: .redNeverForwarded),
        Row(tlp: .amberStrict, classification: "UNCLASSIFIED", releasableTo: [], peer: trusted, direction: .forward, sameOrganisation: false, expected: .amberStrictNeverForwarded), Row(tlp: .amberStrict, classification: "UNCLASSIFIED", releasableTo: [], peer: trusted, direction: .forward, sameOrganisation: true, expected: .amberStrictNeverForwarded),
        Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: trusted, direction: .forward, sameOrganisation: false, expected: .amberOnlyWithinOrganisation), Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .forward, sameOrganisation: false, expected: .amberOnlyWithinOrganisation),
        Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: trusted, direction: .forward, sameOrganisation: true, expected: .allowed), Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .forward, sameOrganisation: true, expected: .allowed),
        Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .forward, sameOrganisation: false, expected: .allowed), Row(tlp: .clear, classification: "UNCLASSIFIED", releasableTo: [], peer: limited, direction: .forward, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: [], peer: limited, direction: .forward, sameOrganisation: false, expected: .allowed),
        // Limited peers: CLEAR/GREEN, lowest classification only, whatever their attributes say.
        Row(tlp: .clear, classification: "UNCLASSIFIED", releasableTo: [], peer: limited, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: [], peer: limited, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: [], peer: limited, direction: .receive, sameOrganisation: false, expected: .allowed),
        Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: limited, direction: .send, sameOrganisation: false, expected: .limitedTrustOnlyClearGreen), Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: limited, direction: .receive, sameOrganisation: false, expected: .limitedTrustOnlyClearGreen),
        Row(tlp: .amberStrict, classification: "UNCLASSIFIED", releasableTo: [], peer: limitedGenerous, direction: .send, sameOrganisation: false, expected: .limitedTrustOnlyClearGreen), Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: limitedGenerous, direction: .send, sameOrganisation: false, expected: .limitedTrustOnlyClearGreen),
        Row(tlp: .green, classification: "RESTRICTED", releasableTo: [], peer: limitedGenerous, direction: .send, sameOrganisation: false, expected: .limitedTrustOnlyClearGreen), Row(tlp: .clear, classification: "SECRET", releasableTo: [], peer: limitedGenerous, direction: .send, sameOrganisation: false, expected: .limitedTrustOnlyClearGreen),
        Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: limitedGenerous, direction: .send, sameOrganisation: false, expected: .limitedTrustOnlyClearGreen),
        // TLP:RED only to trusted peers.
        Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: trusted, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .red, classification: "SECRET", releasableTo: ["NATO"], peer: trusted, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: trusted, direction: .receive, sameOrganisation: false, expected: .allowed),
        Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .redRequiresTrusted), Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .receive, sameOrganisation: false, expected: .redRequiresTrusted), Row(tlp: .red, classification: "UNCLASSIFIED", releasableTo: [], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .redRequiresTrusted),
        // The peer's maximum TLP.
        Row(tlp: .amberStrict, classification: "UNCLASSIFIED", releasableTo: [], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .tlpAboveMaximum), Row(tlp: .amberStrict, classification: "UNCLASSIFIED", releasableTo: [], peer: partnerAmber, direction: .receive, sameOrganisation: false, expected: .tlpAboveMaximum),
        Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .amberStrict, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed),
        Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .clear, classification: "UNCLASSIFIED", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed),
        // The classification ladder and the peer's clearance.
        Row(tlp: .green, classification: "COSMIC", releasableTo: [], peer: trusted, direction: .send, sameOrganisation: false, expected: .unknownClassification), Row(tlp: .green, classification: "TOP SECRET", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .unknownClassification),
        Row(tlp: .green, classification: "SECRET", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .classificationAboveClearance), Row(tlp: .green, classification: "CONFIDENTIAL", releasableTo: [], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .classificationAboveClearance),
        Row(tlp: .amber, classification: "SECRET", releasableTo: [], peer: partner, direction: .receive, sameOrganisation: false, expected: .classificationAboveClearance),
        Row(tlp: .green, classification: "CONFIDENTIAL", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "RESTRICTED", releasableTo: [], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "RESTRICTED", releasableTo: [], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .allowed),
        Row(tlp: .amber, classification: "SECRET", releasableTo: [], peer: trusted, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "SECRET", releasableTo: [], peer: trusted, direction: .receive, sameOrganisation: false, expected: .allowed),
        // Releasability communities.
        Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["NATO"], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["EU"], peer: partner, direction: .send, sameOrganisation: false, expected: .notReleasable),
        Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["EU", "NATO"], peer: partner, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["FVEY"], peer: trusted, direction: .send, sameOrganisation: false, expected: .notReleasable),
        Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["EU"], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .allowed), Row(tlp: .amber, classification: "UNCLASSIFIED", releasableTo: ["NATO"], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .notReleasable),
        Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["NATO"], peer: limited, direction: .send, sameOrganisation: false, expected: .notReleasable), Row(tlp: .clear, classification: "UNCLASSIFIED", releasableTo: ["NATO"], peer: limitedGenerous, direction: .send, sameOrganisation: false, expected: .allowed),
        Row(tlp: .amber, classification: "RESTRICTED", releasableTo: ["NATO"], peer: partner, direction: .receive, sameOrganisation: false, expected: .allowed), Row(tlp: .amber, classification: "RESTRICTED", releasableTo: ["EU"], peer: partner, direction: .receive, sameOrganisation: false, expected: .allowed),
        // Order: the first refusing rule decides.
        Row(tlp: .red, classification: "SECRET", releasableTo: ["FVEY"], peer: partner, direction: .send, sameOrganisation: false, expected: .redRequiresTrusted),
        Row(tlp: .amberStrict, classification: "SECRET", releasableTo: ["FVEY"], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .tlpAboveMaximum),
        Row(tlp: .amber, classification: "SECRET", releasableTo: ["FVEY"], peer: partnerAmber, direction: .send, sameOrganisation: false, expected: .classificationAboveClearance),
        Row(tlp: .amber, classification: "COSMIC", releasableTo: ["FVEY"], peer: limited, direction: .send, sameOrganisation: false, expected: .unknownClassification),
        Row(tlp: .red, classification: "SECRET", releasableTo: ["NATO"], peer: revoked, direction: .forward, sameOrganisation: false, expected: .revokedPeer),
        Row(tlp: .green, classification: "UNCLASSIFIED", releasableTo: ["NATO"], peer: trusted, direction: .forward, sameOrganisation: true,
            peerIsOrigin: true, expected: .forwardToOrigin),
    ]

    @Test("the table has at least 60 rows and covers every rule")
    func coverage() {
        #expect(Self.rows.count >= 60)
        #expect(Set(Self.rows.map(\.expected)) == Set(PolicyRule.allCases))
    }

    @Test("each row decides as expected", arguments: rows)
    func decide(row: Row) throws {
        let markings = try Markings(tlp: row.tlp, classification: row.classification, releasableTo: row.releasableTo)
        let decision = AccessPolicy.decide(markings, peer: row.peer, direction: row.direction,
                                           context: PolicyContext(ladder: Self.ladder, sameOrganisation: row.sameOrganisation,
                                                                  peerIsOrigin: row.peerIsOrigin))
        #expect(decision.rule == row.expected)
        #expect(decision.allowed == (row.expected == .allowed))
        #expect(!decision.explanation.isEmpty)
    }

    @Test("the policy is pure: the same inputs give the same decision")
    func pure() throws {
        let markings = try Markings(tlp: .amber, classification: "RESTRICTED", releasableTo: ["NATO"])
        let context = PolicyContext(ladder: Self.ladder)
        let first = AccessPolicy.decide(markings, peer: Self.partner, direction: .send, context: context)
        for _ in 0..<100 { #expect(AccessPolicy.decide(markings, peer: Self.partner, direction: .send, context: context) == first) }
    }

    @Test("a peer's effective maximum TLP is exactly the most sensitive level the rules let reach it, for every trust and maximum")
    func effectiveMaximumMatchesTheRules() throws {
        let context = PolicyContext(ladder: Self.ladder)
        for trust in TrustLevel.allCases {
            for maximum in TrafficLightProtocol.allCases {
                for revoked in [false, true] {
                    let peer = PeerClearance(trust: trust, revoked: revoked, maximumTLP: maximum, clearance: "UNCLASSIFIED")
                    let reaching = try TrafficLightProtocol.allCases.filter { tlp in
                        AccessPolicy.decide(try Markings(tlp: tlp), peer: peer, direction: .send, context: context).allowed
                    }
                    #expect(peer.effectiveMaximumTLP == reaching.max(), "\(trust) max \(maximum)\(revoked ? " revoked" : "")")
                    #expect(reaching == TrafficLightProtocol.allCases.filter { $0 <= (peer.effectiveMaximumTLP ?? .clear) && !reaching.isEmpty })
                }
            }
        }
    }
}
