import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

/// Who a received package may be forwarded to (`NodeConfiguration.forwardRecipients`)
/// and the markings of the new package.
@Suite("Forwarding recipients and markings")
struct ForwardRecipientsTests {
    let configuration: NodeConfiguration
    let keyring: Keyring
    /// The node the package came from.
    let origin: PeerRecord

    init() throws {
        var configuration = NodeConfiguration(name: "bravo", created: F.now, listen: [], publicKeys: try F.secrets(seed: 2).publicKeys,
                                              protection: .none)
        configuration.organisation = "Example Agency"
        self.configuration = configuration
        origin = try F.peer(try F.secrets(seed: 1), name: "alpha")
        var colleague = try F.peer(try F.secrets(seed: 3), name: "charlie")
        colleague.organisation = "EXAMPLE agency"
        var outsider = try F.peer(try F.secrets(seed: 4), name: "delta")
        outsider.organisation = "Other Agency"
        let unknownOrganisation = try F.peer(try F.secrets(seed: 5), name: "echo")
        var limitedColleague = try F.peer(try F.secrets(seed: 6), name: "foxtrot", trust: .limited)
        limitedColleague.organisation = "Example Agency"
        keyring = try Keyring(peers: [origin, colleague, outsider, unknownOrganisation, limitedColleague])
    }

    private func decide(_ tlp: TrafficLightProtocol, to names: [String]) throws -> [String: PolicyRule] {
        let selection = try configuration.forwardRecipients(names, keyring: keyring, markings: try Markings(tlp: tlp),
                                                            origin: origin.keys.identity)
        var rules: [String: PolicyRule] = [:]
        for allowed in selection.allowed { rules[allowed.name] = .allowed }
        for withheld in selection.withheld { rules[withheld.name] = withheld.decision.rule }
        return rules
    }

    @Test("TLP:RED and AMBER+STRICT go to nobody; AMBER only within our organisation; GREEN and CLEAR as a send would")
    func rules() throws {
        let everyone = ["charlie", "delta", "echo", "foxtrot"]
        #expect(try decide(.red, to: everyone) == ["charlie": .redNeverForwarded, "delta": .redNeverForwarded,
                                                    "echo": .redNeverForwarded, "foxtrot": .redNeverForwarded])
        #expect(try decide(.amberStrict, to: everyone).values.allSatisfy { $0 == .amberStrictNeverForwarded })
        #expect(try decide(.amber, to: everyone) == ["charlie": .allowed, "delta": .amberOnlyWithinOrganisation,
                                                      "echo": .amberOnlyWithinOrganisation,
                                                      // Same organisation, but a send to a limited peer is refused too.
                                                      "foxtrot": .limitedTrustOnlyClearGreen])
        #expect(try decide(.green, to: everyone).values.allSatisfy { $0 == .allowed })
        #expect(try decide(.clear, to: everyone).values.allSatisfy { $0 == .allowed })
    }

    @Test("without an organisation of our own, TLP:AMBER goes to nobody")
    func noOrganisation() throws {
        var configuration = self.configuration
        configuration.organisation = nil
        let selection = try configuration.forwardRecipients(["charlie"], keyring: keyring, markings: try Markings(tlp: .amber),
                                                            origin: origin.keys.identity)
        #expect(selection.allowed.isEmpty)
        #expect(selection.withheld.first?.decision.rule == .amberOnlyWithinOrganisation)
    }

    @Test("the send rules still apply: releasability")
    func sendRulesApply() throws {
        let markings = try Markings(tlp: .green, releasableTo: ["NATO"])
        let selection = try configuration.forwardRecipients(["charlie"], keyring: keyring, markings: markings, origin: origin.keys.identity)
        #expect(selection.withheld.first?.decision.rule == .notReleasable)
    }

    @Test("no peers, an unknown peer and this node are errors", arguments: [
        ([], CoreError.Code.invalidRecipients), (["charlie", "zulu"], .unknownPeer), (["bravo"], .invalidRecipients),
    ])
    func errors(names: [String], code: CoreError.Code) throws {
        let error = F.coreError {
            try configuration.forwardRecipients(names, keyring: keyring, markings: try Markings(tlp: .green), origin: origin.keys.identity)
        }
        #expect(error?.code == code)
    }

    @Test("the origin is withheld by the forward-to-origin rule; the others named are still served")
    func originWithheld() throws {
        let selection = try configuration.forwardRecipients(["charlie", "alpha"], keyring: keyring, markings: try Markings(tlp: .green),
                                                            origin: origin.keys.identity)
        #expect(selection.allowed.map(\.name) == ["charlie"])
        #expect(selection.withheld.map(\.name) == ["alpha"] && selection.withheld.first?.decision.rule == .forwardToOrigin)
    }

    @Test("a repeated name is decided once")
    func repeated() throws {
        let selection = try configuration.forwardRecipients(["charlie", "charlie"], keyring: keyring, markings: try Markings(tlp: .green),
                                                            origin: origin.keys.identity)
        #expect(selection.allowed.map(\.name) == ["charlie"])
    }

    @Test("the new markings keep everything and add a caveat naming the origin")
    func markings() throws {
        let id = try PackageID(parsing: "0123456789abcdef0123456789abcdef")
        let original = try Markings(tlp: .amber, classification: "RESTRICTED", releasableTo: ["NATO"], caveats: ["EXDIS"])
        let forwarded = try original.forwarded(from: origin.fingerprint, package: id)
        let caveat = "FWD/\(origin.fingerprint.short.uppercased())/0123456789ABCDEF0123456789ABCDEF"
        #expect(Markings.forwardingCaveat(origin: origin.fingerprint, package: id) == caveat)
        #expect(forwarded.tlp == .amber && forwarded.classification == "RESTRICTED" && forwarded.releasableTo == ["NATO"])
        #expect(forwarded.caveats == ["EXDIS", caveat])
        #expect(caveat.utf8.count <= Markings.maximumLabelLength)
        // Forwarded again, the chain stays visible.
        let again = try forwarded.forwarded(from: try F.peer(try F.secrets(seed: 2), name: "bravo").fingerprint, package: id)
        #expect(again.caveats.count == 3 && again.caveats[1] == caveat)
        // A package already holding the most caveats cannot take one more.
        let full = try Markings(tlp: .green, caveats: (0..<Markings.maximumListCount).map { "C\($0)" })
        #expect(F.coreError { try full.forwarded(from: origin.fingerprint, package: id) }?.code == .invalidMarkings)
    }

    @Test("an operator cannot forge an origin: FWD/ caveats are reserved for forward")
    func originCaveatReserved() throws {
        // As typed, and with the blanks that sealing trims in front.
        for caveat in ["FWD/X/Y", "fwd/abc/def", " fwd/abc/def", "\tFWD/X/Y", "\u{200B}FWD/X/Y", "\u{00A0}fwd/x/y "] {
            let refusal = F.coreError { try configuration.markings(tlp: "GREEN", classification: nil, releasableTo: [], caveats: [caveat]) }
            #expect(refusal?.code == .invalidMarkings && refusal?.message.contains("is reserved") == true, "\(caveat.debugDescription): \(String(describing: refusal))")
        }
        #expect(try configuration.markings(tlp: "GREEN", classification: nil, releasableTo: [], caveats: ["FWDX"]).caveats == ["FWDX"])
    }
}
