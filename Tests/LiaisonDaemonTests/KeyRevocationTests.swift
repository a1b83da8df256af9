import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

@Suite("A node revoking its own identity key, on real daemons", .serialized)
struct KeyRevocationTests {
    /// `peers show NAME --json` at `node`: whether it is marked revoked.
    private func isRevoked(_ name: String, at node: String, in net: DaemonNetwork) throws -> Bool {
        let shown = try net.expect(["peers", "show", name, "--home", net.home(node), "--json"]).stdout
        let detail = try JSONSerialization.jsonObject(with: Data(shown.utf8)) as? [String: Any] ?? [:]
        return (detail["status"] as? [String: Any])?["revoked"] as? Bool == true
    }

    @Test("a forged revocation (another key's) is refused and changes nothing", .timeLimit(.minutes(1)))
    func forgedIsRefused() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let charlie = try ProtocolClient.secrets(home: net.home("charlie"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        // Charlie's genuine statement about itself, relayed by alpha; then a statement
        // naming alpha's key but signed by charlie's.
        let relayed = try RevocationStatement(revoking: charlie.identity, at: Timestamp.now(), reason: "not yours to send").encoded
        let genuine = try RevocationStatement(revoking: alpha.identity, at: Timestamp.now(), reason: "forged")
        let forged = genuine.body + charlie.identity.signature(for: genuine.body)
        for statement in [relayed, forged] {
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: alpha.transport, remote: bravoKeys.transport)
            try client.send(.revocation(statement))
            #expect(try client.receive() == .close(reason: .protocolError))
        }
        #expect(try !isRevoked("alpha", at: "bravo", in: net))
        #expect(try !isRevoked("charlie", at: "bravo", in: net))
        let events = try net.auditEvents("bravo").filter { $0.kind == .keyRevoked }
        #expect(events.count == 2 && events.allSatisfy { $0.outcome == .denied && $0.peerName == "alpha" })
        #expect(events.allSatisfy { $0.reason?.hasPrefix("identity.revocation-signature-invalid") == true })
    }

    @Test("keys revoke tells running partners, who honour it at once; the node sends nothing more",
          .timeLimit(.minutes(2)))
    func revokeOwnKey() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        // A session in use before the revocation; and a package for charlie (not running) queued.
        let warm = try net.send(Array("warm-up".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(warm, from: "alpha", to: ["bravo"]))
        let queued = try net.send(Array("for charlie".utf8), from: "alpha", to: ["charlie"], tlp: "GREEN")

        // Without --yes and without a terminal, nothing happens.
        let unconfirmed = try net.cli.run(["keys", "revoke", "--home", net.home("alpha")])
        #expect(unconfirmed.status != 0 && unconfirmed.stderr.contains("--yes"))
        #expect(!FileManager.default.fileExists(atPath: net.home("alpha") + "/keys/revocation.txt"))
        // Nor without a reason: it is signed into the statement for good.
        let noReason = try net.cli.run(["keys", "revoke", "--yes", "--home", net.home("alpha")])
        #expect(noReason.status == 64 && noReason.stderr.contains("--reason"), "\(noReason.stderr)")
        #expect(!FileManager.default.fileExists(atPath: net.home("alpha") + "/keys/revocation.txt"))

        let result = try net.expect(["keys", "revoke", "--yes", "--reason", "laptop stolen", "--home", net.home("alpha"), "--json"])
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["told"] as? [String] == ["bravo"], "\(result.stdout)")
        #expect((report["unreached"] as? [[String: Any]])?.map { $0["peer"] as? String } == ["charlie"])
        let alphaFingerprint = try #require(report["node"] as? String)
        let shown = try net.expect(["status", "--home", net.home("alpha")]).stdout
        #expect(shown.hasPrefix("node: alpha (REVOKED: this node revoked its own key; it sends nothing more)"), "\(shown)")

