import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

/// A hand-written `liaison.toml`, one array element per line so tests can
/// insert lines and know their numbers (1-based: index + 1).
private func configLines(_ keys: NodePublicKeys) -> [String] {
    [
        "# test configuration",                                      // 1
        "[node]",                                                    // 2
        "name = \"alpha\"",                                          // 3
        "created = \"2026-11-26T00:00:00Z\"",                        // 4
        "listen = [\"127.0.0.1:7401\"]",                             // 5
        "",                                                          // 6
        "[keys]",                                                    // 7
        "file = \"keys/node.secrets\"",                              // 8
        "protection = \"argon2id\"",                                 // 9
        "identity = \"\(KeyText.encode(keys.identity))\"",           // 10
        "encryption = \"\(KeyText.encode(keys.encryption))\"",       // 11
        "transport = \"\(KeyText.encode(keys.transport))\"",         // 12
        "log = \"\(KeyText.encode(keys.log))\"",                     // 13
        "",                                                          // 14
        "[policy]",                                                  // 15
        "default-expiry = \"30d\"",                                  // 16
    ]
}

private func text(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

/// The lines with `line` inserted so that it becomes line number `number`.
private func inserting(_ line: String, asLine number: Int, into lines: [String]) -> [String] {
    var copy = lines
    copy.insert(line, at: number - 1)
    return copy
}

/// The lines with the line starting with `prefix` replaced.
private func replacing(_ prefix: String, with line: String, in lines: [String]) -> [String] {
    lines.map { $0.hasPrefix(prefix) ? line : $0 }
}

@Suite("Node configuration (liaison.toml)")
struct NodeConfigurationTests {
    let keys: NodePublicKeys
    let base: [String]

    init() throws {
        keys = try F.secrets(seed: 1).publicKeys
        base = configLines(keys)
    }

    private func parseError(_ lines: [String]) -> CoreError? {
        F.coreError { try NodeConfiguration(parsing: text(lines), path: "/home/alpha/liaison.toml") }
    }

    @Test("a hand-written configuration parses")
    func parses() throws {
        let c = try NodeConfiguration(parsing: text(base))
        #expect(c.name == "alpha")
        #expect(c.created == F.now)
        #expect(c.listen == ["127.0.0.1:7401"])
        #expect(c.keyFile == "keys/node.secrets")
        #expect(c.protection == .argon2id)
        #expect(c.publicKeys == keys)
        #expect(c.classifications == NodeConfiguration.defaultClassifications)
        #expect(c.defaultExpiry == Int64(30 * 86_400))
        #expect(c.cardValidityDays == 365)
        #expect(c.pinnedPeers.isEmpty)
    }

    @Test("advertise names the card's addresses; a wildcard there is refused with its line")
    func advertise() throws {
        let lines = inserting("advertise = [\"liaison.example.org:7401\"]", asLine: 6, into: base)
        let c = try NodeConfiguration(parsing: text(lines))
        #expect(c.advertise == ["liaison.example.org:7401"])
        #expect(c.cardAddresses == ["liaison.example.org:7401"])
        #expect(try NodeConfiguration(parsing: c.rendered).advertise == ["liaison.example.org:7401"])
        #expect(try NodeConfiguration(parsing: text(base)).cardAddresses == ["127.0.0.1:7401"])

        let error = parseError(inserting("advertise = [\"0.0.0.0:7401\"]", asLine: 6, into: base))
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("line 6") == true && error?.message.contains("wildcard") == true, "\(String(describing: error))")
    }

    @Test("optional settings take their defaults")
    func defaults() throws {
        let minimal = base.filter { !$0.hasPrefix("listen") && !$0.hasPrefix("file") && !$0.hasPrefix("protection") }
            .prefix(while: { $0 != "[policy]" })
        let c = try NodeConfiguration(parsing: text(Array(minimal)))
        #expect(c.listen.isEmpty)
        #expect(c.keyFile == "keys/node.secrets")
        #expect(c.protection == .argon2id)
        #expect(c.classifications == ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"])
        #expect(c.defaultExpiry == Int64(30 * 86_400))
        #expect(c.cardValidityDays == 365)
    }

    @Test("rendered parses back to the same configuration and the same text")
    func renderedRoundTrip() throws {
        var c = NodeConfiguration(name: "bravo", created: F.now + 42, listen: ["127.0.0.1:7402", "[::1]:7402"],
                                  publicKeys: keys, protection: .none)
        c.cardValidityDays = 90
        c.classifications = ["PUBLIC", "INTERNAL", "SECRET"]
        c.defaultExpiry = 14 * 86_400
        c.keyFile = "/etc/liaison/bravo.secrets"
        let again = try NodeConfiguration(parsing: c.rendered)
        #expect(again.rendered == c.rendered)
        #expect(again.name == "bravo")
        #expect(again.created == F.now + 42)
        #expect(again.listen == c.listen)
        #expect(again.cardValidityDays == 90)
        #expect(again.classifications == c.classifications)
        #expect(again.defaultExpiry == Int64(14 * 86_400))
        #expect(again.keyFile == c.keyFile)
        #expect(again.protection == .none)
        #expect(again.publicKeys == keys)
        #expect(c.rendered.hasPrefix("#"))
        #expect(!c.rendered.contains("secret ="), "only public keys are rendered")
    }

    @Test("default-expiry never round trips as nil")
    func neverExpires() throws {
        let c = try NodeConfiguration(parsing: text(replacing("default-expiry", with: "default-expiry = \"never\"", in: base)))
        #expect(c.defaultExpiry == nil)
        #expect(try NodeConfiguration(parsing: c.rendered).defaultExpiry == nil)
        #expect(c.rendered.contains("default-expiry = \"never\""))
    }

    @Test("whole-day expiries round trip", arguments: ["1d", "2w", "48h", "86400s", "1440m"])
    func dayExpiries(expiry: String) throws {
        let c = try NodeConfiguration(parsing: text(replacing("default-expiry", with: "default-expiry = \"\(expiry)\"", in: base)))
        #expect(try NodeConfiguration(parsing: c.rendered).defaultExpiry == c.defaultExpiry)
    }

    /// BUG: `rendered` writes default-expiry as whole days (`seconds / 86400`), so
    /// "12h" renders as "0d" — which the parser refuses — and "36h" as "1d".
    @Test("sub-day and non-whole-day expiries survive rendering", arguments: ["12h", "36h", "90m"])
    func subDayExpiries(expiry: String) throws {
        let c = try NodeConfiguration(parsing: text(replacing("default-expiry", with: "default-expiry = \"\(expiry)\"", in: base)))
        let again = F.coreError { try NodeConfiguration(parsing: c.rendered) }
        #expect(again == nil, "the rendered configuration does not parse: \(again?.message ?? "")")
        if again == nil {
            #expect(try NodeConfiguration(parsing: c.rendered).defaultExpiry == c.defaultExpiry)
        }
    }

    @Test("classification labels are normalised to upper case")
    func classificationsNormalised() throws {
        let c = try NodeConfiguration(parsing: text(base + ["classifications = [\"public\", \" tlp amber \", \"Secret\"]"]))
        #expect(c.classifications == ["PUBLIC", "TLP AMBER", "SECRET"])
    }

    @Test("unknown keys are malformedConfig and name the line", arguments: [
        ("colour = \"blue\"", 4),            // in [node]
        ("secret = \"oops\"", 9),            // in [keys]
        ("max-size = 10", 17),               // in [policy], at the end
        ("nmae = \"alpha\"", 3),
    ])
    func unknownKey(line: String, number: Int) throws {
        let error = parseError(inserting(line, asLine: number, into: base))
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("line \(number)") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("unknown key") == true)
        #expect(error?.message.hasPrefix("/home/alpha/liaison.toml") == true)
    }

    @Test("an unknown section is malformedConfig with its line")
    func unknownSection() throws {
        let error = parseError(base + ["", "[extras]", "x = 1"])
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("line 18") == true, "\(error?.message ?? "")")
    }

    @Test("missing required sections and keys are malformedConfig")
    func missingRequired() throws {
        #expect(parseError(Array(base.prefix(6)))?.code == .malformedConfig)                       // no [keys]
        #expect(parseError(Array(base.dropFirst(6)))?.code == .malformedConfig)                    // no [node]
        #expect(parseError(base.filter { !$0.hasPrefix("name") })?.code == .malformedConfig)
        #expect(parseError(base.filter { !$0.hasPrefix("created") })?.code == .malformedConfig)
        for key in ["identity", "encryption", "transport", "log"] {
            let error = parseError(base.filter { !$0.hasPrefix(key + " ") })
            #expect(error?.code == .malformedConfig)
            #expect(error?.message.contains(key) == true)
        }
        #expect(F.coreError { try NodeConfiguration(parsing: "") }?.code == .malformedConfig)
    }

    @Test("invalid values are malformedConfig", arguments: [
        ("name = ", "name = \"Alpha Node\""),
        ("name = ", "name = 7"),
        ("created = ", "created = \"yesterday\""),
        ("listen = ", "listen = [\"nowhere\"]"),
        ("listen = ", "listen = [7401]"),
        ("listen = ", "listen = \"127.0.0.1:7401\""),
        ("protection = ", "protection = \"aes\""),
        ("protection = ", "protection = \"NONE\""),
        ("identity = ", "identity = \"x25519:AAAA\""),
        ("encryption = ", "encryption = \"x25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""),
        ("log = ", "log = \"ed25519:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\""),
        ("default-expiry = ", "default-expiry = \"soon\""),
        ("default-expiry = ", "default-expiry = \"0d\""),
        ("default-expiry = ", "default-expiry = 30"),
        ("default-expiry = ", "classifications = []"),
        ("default-expiry = ", "classifications = [\"SECRET\", \"secret\"]"),
        ("default-expiry = ", "classifications = [\"TOP\\nSECRET\"]"),
        ("default-expiry = ", "classifications = [\"\"]"),
    ])
    func invalidValue(prefix: String, line: String) throws {
        let error = parseError(replacing(prefix, with: line, in: base))
        #expect(error?.code == .malformedConfig, "\(line)")
        #expect(error?.message.contains("line ") == true, "\(line): \(error?.message ?? "")")
    }

    @Test("card-validity-days must be 1…3650", arguments: [(0, false), (1, true), (3650, true), (3651, false), (-5, false)])
    func cardValidity(days: Int, ok: Bool) throws {
        let lines = inserting("card-validity-days = \(days)", asLine: 6, into: base)
        let error = parseError(lines)
        if ok {
            #expect(error == nil)
            #expect(try NodeConfiguration(parsing: text(lines)).cardValidityDays == days)
        } else {
            #expect(error?.code == .malformedConfig)
            #expect(error?.message.contains("line 6") == true)
        }
    }

    @Test("max-control-connections-per-user is three quarters of max-control-connections unless set, never all of two or more, and never more than set",
          arguments: [("", 48), ("max-control-connections = 4", 3), ("max-control-connections = 1", 1),
                      ("max-control-connections = 2", 1), ("max-control-connections = 3", 2),
                      ("max-control-connections-per-user = 64", 64), ("max-control-connections = 8\nmax-control-connections-per-user = 2", 2)])
    func controlConnectionsPerUser(lines: String, expected: Int64) throws {
        let config = try NodeConfiguration(parsing: text(base + ["", "[daemon]", lines]))
        #expect(config.daemon.controlConnectionsPerUser == expected)
    }

    @Test("max-control-connections-per-user past max-control-connections is refused with its line",
          arguments: ["max-control-connections-per-user = 65", "max-control-connections = 8\nmax-control-connections-per-user = 9",
                      "max-control-connections-per-user = 0"])
    func controlConnectionsPerUserTooMany(lines: String) throws {
        let error = parseError(base + ["", "[daemon]", lines])
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("max-control-connections-per-user must be within 1…") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("line ") == true, "\(error?.message ?? "")")
    }

    @Test("a pinned [[peer]] is parsed into pinnedPeers and rendered back")
    func pinnedPeers() throws {
        var c = try NodeConfiguration(parsing: text(base))
        let peer = try F.peer(try F.secrets(seed: 2), name: "bravo", trust: .trusted)
        c.pinnedPeers = [peer]
        let again = try NodeConfiguration(parsing: c.rendered)
        #expect(again.pinnedPeers == [peer])
        #expect(again.rendered == c.rendered)
        #expect(c.rendered.contains("[[peer]]"))
    }
}
