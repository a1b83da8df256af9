import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

/// The repository root: the nearest directory above this file holding Package.swift.
private func repositoryRoot(from file: String = #filePath) -> URL? {
    var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
        directory = directory.deletingLastPathComponent()
    }
    return nil
}

/// The text of the top-level Keys.example.
func keysExample() throws -> String {
    let root = try #require(repositoryRoot(), "no Package.swift above \(#filePath)")
    let path = root.appendingPathComponent("Keys.example").path
    return try #require(try? String(contentsOfFile: path, encoding: .utf8), "cannot read \(path)")
}

/// Keys.example is the annotated liaison.toml (with [[peer]] entries) that the
/// documentation points to; parsing it with the real loaders keeps it honest.
@Suite("Keys.example")
struct KeysExampleTests {
    @Test("it parses as a node configuration")
    func parsesAsConfiguration() throws {
        let configuration = try NodeConfiguration(parsing: try keysExample(), path: "Keys.example")
        #expect(configuration.name == "alpha")
        #expect(configuration.listen == ["127.0.0.1:7401"])
        #expect(configuration.cardValidityDays == 365)
        #expect(configuration.keyFile == "keys/node.secrets")
        #expect(configuration.protection == .argon2id)
        #expect(configuration.created == Timestamp.parse("2026-11-26T09:52:33Z"))
        #expect(configuration.classifications == ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"])
        #expect(configuration.defaultExpiry == Int64(30 * 86_400))
        #expect(KeyText.encode(configuration.publicKeys.identity) == "ed25519:9MNb1At/16IA2eIxz6KVknjAjZ4I9HsH5yX45/mc3dk=")
        #expect(configuration.audit.databasePath(home: "/var/lib/liaison") == "/var/lib/liaison/audit.db")
        #expect(configuration.audit.checkpointIntervalSeconds == 300)
        #expect(configuration.audit.witnesses == ["bravo"])
        #expect(configuration.daemon.maximumControlConnections == 64 && configuration.daemon.controlConnectionsPerUser == 48)
        #expect(configuration.daemon.controlTimeoutSeconds == 30)
        #expect(configuration.daemon.sessionLifetimeSeconds == 600)
        #expect(configuration.daemon.diskReserveMiB == 256)
        #expect(configuration.daemon.maximumHandshakesPerSource == 8 && configuration.daemon.maximumSessionsPerPeer == 16)
    }

    @Test("disk-reserve-mib is checked: 0 turns the reserve off, negative values are refused")
    func diskReserveSetting() throws {
        let base = try keysExample()
        let off = base.replacingOccurrences(of: "disk-reserve-mib = 256", with: "disk-reserve-mib = 0")
        #expect(try NodeConfiguration(parsing: off).daemon.diskReserveMiB == 0)
        let negative = base.replacingOccurrences(of: "disk-reserve-mib = 256", with: "disk-reserve-mib = -1")
        let refusal = #expect(throws: CoreError.self) { try NodeConfiguration(parsing: negative) }
        #expect(refusal?.message.contains("disk-reserve-mib") == true, "\(String(describing: refusal))")
    }

    @Test("[audit] settings are checked")
    func auditSettings() throws {
        let base = try keysExample()
        for bad in ["checkpoint-interval-seconds = 0", "database = \"\"", "unknown = 1"] {
            let text = base.replacingOccurrences(of: "checkpoint-interval-seconds = 300", with: bad)
            #expect(throws: CoreError.self, "\(bad)") { try NodeConfiguration(parsing: text) }
        }
        let absolute = base.replacingOccurrences(of: "database = \"audit.db\"", with: "database = \"/srv/audit/audit.db\"")
        #expect(try NodeConfiguration(parsing: absolute).audit.databasePath(home: "/h") == "/srv/audit/audit.db")
    }

