import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

private typealias F = IdentityFixtures

/// A `[[peer]]` table written by hand, one entry per line.
private func peerLines(name: String, keys: NodePublicKeys, fingerprint: String? = nil, trust: String? = "partner",
                       extra: [String] = []) -> [String] {
    var lines = ["[[peer]]", "name = \"\(name)\""]
    if let fingerprint { lines.append("fingerprint = \"\(fingerprint)\"") }
    if let trust { lines.append("trust = \"\(trust)\"") }
    lines += [
        "identity = \"\(KeyText.encode(keys.identity))\"",
        "encryption = \"\(KeyText.encode(keys.encryption))\"",
        "transport = \"\(KeyText.encode(keys.transport))\"",
        "log = \"\(KeyText.encode(keys.log))\"",
    ]
    return lines + extra
}

private func text(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

@Suite("Keyring in memory")
struct KeyringMemoryTests {
    let bravo: NodeSecrets
    let charlie: NodeSecrets

    init() throws {
        bravo = try F.secrets(seed: 2)
        charlie = try F.secrets(seed: 3)
    }

    @Test("add keeps order and finds peers by name and identity")
    func addAndFind() throws {
        var keyring = try Keyring(peers: [])
        try keyring.add(try F.peer(bravo, name: "bravo"))
        try keyring.add(try F.peer(charlie, name: "charlie", trust: .limited))
        #expect(keyring.peers.map(\.name) == ["bravo", "charlie"])
        #expect(keyring.peer(named: "charlie")?.trust == .limited)
        #expect(keyring.peer(named: "delta") == nil)
        let sender = keyring.sender(withIdentity: charlie.identity.publicKey.rawRepresentation)
        #expect(sender?.name == "charlie")
        #expect(sender?.isRevoked == false)
        #expect(keyring.sender(withIdentity: try F.secrets(seed: 9).identity.publicKey.rawRepresentation) == nil)
        #expect(keyring.sender(withIdentity: []) == nil)
    }

    @Test("a duplicate name is peerExists")
    func duplicateName() throws {
        var keyring = try Keyring(peers: [try F.peer(bravo, name: "bravo")])
        let error = F.coreError { try keyring.add(try F.peer(charlie, name: "bravo")) }
        #expect(error?.code == .peerExists)
        #expect(error?.message.contains("bravo") == true)
        #expect(keyring.peers.count == 1)
    }

    @Test("the same identity under another name is peerExists")
    func duplicateIdentity() throws {
        var keyring = try Keyring(peers: [try F.peer(bravo, name: "bravo")])
        let error = F.coreError { try keyring.add(try F.peer(bravo, name: "bravo-again")) }
        #expect(error?.code == .peerExists)
        #expect(error?.message.contains("\"bravo\"") == true)
        // Same identity key, every other key different: still the same node.
        let hybrid = NodeSecrets(identity: bravo.identity, encryption: charlie.encryption, transport: charlie.transport, log: charlie.log)
        #expect(throws: CoreError(.peerExists, "")) { try keyring.add(try F.peer(hybrid, name: "hybrid")) }
        #expect(keyring.peers.count == 1)
    }

    @Test("Keyring(peers:) applies the same rules")
    func initRejectsDuplicates() throws {
        #expect(throws: CoreError(.peerExists, "")) {
            try Keyring(peers: [try F.peer(bravo, name: "bravo"), try F.peer(charlie, name: "bravo")])
        }
        #expect(throws: CoreError(.peerExists, "")) {
            try Keyring(peers: [try F.peer(bravo, name: "bravo"), try F.peer(bravo, name: "b2")])
        }
    }

    @Test("a revoked peer is reported revoked to the package opener")
    func revokedSender() throws {
        var peer = try F.peer(bravo, name: "bravo")
        peer.revoked = true
        let keyring = try Keyring(peers: [peer])
        #expect(keyring.sender(withIdentity: bravo.identity.publicKey.rawRepresentation)?.isRevoked == true)
    }

    @Test("a peer made from a card takes the card's keys, addresses and validity")
    func peerFromCard() throws {
        let card = try F.card(bravo, name: "calls-itself-b", addresses: ["127.0.0.1:7402"])
        let peer = PeerRecord(name: "bravo", card: card, trust: .trusted, added: F.now + 5)
        #expect(peer.name == "bravo")
        #expect(peer.keys == card.keys)
        #expect(peer.addresses == ["127.0.0.1:7402"])
        #expect(peer.validUntil == card.validUntil)
        #expect(peer.added == F.now + 5)
        #expect(peer.revoked == false)
        #expect(peer.fingerprint == card.fingerprint)
    }
}

@Suite("Keyring file (keyring.toml)")
struct KeyringParsingTests {
    let bravo: NodePublicKeys
    let charlie: NodePublicKeys