        // The statement file is kept and verifies with alpha's key.
        let text = try String(contentsOfFile: net.home("alpha") + "/keys/revocation.txt", encoding: .utf8)
        let statement = try RevocationStatement(text: text)
        let alphaKeys = try ProtocolClient.publicKeys(home: net.home("alpha"))
        #expect(statement.verify(identity: alphaKeys.identity) && statement.reason == "laptop stolen")
        #expect(try String(contentsOfFile: net.home("alpha") + "/keys/revocation-pending.txt", encoding: .utf8).contains(
            try ProtocolClient.publicKeys(home: net.home("charlie")).fingerprint.description))

        // Alpha audited its own revocation first; bravo honoured it with alpha as the actor.
        let own = try #require(try net.auditEvents("alpha").first { $0.kind == .keyRevoked })
        #expect(own.details["reason"] == "laptop stolen" && own.details["by"] == "self")
        let honoured = try #require(try net.auditEvents("bravo").first { $0.kind == .keyRevoked })
        #expect(honoured.actor == .peer(alphaFingerprint) && honoured.outcome == .ok && honoured.peerName == "alpha")
        #expect(honoured.details["reason"] == "laptop stolen" && honoured.details["revoked-at"] == Timestamp.iso8601(statement.revokedAt))
        #expect(try isRevoked("alpha", at: "bravo", in: net))

        // Alpha refuses new sends and forwards; its queued package is never delivered.
        let refused = try net.cli.run(["send", net.dir.write("late.txt", Array("late".utf8)), "--home", net.home("alpha"),
                                       "--to", "bravo", "--tlp", "GREEN"])
        #expect(refused.status != 0 && refused.stderr.contains("node.revoked"), "\(refused.stderr)")
        let forwarded = try net.cli.run(["forward", warm, "--home", net.home("alpha"), "--to", "bravo"])
        #expect(forwarded.status != 0 && forwarded.stderr.contains("node.revoked"), "\(forwarded.stderr)")

        // Charlie comes up: the daemon retries and tells it; the queued package fails instead of leaving.
        try net.daemon("charlie").start()
        #expect(try eventually(timeoutSeconds: 20) { try isRevoked("alpha", at: "charlie", in: net) }, "charlie was never told")
        #expect(eventually(timeoutSeconds: 10) { !FileManager.default.fileExists(atPath: net.home("alpha") + "/keys/revocation-pending.txt") })
        #expect(try eventually(timeoutSeconds: 10) { try net.deliveryStates(queued, at: "alpha")["charlie"] == "failed" })
        #expect(try net.inbox("charlie").isEmpty)

        // Revoking again re-sends the same statement, and says so: the new reason is not used.
        let again = try net.expect(["keys", "revoke", "--yes", "--reason", "another reason", "--home", net.home("alpha")]).stdout
        #expect(again.contains("was already revoked") && again.contains("The reason given now is not used") && again.contains("Reason: laptop stolen"),
                "\(again)")
        #expect(try RevocationStatement(text: try String(contentsOfFile: net.home("alpha") + "/keys/revocation.txt", encoding: .utf8)) == statement)
        // keys show says so first (auditors are sent there for the log and witness keys).
        let ownKeys = try net.expect(["keys", "show", "--home", net.home("alpha")]).stdout
        #expect(ownKeys.contains("REVOKED:     this node revoked its own identity key on"), "\(ownKeys)")
        #expect(try net.expect(["keys", "show", "--home", net.home("alpha"), "--json"]).stdout.contains(#""revokedAt":"#))

        // A package signed by alpha's (revoked) key no longer verifies at bravo, and its handshakes are refused.
        #expect(try net.inbox("bravo") == [warm])
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        #expect(throws: (any Error).self) {
            try client.handshake(local: try ProtocolClient.secrets(home: net.home("alpha")).transport, remote: bravoKeys.transport)
        }
        let opened = try net.cli.run(["inbox", "get", warm, "--home", net.home("bravo"), "--out", net.dir.file("warm.out")])
        #expect(opened.status != 0 && opened.stderr.contains("package.sender-revoked"), "\(opened.stderr)")
    }

    @Test("after a rotation (a thief's, say), the rotated-away key still revokes the peer: on a session and by import",
          .timeLimit(.minutes(2)))
    func revokedThroughRotation() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        let old = try ProtocolClient.secrets(home: net.home("alpha"))
        try net.startAll()
        // Whoever holds alpha's keys rotates them; the partners take the new ones.
        try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("alpha")])
        let rotated = try ProtocolClient.publicKeys(home: net.home("alpha")).fingerprint.description
        for partner in ["bravo", "charlie"] {
            #expect(try eventually(timeoutSeconds: 30) {
                let shown = try net.expect(["peers", "show", "alpha", "--home", net.home(partner), "--json"]).stdout
                return shown.contains(rotated)
            }, "\(partner) never took alpha's new keys")
        }
        _ = net.daemon("alpha").stop(timeoutSeconds: 10)
        // The owner revokes the key it held before the rotation.
        let statement = try RevocationStatement(revoking: old.identity, at: Timestamp.now(), reason: "stolen; the rotation was not ours")

        // To bravo by other means.
        let file = net.dir.write("old-key-revocation.txt", Array(statement.text.utf8))
        let imported = try net.expect(["peers", "import-revocation", file, "--home", net.home("bravo")]).stdout
        #expect(imported.contains("revoked its own key on") && imported.contains(", reason: "), "\(imported)")
        #expect(try isRevoked("alpha", at: "bravo", in: net))
        // Again: it says nothing changed.
        let again = try net.expect(["peers", "import-revocation", file, "--home", net.home("bravo")]).stdout
        #expect(again.contains("is already marked revoked here; nothing changed"), "\(again)")
        let revoked = try String(contentsOfFile: net.home("bravo") + "/keys/revoked-peers.txt", encoding: .utf8)
        #expect(revoked.contains(KeyText.encode(old.identity.publicKey)), "the rotated-away key itself is recorded revoked")

        // To charlie on a session made with the previous transport key (accepted during the overlap).
        var client = try ProtocolClient(port: net.ports["charlie"]!)
        try client.handshake(local: old.transport, remote: try ProtocolClient.publicKeys(home: net.home("charlie")).transport)
        try client.send(.revocation(statement.encoded))
        #expect(try client.receive() == .close(reason: .revoked))
        #expect(try isRevoked("alpha", at: "charlie", in: net))
        let event = try #require(try net.auditEvents("charlie").last { $0.kind == .keyRevoked })
        #expect(event.outcome == .ok && event.details["identity"] == KeyText.encode(old.identity.publicKey), "\(event)")
    }

    @Test("a statement handed over by other means is imported with peers import-revocation; forgeries are refused",
          .timeLimit(.minutes(1)))
    func importRevocation() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.daemon("alpha").start()
        try net.expect(["keys", "revoke", "--yes", "--reason", "disk lost", "--home", net.home("alpha")])
        _ = net.daemon("alpha").stop(timeoutSeconds: 5)
        try net.daemon("bravo").start()
        #expect(try !isRevoked("alpha", at: "bravo", in: net))

        // A statement naming alpha but signed by charlie, and an edited file, are refused.
        let file = net.home("alpha") + "/keys/revocation.txt"
        let genuine = try RevocationStatement(text: try String(contentsOfFile: file, encoding: .utf8))
        let charlie = try ProtocolClient.secrets(home: net.home("charlie"))
        let forged = try RevocationStatement(decoding: genuine.body + charlie.identity.signature(for: genuine.body))
        let forgedFile = net.dir.write("forged.txt", Array(forged.text.utf8))
        let refused = try net.cli.run(["peers", "import-revocation", forgedFile, "--home", net.home("bravo")])
        #expect(refused.status != 0 && refused.stderr.contains("identity.revocation-signature-invalid"), "\(refused.stderr)")
        let edited = net.dir.write("edited.txt", Array(genuine.text.replacingOccurrences(of: "disk lost", with: "routine").utf8))
        let malformed = try net.cli.run(["peers", "import-revocation", edited, "--home", net.home("bravo")])
        #expect(malformed.status != 0 && malformed.stderr.contains("identity.malformed-revocation"), "\(malformed.stderr)")
        #expect(try !isRevoked("alpha", at: "bravo", in: net))

        let imported = try net.expect(["peers", "import-revocation", file, "--home", net.home("bravo")]).stdout
        #expect(imported.contains("revoked its own key on") && imported.contains(", reason: "), "\(imported)")
        #expect(try isRevoked("alpha", at: "bravo", in: net))
        // Again: it says nothing changed.
        let again = try net.expect(["peers", "import-revocation", file, "--home", net.home("bravo")]).stdout
        #expect(again.contains("is already marked revoked here; nothing changed"), "\(again)")
        let shown = try net.expect(["peers", "show", "alpha", "--home", net.home("bravo")]).stdout
        #expect(shown.contains("(nothing goes to it: it is revoked)"), "\(shown)")
        let event = try #require(try net.auditEvents("bravo").first { $0.kind == .keyRevoked })
        #expect(event.peerName == "alpha" && event.details["by"] == "statement" && event.details["reason"] == "disk lost")

        // A node that does not know alpha yet records the revocation (it is signed by the
        // key it revokes), and refuses alpha's card when someone imports it afterwards.
        try net.addStranger("delta")
        try net.daemon("delta").start()
        let refusedForgery = try net.cli.run(["peers", "import-revocation", forgedFile, "--home", net.home("delta")])
        #expect(refusedForgery.status != 0 && refusedForgery.stderr.contains("identity.revocation-signature-invalid"), "\(refusedForgery.stderr)")
        let unknown = try net.expect(["peers", "import-revocation", file, "--home", net.home("delta")]).stdout
        #expect(unknown.contains("No peer here holds") && unknown.contains("recorded revoked"), "\(unknown)")
        let card = try net.cli.run(["peers", "import", net.dir.file("alpha.card"), "--home", net.home("delta"), "--name", "alpha", "--trust", "partner"])
        #expect(card.status != 0 && card.stderr.contains("was revoked on this node"), "\(card.status) \(card.stderr)")
        let recorded = try #require(try net.auditEvents("delta").last { $0.kind == .keyRevoked })
        #expect(recorded.details["known"] == "false" && recorded.details["by"] == "statement"
                && recorded.details["fingerprint"] == genuine.fingerprint.description, "\(recorded)")
        // A statement revoking delta's own key, signed with it, is refused loudly: someone else holds that key.
        let own = try RevocationStatement(revoking: try ProtocolClient.secrets(home: net.home("delta")).identity, at: Timestamp.now(), reason: "")
        let ownFile = net.dir.write("own.txt", Array(own.text.utf8))
        let refusedOwn = try net.cli.run(["peers", "import-revocation", ownFile, "--home", net.home("delta")])
        #expect(refusedOwn.status != 0 && refusedOwn.stderr.contains("revokes this node's own key"), "\(refusedOwn.stderr)")
        #expect(net.daemon("delta").log.contains("someone else holds it"))
        #expect(!FileManager.default.fileExists(atPath: net.home("delta") + "/keys/revocation.txt"))
    }
}