    @Test("its [[peer]] entries are the partners it lists")
    func peers() throws {
        let configuration = try NodeConfiguration(parsing: try keysExample())
        let peers = configuration.pinnedPeers
        #expect(peers.count == 2)
        #expect(peers.map(\.name) == ["bravo", "charlie"])

        let bravo = try #require(peers.first { $0.name == "bravo" })
        #expect(bravo.trust == .partner)
        #expect(bravo.addresses == ["127.0.0.1:7402"])
        #expect(bravo.fingerprint.description == "hfigx-vihpn-pyxnj-e2pjy-qaii2-vfqet-oa5bg-hhgcr-4g5yh-tp6o3-q6leq")
        #expect(bravo.validUntil == Timestamp.parse("2027-11-26T09:52:33Z"))
        #expect(bravo.added == Timestamp.parse("2026-11-26T09:52:33Z"))
        #expect(bravo.revoked == false)

        let charlie = try #require(peers.first { $0.name == "charlie" })
        #expect(charlie.trust == .limited)
        #expect(charlie.addresses == ["127.0.0.1:7403"])
        #expect(charlie.fingerprint.description == "tfpht-cz3bu-hkh4q-sjfxh-2xwj7-jsmmu-n2x3z-snhwz-lxjtu-f47eg-tpyuq")
    }

    @Test("the peers are distinct nodes, none of them the node itself")
    func distinctNodes() throws {
        let configuration = try NodeConfiguration(parsing: try keysExample())
        let identities = [configuration.publicKeys.identity] + configuration.pinnedPeers.map(\.keys.identity)
        #expect(Set(identities).count == identities.count)
        let fingerprints = [configuration.publicKeys.fingerprint] + configuration.pinnedPeers.map(\.fingerprint)
        #expect(Set(fingerprints).count == fingerprints.count)
        // A keyring built from them accepts all of them (no duplicate names or keys).
        #expect(try Keyring(peers: configuration.pinnedPeers).peers.count == configuration.pinnedPeers.count)
    }

    @Test("its [[peer]] section parses as a keyring.toml")
    func peerSectionAsKeyring() throws {
        let text = try keysExample()
        let start = try #require(text.range(of: "\n[[peer]]"), "Keys.example has no [[peer]] table")
        let keyring = try Keyring(parsing: String(text[start.lowerBound...]), path: "Keys.example")
        let configuration = try NodeConfiguration(parsing: text)
        #expect(keyring.peers == configuration.pinnedPeers)
        #expect(keyring.peers.count == 2)
        #expect(keyring.peer(named: "bravo")?.trust == .partner)
    }

    @Test("installed as a node's liaison.toml, the real loaders read it and its peers")
    func asNodeHome() throws {
        let directory = TemporaryDirectory()
        let home = NodeHome(path: directory.path)
        IdentityFixtures.writeFile(Array(try keysExample().utf8), to: home.configurationPath, mode: 0o600)
        let configuration = try home.loadConfiguration()
        #expect(configuration.name == "alpha")
        let keyring = try home.loadKeyring(configuration)
        #expect(keyring.peers.map(\.name) == ["bravo", "charlie"])
        #expect(keyring.peer(named: "charlie")?.trust == .limited)
        let bravo = try #require(keyring.peer(named: "bravo"))
        #expect(keyring.sender(withIdentity: bravo.keys.identity.rawRepresentation)?.name == "bravo")
        // The key file it names does not exist in this home.
        #expect(throws: CoreError(.keyFileMissing, "")) { try home.loadSecrets(configuration, passphrase: PassphraseSource()) }
    }

    @Test("it holds public keys only")
    func publicKeysOnly() throws {
        let text = try keysExample()
        let assignments = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.hasPrefix("#") && $0.contains("=") }
        for line in assignments {
            let key = line.prefix { $0 != " " && $0 != "=" }
            #expect(!key.lowercased().contains("secret") && !key.lowercased().contains("seed") && !key.lowercased().contains("private"),
                    "\(line)")
        }
        // Every base64 key value decodes to exactly 32 bytes (a public key, not a 64-byte secret key).
        for line in assignments where line.contains("ed25519:") || line.contains("x25519:") {
            let value = line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) } ?? ""
            #expect(Data(base64Encoded: value)?.count == 32, "\(line)")
        }
    }

    @Test("its rendered form parses back to the same configuration")
    func renderedRoundTrip() throws {
        let configuration = try NodeConfiguration(parsing: try keysExample())
        let again = try NodeConfiguration(parsing: configuration.rendered)
        #expect(again.rendered == configuration.rendered)
        #expect(again.pinnedPeers == configuration.pinnedPeers)
        #expect(again.publicKeys == configuration.publicKeys)
    }
}
