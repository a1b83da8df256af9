import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

@Suite("Organisation of the node and its peers")
struct OrganisationTests {
    @Test("a name is trimmed and keeps its case", arguments: [
        ("Example Agency", "Example Agency"), ("  ACME Corp.  ", "ACME Corp."), ("Min. of Defence (UK)", "Min. of Defence (UK)"),
        ("R&D/CERT-EU_2", "R&D/CERT-EU_2"), (String(repeating: "a", count: 64), String(repeating: "a", count: 64)),
    ])
    func validNames(raw: String, expected: String) throws {
        #expect(try OrganisationName.validate(raw) == expected)
    }

    @Test("an empty, long, non-ASCII or control-character name is refused", arguments: [
        "", "   ", String(repeating: "a", count: 65), "Straße AG", "Agency\nInjected", "tab\there", "quote\"d", "semi;colon",
    ])
    func invalidNames(raw: String) {
        #expect(F.coreError { try OrganisationName.validate(raw) }?.code == .invalidArgument)
    }

    @Test("two organisations are the same only when both are set and equal ignoring case")
    func sameness() {
        #expect(OrganisationName.same("Example Agency", "example AGENCY"))
        #expect(!OrganisationName.same("Example Agency", "Example Agency 2"))
        #expect(!OrganisationName.same(nil, "Example Agency"))
        #expect(!OrganisationName.same("Example Agency", nil))
        #expect(!OrganisationName.same(nil, nil), "two unknown organisations are not the same one")
    }

    @Test("[node] organisation is parsed, rendered only when set, and checked")
    func nodeOrganisation() throws {
        let secrets = try F.secrets(seed: 1)
        var configuration = NodeConfiguration(name: "alpha", created: F.now, listen: ["127.0.0.1:7401"], publicKeys: secrets.publicKeys,
                                              protection: .none)
        let plain = configuration.rendered
        #expect(!plain.contains("organisation"), "an unset organisation leaves liaison.toml as it was")
        #expect(try NodeConfiguration(parsing: plain).organisation == nil)

        configuration.organisation = "Example Agency"
        let parsed = try NodeConfiguration(parsing: configuration.rendered)
        #expect(parsed.organisation == "Example Agency")
        #expect(parsed.rendered == configuration.rendered)

        let edited = plain.replacingOccurrences(of: "[node]\n", with: "[node]\norganisation = \"  Other Org \"\n")
        #expect(try NodeConfiguration(parsing: edited).organisation == "Other Org")
        let bad = plain.replacingOccurrences(of: "[node]\n", with: "[node]\norganisation = \"\"\n")
        let error = F.coreError { try NodeConfiguration(parsing: bad, path: "liaison.toml") }
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("node.organisation") == true, "\(error?.message ?? "")")
    }

    @Test("a peer's organisation is parsed, rendered only when set, and checked")
    func peerOrganisation() throws {
        var bravo = try F.peer(try F.secrets(seed: 2), name: "bravo")
        let charlie = try F.peer(try F.secrets(seed: 3), name: "charlie")
        bravo.organisation = "Example Agency"
        let rendered = try Keyring(peers: [bravo, charlie]).rendered(excluding: [])
        #expect(rendered.components(separatedBy: "organisation = ").count == 2, "only bravo has one")
        let parsed = try Keyring(parsing: rendered)
        #expect(parsed.peer(named: "bravo")?.organisation == "Example Agency")
        #expect(parsed.peer(named: "charlie")?.organisation == nil)
        #expect(parsed.peers == [bravo, charlie])

        let bad = rendered.replacingOccurrences(of: "organisation = \"Example Agency\"", with: "organisation = \"Bad\\u0001Org\"")
        #expect(bad != rendered)
        #expect(F.coreError { try Keyring(parsing: bad) }?.code == .malformedConfig)
    }
}