    init() throws {
        bravo = try F.secrets(seed: 2).publicKeys
        charlie = try F.secrets(seed: 3).publicKeys
    }

    private func parseError(_ lines: [String]) -> CoreError? {
        F.coreError { try Keyring(parsing: text(lines), path: "/home/alpha/keyring.toml") }
    }

    @Test("rendered keyring text parses back to the same peers")
    func renderedRoundTrip() throws {
        var revoked = try F.peer(try F.secrets(seed: 3), name: "charlie", trust: .blocked, addresses: [])
        revoked.revoked = true
        let keyring = try Keyring(peers: [try F.peer(try F.secrets(seed: 2), name: "bravo", trust: .trusted), revoked])
        let rendered = keyring.rendered(excluding: [])
        let parsed = try Keyring(parsing: rendered)
        #expect(parsed.peers == keyring.peers)
        #expect(rendered.contains("fingerprint = \"\(keyring.peers[0].fingerprint)\""))
    }

    @Test("an empty or comment-only keyring has no peers")
    func empty() throws {
        #expect(try Keyring(parsing: "").peers.isEmpty)
        #expect(try Keyring(parsing: "# nothing here\n\n").peers.isEmpty)
        #expect(try Keyring(peers: []).rendered(excluding: []).hasPrefix("#"))
    }

    @Test("a hand-written peer without optional keys gets defaults")
    func defaults() throws {
        let keyring = try Keyring(parsing: text(peerLines(name: "bravo", keys: bravo, trust: nil)))
        let peer = try #require(keyring.peers.first)
        #expect(peer.trust == .limited)
        #expect(peer.addresses.isEmpty)
        #expect(peer.validUntil == Int64.max)
        #expect(peer.revoked == false)
        #expect(peer.added == 0)
        #expect(peer.keys == bravo)
    }

    @Test("a matching fingerprint is accepted in any spelling")
    func matchingFingerprint() throws {
        let spelled = bravo.fingerprint.description.uppercased().replacingOccurrences(of: "-", with: " ")
        let keyring = try Keyring(parsing: text(peerLines(name: "bravo", keys: bravo, fingerprint: spelled)))
        #expect(keyring.peers.first?.fingerprint == bravo.fingerprint)
    }

    @Test("a fingerprint that does not match the identity key is malformedConfig naming the fingerprint")
    func fingerprintMismatch() throws {
        let lines = peerLines(name: "bravo", keys: bravo, fingerprint: charlie.fingerprint.description)
        let error = parseError(lines)
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("fingerprint") == true)
        #expect(error?.message.contains("line 3") == true, "\(error?.message ?? "")")
        #expect(error?.message.hasPrefix("/home/alpha/keyring.toml") == true)
    }

    @Test("a hand-edited identity key no longer matches its fingerprint")
    func editedIdentityKey() throws {
        let lines = peerLines(name: "bravo", keys: bravo, fingerprint: bravo.fingerprint.description)
            .map { $0.hasPrefix("identity") ? "identity = \"\(KeyText.encode(charlie.identity))\"" : $0 }
        let error = parseError(lines)
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("fingerprint") == true)
    }

    @Test("a mistyped fingerprint is malformedConfig")
    func mistypedFingerprint() throws {
        var fingerprint = Array(bravo.fingerprint.description)
        fingerprint[0] = fingerprint[0] == "a" ? "b" : "a"
        let error = parseError(peerLines(name: "bravo", keys: bravo, fingerprint: String(fingerprint)))
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("fingerprint") == true)
    }

    @Test("unknown keys are malformedConfig with the line number")
    func unknownKeys() throws {
        let inPeer = parseError(peerLines(name: "bravo", keys: bravo, extra: ["colour = \"blue\""]))
        #expect(inPeer?.code == .malformedConfig)
        #expect(inPeer?.message.contains("line 8") == true, "\(inPeer?.message ?? "")")
        #expect(inPeer?.message.contains("colour") == true)

        let topLevel = parseError(["version = 2", ""] + peerLines(name: "bravo", keys: bravo))
        #expect(topLevel?.code == .malformedConfig)
        #expect(topLevel?.message.contains("line 1") == true, "\(topLevel?.message ?? "")")

        let second = parseError(peerLines(name: "bravo", keys: bravo) + peerLines(name: "charlie", keys: charlie, extra: ["secret = \"x\""]))
        #expect(second?.code == .malformedConfig)
        #expect(second?.message.contains("line 15") == true, "\(second?.message ?? "")")
    }

    @Test("trust levels are parsed case-insensitively; unknown ones are malformedConfig")
    func trust() throws {
        for (written, level) in [("blocked", TrustLevel.blocked), ("LIMITED", .limited), ("Partner", .partner), ("trusted", .trusted)] {
            #expect(try Keyring(parsing: text(peerLines(name: "bravo", keys: bravo, trust: written))).peers.first?.trust == level)
        }
        for bad in ["friend", "", " partner", "partner ", "trusted!", "2"] {
            let error = parseError(peerLines(name: "bravo", keys: bravo, trust: bad))
            #expect(error?.code == .malformedConfig, "\(bad)")
            #expect(error?.message.contains("trust") == true)
        }
        #expect(parseError(peerLines(name: "bravo", keys: bravo, trust: nil, extra: ["trust = 3"]))?.code == .malformedConfig)
    }

    @Test("duplicate peers in keyring.toml are malformedConfig")
    func duplicates() throws {
        let sameName = parseError(peerLines(name: "bravo", keys: bravo) + peerLines(name: "bravo", keys: charlie))
        #expect(sameName?.code == .malformedConfig)
        #expect(sameName?.message.contains("already exists") == true)
        let sameKey = parseError(peerLines(name: "bravo", keys: bravo) + peerLines(name: "other", keys: bravo))
        #expect(sameKey?.code == .malformedConfig)
    }

    @Test("invalid peer fields are malformedConfig", arguments: [
        ["addresses = [\"nowhere\"]"],
        ["addresses = \"127.0.0.1:7402\""],
        ["valid-until = \"someday\""],
        ["added = 5"],
        ["revoked = \"no\""],
    ])
    func invalidFields(extra: [String]) throws {
        #expect(parseError(peerLines(name: "bravo", keys: bravo, extra: extra))?.code == .malformedConfig)
    }

    @Test("invalid names and keys are malformedConfig")
    func invalidNamesAndKeys() throws {
        #expect(parseError(peerLines(name: "Bravo Node", keys: bravo))?.code == .malformedConfig)
        let lowOrder = peerLines(name: "bravo", keys: bravo)
            .map { $0.hasPrefix("encryption") ? "encryption = \"x25519:\(Data(F.lowOrderX25519[0]).base64EncodedString())\"" : $0 }
        #expect(parseError(lowOrder)?.code == .malformedConfig)
        let swappedKinds = peerLines(name: "bravo", keys: bravo)
            .map { $0.hasPrefix("log") ? "log = \"\(KeyText.encode(bravo.transport))\"" : $0 }
        #expect(parseError(swappedKinds)?.code == .malformedConfig)
        for key in ["identity", "encryption", "transport", "log", "name"] {
            let error = parseError(peerLines(name: "bravo", keys: bravo).filter { !$0.hasPrefix(key + " ") })
            #expect(error?.code == .malformedConfig)
            #expect(error?.message.contains(key) == true)
        }
    }
}

