import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

@Suite("A node rotating its keys, on real daemons", .serialized)
struct KeyRotationTests {
    /// `peers show NAME --json` at `node`: its status (fingerprint, previous fingerprint, …).
    private func peerStatus(_ name: String, at node: String, in net: DaemonNetwork) throws -> [String: Any] {
        let shown = try net.expect(["peers", "show", name, "--home", net.home(node), "--json"]).stdout
        let detail = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any] ?? [:]
        return detail["status"] as? [String: Any] ?? [:]
    }

    /// `receipts --json` at `node`: package id → whether its signature verifies now.
    private func receipts(at node: String, in net: DaemonNetwork) throws -> [String: Bool] {
        let out = try net.expect(["receipts", "--home", net.home(node), "--json"]).stdout
        let items = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: items.compactMap { item in
            (item["id"] as? String).map { ($0, item["signatureValid"] as? Bool ?? false) }
        })
    }

    @Test("a rotated key keeps delivery going", .timeLimit(.minutes(3)))
    func rotatedKeyKeepsDeliveryGoing() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let first = try net.send(Array("before anything".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(first, from: "alpha", to: ["bravo"]))
        let oldAlpha = try ProtocolClient.publicKeys(home: net.home("alpha"))
        // A checkpoint signed before the rotation: the log's name must not change with the keys.
        try net.expect(["audit", "checkpoint", "--home", net.home("alpha")])

        // Bravo queues a package for alpha while alpha is down: sealed to alpha's old encryption key.
        _ = net.daemon("alpha").stop(timeoutSeconds: 10)
        let toOldKey = try net.send(Array("sealed to alpha's old key".utf8), from: "bravo", to: ["alpha"], tlp: "GREEN")
        // Alpha queues one for bravo while bravo is down: signed by alpha's old identity key.
        _ = net.daemon("bravo").stop(timeoutSeconds: 10)
        try net.daemon("alpha").start()
        let queuedBefore = try net.send(Array("queued before the rotation".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")

        // Without --yes and without a terminal, nothing happens.
        let unconfirmed = try net.cli.run(["keys", "rotate", "--home", net.home("alpha")])
        #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains("--yes"))
        let noOverlap = try net.cli.run(["keys", "rotate", "--yes", "--overlap", "0", "--home", net.home("alpha")])
        #expect(noOverlap.status != 0 && noOverlap.stderr.contains("--overlap"))
        #expect(!FileManager.default.fileExists(atPath: net.home("alpha") + "/keys/rotation.txt"))

        let result = try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("alpha"), "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["previous"] as? String == oldAlpha.fingerprint.description, "\(result.stdout)")
        #expect((report["unreached"] as? [[String: Any]])?.map { $0["peer"] as? String } == ["bravo"], "\(result.stdout)")
        let newAlpha = try ProtocolClient.publicKeys(home: net.home("alpha"))
        #expect(report["node"] as? String == newAlpha.fingerprint.description)
        // Not again during the overlap: a matter of time (75), not a usage error.
        let tooSoon = try net.cli.run(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("alpha")])
        #expect(tooSoon.status == 75 && tooSoon.stderr.contains("overlap window is open"), "\(tooSoon.status) \(tooSoon.stderr)")
        #expect(newAlpha.fingerprint != oldAlpha.fingerprint && newAlpha.log == oldAlpha.log)
        #expect(newAlpha.encryption != oldAlpha.encryption && newAlpha.transport != oldAlpha.transport)
        let shown = try net.expect(["keys", "show", "--home", net.home("alpha")]).stdout
        #expect(shown.contains("rotated:") && shown.contains(oldAlpha.fingerprint.description), "\(shown)")

        // The statement on file verifies with the old key and carries the new card.
        let statement = try RotationStatement(text: try String(contentsOfFile: net.home("alpha") + "/keys/rotation.txt", encoding: .utf8),
                                              now: Timestamp.now())
        #expect(statement.verify(previousIdentity: oldAlpha.identity) && statement.card.keys == newAlpha)
        // One rotation at a time: not again while partners may still use the previous keys.
        let again = try net.cli.run(["keys", "rotate", "--yes", "--home", net.home("alpha")])
        #expect(again.status != 0 && again.stderr.contains("overlap window"), "\(again.stderr)")
        #expect(try ProtocolClient.publicKeys(home: net.home("alpha")) == newAlpha)

        // During the overlap alpha still answers a handshake to its previous transport key.
        var client = try ProtocolClient(port: net.ports["alpha"]!)
        try client.handshake(local: try ProtocolClient.secrets(home: net.home("bravo")).transport, remote: oldAlpha.transport)
        try client.send(.close(reason: .done))

        // A package sent after the rotation, while bravo is still down.
        let queuedAfter = try net.send(Array("sent after the rotation".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")

        // Bravo comes back: it is told over the transport, with no operator action,
        // and everything queued on either side is delivered with verified receipts.
        try net.daemon("bravo").start()
        #expect(try eventually(timeoutSeconds: 30) {
            try peerStatus("alpha", at: "bravo", in: net)["fingerprint"] as? String == newAlpha.fingerprint.description
        }, "bravo never took alpha's new keys")
        let atBravo = try peerStatus("alpha", at: "bravo", in: net)
        #expect(atBravo["previousFingerprint"] as? String == oldAlpha.fingerprint.description, "\(atBravo)")
        #expect(atBravo["previousKeysUntil"] as? String == Timestamp.iso8601(statement.overlapUntil))
        let keyring = try String(contentsOfFile: net.home("bravo") + "/keyring.toml", encoding: .utf8)
        #expect(keyring.contains("previous-identity = \"\(KeyText.encode(oldAlpha.identity))\""))
        #expect(keyring.contains("log-name = \"\(oldAlpha.fingerprint)\""))
        #expect(NodeHome(path: net.home("bravo")).retiredPeerKeys().map(\.identity) == [oldAlpha.identity])
        #expect(try net.waitDelivered(queuedBefore, from: "alpha", to: ["bravo"]))
        #expect(try net.waitDelivered(queuedAfter, from: "alpha", to: ["bravo"]))
        #expect(try net.waitDelivered(toOldKey, from: "bravo", to: ["alpha"]))
        #expect(eventually(timeoutSeconds: 10) { !FileManager.default.fileExists(atPath: net.home("alpha") + "/keys/rotation-pending.txt") })
        #expect(try net.fetch(queuedBefore, at: "bravo") == Array("queued before the rotation".utf8))
        #expect(try net.fetch(queuedAfter, at: "bravo") == Array("sent after the rotation".utf8))
        // alpha rotated, and is still bravo's partner: none of its packages is shown as from a removed peer.
        let listed = try net.expect(["inbox", "list", "--home", net.home("bravo")]).stdout
        #expect(listed.contains("alpha") && !listed.contains("(removed)"), "\(listed)")
        #expect(try net.fetch(toOldKey, at: "alpha") == Array("sealed to alpha's old key".utf8))

        // Bravo sends to alpha after the rotation: sealed to the new key, opened at alpha.
        let reply = try net.send(Array("reply after the rotation".utf8), from: "bravo", to: ["alpha"], tlp: "GREEN")
        #expect(try net.waitDelivered(reply, from: "bravo", to: ["alpha"]), "\(net.daemon("bravo").log.split(separator: "\n").filter { !$0.contains("control:") }.suffix(40).joined(separator: "\n"))")
        #expect(try net.fetch(reply, at: "alpha") == Array("reply after the rotation".utf8))

        // Every receipt still verifies on both sides.
        let alphaReceipts = try receipts(at: "alpha", in: net)
        #expect([first, queuedBefore, queuedAfter].allSatisfy { alphaReceipts[$0] == true }, "\(alphaReceipts)")
        let bravoReceipts = try receipts(at: "bravo", in: net)
        #expect([toOldKey, reply].allSatisfy { bravoReceipts[$0] == true }, "\(bravoReceipts)")
        // Exported, each receipt is checked with the card of the key that signed it: the
        // first card for one signed before the rotation, and the other card is refused
        // as the wrong one, saying so.
        let newCard = net.dir.file("alpha-rotated.card")
        try net.expect(["keys", "card", "--home", net.home("alpha"), "--out", newCard])
        for id in [toOldKey, reply] {
            let exported = net.dir.file("\(id).receipt")
            try net.expect(["receipts", "export", id, "--out", exported, "--home", net.home("bravo")])
            let results = try [net.dir.file("alpha.card"), newCard].map { try net.cli.run(["receipts", "check", exported, "--card", $0]) }
            #expect(results.map(\.status).sorted() == [0, 64], "\(results.map(\.stderr))")
            #expect(results.contains { $0.stderr.contains("if it rotated its keys since, its card from before") })
        }

        // The auditor's view of alpha at bravo holds alpha's whole history, under both its keys.
        let aboutAlpha = try net.auditEvents("bravo", ["--peer", "alpha"])
        #expect(Set(aboutAlpha.compactMap(\.peer)) == [oldAlpha.fingerprint.description, newAlpha.fingerprint.description])
        #expect(aboutAlpha.contains { $0.package == first } && aboutAlpha.contains { $0.package == reply })
        #expect(aboutAlpha.contains { $0.kind == .peerAdded } && aboutAlpha.contains { $0.kind == .keyRotated })
        // A fingerprint asks for that key's entries alone.
        let underOldKey = try net.auditEvents("bravo", ["--peer", oldAlpha.fingerprint.description])
        #expect(!underOldKey.isEmpty && underOldKey.allSatisfy { $0.peer == oldAlpha.fingerprint.description })
        #expect(underOldKey.contains { $0.package == first })
        let unknown = try net.cli.run(["audit", "query", "--home", net.home("bravo"), "--peer", "alfa"])
        #expect(unknown.status == 66 && unknown.stderr.contains("fingerprint"), "\(unknown.stderr)")

        // key.rotated at alpha (by the operator, before anything changed) and at bravo (actor alpha's old id).
        let own = try #require(try net.auditEvents("alpha").first { $0.kind == .keyRotated })
        #expect(own.outcome == .ok && own.details["by"] == "self" && own.details["fingerprint"] == newAlpha.fingerprint.description)
        let taken = try #require(try net.auditEvents("bravo").first { $0.kind == .keyRotated })
        #expect(taken.outcome == .ok && taken.actor == .peer(oldAlpha.fingerprint.description) && taken.peerName == "alpha")
        #expect(taken.details["previous"] == oldAlpha.fingerprint.description && taken.details["fingerprint"] == newAlpha.fingerprint.description)

        // A restarted alpha still signs checkpoints under its log's name, and the log verifies.
        _ = net.daemon("alpha").stop(timeoutSeconds: 10)
        try net.daemon("alpha").start()
        let afterRestart = try net.send(Array("after a restart".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(afterRestart, from: "alpha", to: ["bravo"]))
        try net.expect(["audit", "checkpoint", "--home", net.home("alpha")])
        try net.expect(["audit", "verify", "--database", net.home("alpha") + "/audit.db", "--home", net.home("alpha")])

        // The card from before the rotation is refused under another name while alpha is
        // known (its key was rotated away), and after alpha is removed; the current one is taken.
        let alias = try net.cli.run(["peers", "import", net.dir.file("alpha.card"), "--home", net.home("bravo"), "--name", "alpha2", "--trust", "partner"])
        #expect(alias.status == 64 && alias.stderr.contains("was rotated away by its node: alpha has held"), "\(alias.stderr)")
        try net.expect(["peers", "remove", "alpha", "--home", net.home("bravo")])
        let stale = try net.cli.run(["peers", "import", net.dir.file("alpha.card"), "--home", net.home("bravo"), "--name", "alpha", "--trust", "partner"])
        #expect(stale.status == 64 && stale.stderr.contains("was rotated away by its node") && stale.stderr.contains("keys/card.txt"), "\(stale.stderr)")
        try net.expect(["peers", "import", net.home("alpha") + "/keys/card.txt", "--home", net.home("bravo"), "--name", "alpha", "--trust", "partner"])
        // Filed under its new fingerprint now, alpha's history before the removal is still its history.
        let history = try net.auditEvents("bravo", ["--peer", "alpha"]).map(\.kind)
        #expect(history.contains(.keyRotated) && history.contains(.peerRemoved) && history.contains(.packageReceived), "\(history)")
    }

    @Test("a partner that took the new card instead of the rotation refuses what was sealed before it; the failure says what to do",
          .timeLimit(.minutes(3)))
    func newCardInsteadOfRotation() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()   // bravo is down
        let before = try net.send(Array("sealed before the rotation".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("alpha")])
        _ = net.daemon("alpha").stop(timeoutSeconds: 10)
        // Bravo's operator, never told, takes alpha's new card by hand.
        try net.daemon("bravo").start()
        try net.expect(["peers", "remove", "alpha", "--home", net.home("bravo")])
        try net.expect(["peers", "import", net.home("alpha") + "/keys/card.txt", "--home", net.home("bravo"), "--name", "alpha", "--trust", "partner"])
        try net.daemon("alpha").start()
        #expect(try eventually(timeoutSeconds: 30) { try net.deliveryStates(before, at: "alpha")["bravo"] == "failed" })
        let listed = try net.expect(["outbox", "list", "--home", net.home("alpha")]).stdout
        #expect(listed.contains("sealed under this node's keys from before its rotation") && listed.contains("send the file again"), "\(listed)")
        // Alpha's first card is refused now: the card bravo took proves that first key's lineage.
        let stale = try net.cli.run(["peers", "import", net.dir.file("alpha.card"), "--home", net.home("bravo"), "--name", "alpha2", "--trust", "partner"])
        #expect(stale.status == 64 && stale.stderr.contains("was rotated away by its node"), "\(stale.stderr)")
        // What is sent now arrives.
        let after = try net.send(Array("sealed after it".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(after, from: "alpha", to: ["bravo"]))
    }

    @Test("partners never told before the overlap ended are named as such, and struck off once a session with the new keys joins them, either way",
          .timeLimit(.minutes(3)))
    func overlapEndedUntold() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        // Alpha rotated three days ago with a one-day overlap while bravo and charlie were
        // away: made on disk as `keys rotate` makes it, with that time.
        let home = NodeHome(path: net.home("alpha"))
        let configuration = try home.loadConfiguration()
        let (current, sealing) = try home.loadSecretsRetainingKey(configuration, passphrase: PassphraseSource())
        let then = Timestamp.now() - 3 * 86_400
        let prepared = try home.prepareRotation(configuration, current: current, previous: { nil }, now: then, overlapSeconds: 86_400)
        _ = try home.commitRotation(prepared, configuration: configuration, current: current, sealing: sealing)
        let partners = try ["bravo", "charlie"].map { try ProtocolClient.publicKeys(home: net.home($0)).fingerprint.description }
        try home.savePendingRotationPeers(partners)

        let shown = try net.expect(["keys", "show", "--home", net.home("alpha")]).stdout
        #expect(shown.contains("NEVER TOLD before the overlap ended: bravo, charlie") && shown.contains("keys/card.txt"), "\(shown)")
        try net.daemon("alpha").start()
        let status = try net.expect(["status", "--home", net.home("alpha")]).stdout
        #expect(status.contains("NEVER TOLD of the key rotation before its overlap ended: bravo, charlie"), "\(status)")
        // Their operators take the new card by hand.
        for partner in ["bravo", "charlie"] {
            try net.daemon(partner).start()
            try net.expect(["peers", "remove", "alpha", "--home", net.home(partner)])
            try net.expect(["peers", "import", home.rotationCardPath, "--home", net.home(partner), "--name", "alpha", "--trust", "partner"])
        }
        // Bravo dials alpha with the new keys: struck off as alpha answers.
        let fromBravo = try net.send(Array("to alpha".utf8), from: "bravo", to: ["alpha"], tlp: "GREEN")
        #expect(try net.waitDelivered(fromBravo, from: "bravo", to: ["alpha"]))
        #expect(try eventually(timeoutSeconds: 10) { home.pendingRotationPeers() == [partners[1]] }, "\(home.pendingRotationPeers())")
        // Alpha dials charlie with the new keys: struck off too.
        let toCharlie = try net.send(Array("after the overlap".utf8), from: "alpha", to: ["charlie"], tlp: "GREEN")
        #expect(try net.waitDelivered(toCharlie, from: "alpha", to: ["charlie"]))
        #expect(try eventually(timeoutSeconds: 10) { home.pendingRotationPeers().isEmpty })
        #expect(!(try net.expect(["status", "--home", net.home("alpha")]).stdout.contains("NEVER TOLD")))
    }

    @Test("a home that mixes a rotation's statement with the key file from before it is refused at start, and liaison.toml left as it was")
    func mixedHomeRefused() throws {
        let net = try DaemonNetwork(["alpha"])
        let home = net.home("alpha")
        let before = (config: try Data(contentsOf: URL(fileURLWithPath: home + "/liaison.toml")),
                      keys: try Data(contentsOf: URL(fileURLWithPath: home + "/keys/node.secrets")))
        try net.daemon("alpha").start()
        try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", home])
        _ = net.daemon("alpha").stop(timeoutSeconds: 10)
        // A backup from before the rotation copied over the files it has (found in an
        // operator's trial): the start took it for a cut-off rotation and rewrote liaison.toml.
        try before.config.write(to: URL(fileURLWithPath: home + "/liaison.toml"))
        try before.keys.write(to: URL(fileURLWithPath: home + "/keys/node.secrets"))
        let refused = try DeliveryTests.runDaemonToExit(home: home)
        #expect(refused.status != 0 && refused.stderr.contains("mixes files from before and after"), "\(refused.status) \(refused.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: home + "/liaison.toml")) == before.config, "liaison.toml was changed")
    }

    @Test("a rotation statement not signed by the peer's own key is refused, audited, and changes nothing",
          .timeLimit(.minutes(1)))
    func forgedRotationIsRefused() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let charlie = try ProtocolClient.secrets(home: net.home("charlie"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let now = Timestamp.now()
        let fresh = try NodeSecrets.generate()
        // A rotation keeps the log key.
        let card = try NodeCard(name: "alpha", secrets: NodeSecrets(identity: fresh.identity, encryption: fresh.encryption, transport: fresh.transport, log: alpha.log),
                                addresses: [], validFrom: now, validUntil: now + 86_400)
        let otherLog = try NodeCard(name: "alpha", secrets: fresh, addresses: [], validFrom: now, validUntil: now + 86_400)
        // Charlie's genuine rotation relayed by alpha; then one naming alpha's key, signed by charlie's.
        let relayed = try RotationStatement(previous: charlie.identity, card: card, rotatedAt: now, overlapUntil: now + 3_600).encoded
        let genuine = try RotationStatement(previous: alpha.identity, card: card, rotatedAt: now, overlapUntil: now + 3_600)
        let forged = genuine.body + charlie.identity.signature(for: genuine.body)
        // Signed by alpha, but its card changes the log key: its real checkpoints would then be refused.
        let newLogKey = try RotationStatement(previous: alpha.identity, card: otherLog, rotatedAt: now, overlapUntil: now + 3_600).encoded
        for statement in [relayed, forged, newLogKey] {
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: alpha.transport, remote: bravoKeys.transport)
            try client.send(.rotation(statement))
            #expect(try client.receive() == .close(reason: .protocolError))
        }
        let status = try peerStatus("alpha", at: "bravo", in: net)
        #expect(status["fingerprint"] as? String == alpha.publicKeys.fingerprint.description && status["previousFingerprint"] == nil)
        let events = try net.auditEvents("bravo").filter { $0.kind == .keyRotated }
        #expect(events.count == 3 && events.allSatisfy { $0.outcome == .denied && $0.peerName == "alpha" })
        #expect(events.last?.reason?.contains("log key") == true, "\(events.map(\.reason))")
        #expect(events.allSatisfy { $0.reason?.hasPrefix("identity.rotation-refused") == true }, "\(events.map(\.reason))")

        // The genuine statement is taken, and the same one again is acknowledged without change.
        for _ in 0..<2 {
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: alpha.transport, remote: bravoKeys.transport)
            try client.send(.rotation(genuine.encoded))
            #expect(try client.receive() == .rotationAccepted)
        }
        let rotated = try peerStatus("alpha", at: "bravo", in: net)
        #expect(rotated["fingerprint"] as? String == card.fingerprint.description)
        #expect(rotated["previousFingerprint"] as? String == alpha.publicKeys.fingerprint.description)
        #expect(try net.auditEvents("bravo").filter { $0.kind == .keyRotated && $0.outcome == .ok }.count == 1)
    }
}