@Suite("Keyring persistence through NodeHome")
struct KeyringPersistenceTests {
    let directory = TemporaryDirectory()
    let home: NodeHome
    let configuration: NodeConfiguration

    init() throws {
        home = NodeHome(path: directory.path)
        configuration = NodeConfiguration(name: "alpha", created: F.now, listen: [], publicKeys: try F.secrets(seed: 1).publicKeys,
                                          protection: .none)
        F.writeFile(Array(configuration.rendered.utf8), to: home.configurationPath, mode: 0o600)
    }

    @Test("saveKeyring then loadKeyring round trips, privately and atomically")
    func saveAndLoad() throws {
        var revoked = try F.peer(try F.secrets(seed: 3), name: "charlie", trust: .blocked)
        revoked.revoked = true
        let keyring = try Keyring(peers: [try F.peer(try F.secrets(seed: 2), name: "bravo", trust: .trusted), revoked])
        try home.saveKeyring(keyring, configuration: configuration)
        #expect(F.mode(home.keyringPath) == 0o600)
        #expect(directory.entries() == ["keyring.toml", "liaison.toml"], "no temporary file is left behind")
        let loaded = try home.loadKeyring(configuration)
        #expect(loaded.peers == keyring.peers)

        // Saving again replaces the file.
        var smaller = try Keyring(peers: [])
        try smaller.add(try F.peer(try F.secrets(seed: 4), name: "delta"))
        try home.saveKeyring(smaller, configuration: configuration)
        #expect(try home.loadKeyring(configuration).peers.map(\.name) == ["delta"])
        #expect(directory.entries() == ["keyring.toml", "liaison.toml"])
    }

    @Test("a missing keyring.toml is an empty keyring")
    func missingKeyring() throws {
        #expect(try home.loadKeyring(configuration).peers.isEmpty)
    }

    @Test("a keyring entry whose fingerprint does not match is refused on load, naming the file")
    func mismatchOnLoad() throws {
        let bravo = try F.secrets(seed: 2).publicKeys, charlie = try F.secrets(seed: 3).publicKeys
        F.writeFile(Array(text(peerLines(name: "bravo", keys: bravo, fingerprint: charlie.fingerprint.description)).utf8),
                    to: home.keyringPath, mode: 0o600)
        let error = F.coreError { try home.loadKeyring(configuration) }
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("fingerprint") == true)
        #expect(error?.message.contains(home.keyringPath) == true)
    }

    @Test("pinned peers in liaison.toml appear in loadKeyring after the imported ones, and are not saved to keyring.toml")
    func pinnedPeers() throws {
        var pinnedConfiguration = configuration
        let pinned = try F.peer(try F.secrets(seed: 5), name: "echo", trust: .trusted)
        pinnedConfiguration.pinnedPeers = [pinned]
        unlink(home.configurationPath)
        F.writeFile(Array(pinnedConfiguration.rendered.utf8), to: home.configurationPath, mode: 0o600)
        let loadedConfiguration = try home.loadConfiguration()
        #expect(loadedConfiguration.pinnedPeers == [pinned])

        var keyring = try home.loadKeyring(loadedConfiguration)
        #expect(keyring.peers == [pinned])
        try keyring.add(try F.peer(try F.secrets(seed: 2), name: "bravo"))
        try home.saveKeyring(keyring, configuration: loadedConfiguration)
        let saved = String(decoding: try #require(F.contents(home.keyringPath)), as: UTF8.self)
        #expect(saved.contains("\"bravo\""))
        #expect(!saved.contains("\"echo\""), "pinned peers stay in liaison.toml only")
        #expect(try home.loadKeyring(loadedConfiguration).peers.map(\.name) == ["bravo", "echo"])
        #expect(try home.loadKeyring(loadedConfiguration).peer(named: "echo")?.trust == .trusted)
    }

    @Test("a pinned peer that duplicates an imported one is malformedConfig naming the pinned peer")
    func pinnedDuplicate() throws {
        let bravo = try F.peer(try F.secrets(seed: 2), name: "bravo")
        try home.saveKeyring(try Keyring(peers: [bravo]), configuration: configuration)
        var pinnedConfiguration = configuration
        pinnedConfiguration.pinnedPeers = [try F.peer(try F.secrets(seed: 2), name: "bravo-pinned")]
        let error = F.coreError { try home.loadKeyring(pinnedConfiguration) }
        #expect(error?.code == .malformedConfig)
        #expect(error?.message.contains("pinned peer \"bravo-pinned\"") == true)
    }

    /// BUG: `loadKeyring` reads keyring.toml with `try?`, so a keyring file that is
    /// present but unreadable as UTF-8 (corruption, a stray byte from an editor) is
    /// silently treated as empty; the next `peers import` then saves over it and
    /// every partner is lost.
    @Test("a keyring.toml that cannot be decoded is an error, not an empty keyring")
    func undecodableKeyring() throws {
        let bravo = try F.secrets(seed: 2).publicKeys
        let bytes = Array("# caf".utf8) + [0xE9] + Array("\n".utf8) + Array(text(peerLines(name: "bravo", keys: bravo)).utf8)
        F.writeFile(bytes, to: home.keyringPath, mode: 0o600)
        let result = Result { try home.loadKeyring(configuration) }
        switch result {
        case .success(let keyring):
            Issue.record("loadKeyring returned \(keyring.peers.count) peers for a keyring.toml it could not decode")
        case .failure(let error):
            #expect([CoreError.Code.malformedConfig, .io].contains((error as? CoreError)?.code))
        }
    }
}

@Suite("Trust levels")
struct TrustLevelTests {
    @Test("levels are ordered blocked < limited < partner < trusted")
    func ordering() {
        #expect(TrustLevel.allCases == [.blocked, .limited, .partner, .trusted])
        #expect(TrustLevel.blocked < .limited)
        #expect(TrustLevel.limited < .partner)
        #expect(TrustLevel.partner < .trusted)
        #expect(!(TrustLevel.trusted < .trusted))
        #expect(TrustLevel.allCases.sorted() == TrustLevel.allCases)
        #expect(TrustLevel.allCases.reversed().sorted() == TrustLevel.allCases)
        #expect(TrustLevel.allCases.max() == .trusted && TrustLevel.allCases.min() == .blocked)
    }

    @Test("parsing is case-insensitive", arguments: [
        ("blocked", TrustLevel.blocked), ("LIMITED", .limited), ("Partner", .partner), ("tRuStEd", .trusted),
    ])
    func parsing(text: String, level: TrustLevel) throws {
        #expect(try TrustLevel(parsing: text) == level)
        #expect(level.description == text.lowercased())
        #expect(level.rawValue == text.lowercased())
    }

    @Test("unknown levels are invalidArgument", arguments: ["", "friend", " partner", "partner ", "trust", "partners", "0"])
    func unknown(text: String) throws {
        let error = F.coreError { try TrustLevel(parsing: text) }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("blocked, limited, partner, trusted") == true)
    }
}
