import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

/// A partner added after a node rotated its keys witnesses that node's log. Found
/// in review: the new partner filed the log under the node's new fingerprint,
/// while the log keeps the name of the first one, so it refused every checkpoint.
/// The card now carries the first identity key's proof of the log's name.
@Suite("Witnessing a node that rotated before the witness was added", .serialized)
struct RotatedWitnessTests {
    @Test("a partner added with the rotated card knows the log by its lifelong name and cosigns it", .timeLimit(.minutes(3)))
    func laterPartnerWitnesses() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "checkpoint-interval-seconds = 1\n")
        try net.startAll()
        let first = try NodeHome(path: net.home("alpha")).loadConfiguration().publicKeys.fingerprint
        let firstSecrets = try ProtocolClient.secrets(home: net.home("alpha"))
        try net.expect(["keys", "rotate", "--yes", "--overlap", "1", "--home", net.home("alpha")])
        let alpha = NodeHome(path: net.home("alpha"))
        let configuration = try alpha.loadConfiguration()
        #expect(configuration.logFingerprint == first && configuration.publicKeys.fingerprint != first)

        // The card for partners added later proves the log's name; so does a fresh one.
        let published = try NodeCard(parsing: try String(contentsOfFile: alpha.rotationCardPath, encoding: .utf8), now: Timestamp.now())
        #expect(published.fingerprint == configuration.publicKeys.fingerprint && published.auditLogFingerprint == first)
        try net.expect(["keys", "card", "--home", net.home("alpha"), "--out", net.dir.file("alpha-now.card")])
        let fresh = try NodeCard(parsing: try String(contentsOfFile: net.dir.file("alpha-now.card"), encoding: .utf8), now: Timestamp.now())
        #expect(fresh.logOrigin == published.logOrigin && fresh.auditLogFingerprint == first)
        let shownKeys = try net.expect(["keys", "show", "--home", net.home("alpha")]).stdout
        #expect(shownKeys.contains("log origin:  \(alpha.logOriginPath)"), "\(shownKeys)")
        // The statement partners of earlier releases read carries the card without it.
        #expect(try alpha.rotation()?.card.logOrigin == nil)

        // Charlie joins after the rotation, with the card alpha hands out now.
        try net.addStranger("charlie")
        try net.expect(["peers", "import", alpha.rotationCardPath, "--home", net.home("charlie"), "--name", "alpha", "--trust", "partner"])
        let keyring = try String(contentsOfFile: net.home("charlie") + "/keyring.toml", encoding: .utf8)
        #expect(keyring.contains("audit-log-name = \"\(first)\""), "\(keyring)")
        let shown = try net.expect(["peers", "show", "alpha", "--home", net.home("charlie")]).stdout
        #expect(shown.contains("audit log: liaison/\(first)"), "\(shown)")
        try net.expect(["peers", "import", net.dir.file("charlie.card"), "--home", net.home("alpha"), "--name", "charlie", "--trust", "partner"])
        try net.daemon("charlie").start()
        let hello = try net.send(Array("to the new partner".utf8), from: "alpha", to: ["charlie"], tlp: "GREEN")
        #expect(try net.waitDelivered(hello, from: "alpha", to: ["charlie"]))

        // Alpha signs a checkpoint every second and asks its witnesses: charlie cosigns one.
        var witnessed: [String: Any] = [:]
        for _ in 0..<40 where witnessed.isEmpty {
            let result = try net.cli.run(["audit", "witnessed", "alpha", "--home", net.home("charlie"), "--json"])
            if result.status == 0 { witnessed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:] }
            else { usleep(250_000) }
        }
        let charlieLog = (net.daemon("charlie").log + net.daemon("alpha").log).split(separator: "\n").filter { ($0.contains("witness") || $0.contains("checkpoint") || $0.contains("charlie")) && !$0.contains("control:") }
        #expect(witnessed["origin"] as? String == NodeLogNames.origin(first),
                "charlie never cosigned alpha's log: \(witnessed)\n\(charlieLog.suffix(30).joined(separator: "\n"))")
        #expect(!net.daemon("alpha").log.contains("witness charlie refused"))
        let added = try #require(try net.auditEvents("charlie", ["--event", "peer.added"]).last)
        #expect(added.details["audit-log"] == first.description, "\(added)")

        // Whoever holds alpha's retired first identity key can name another log key after
        // it, and be added as a partner of its own; its checkpoints under that name are
        // refused (not taken for a fork of alpha's), and alpha's record stays as it was.
        let mallory = try NodeSecrets.generate()
        let now = Timestamp.now()
        let malloryCard = try NodeCard(name: "mallory", secrets: mallory, addresses: [], validFrom: now, validUntil: now + 86_400,
                                       logOrigin: LogOrigin(signing: firstSecrets.identity, log: mallory.log.publicKey))
        try malloryCard.encoded.write(toFile: net.dir.file("mallory.card"), atomically: true, encoding: .utf8)
        try net.expect(["peers", "import", net.dir.file("mallory.card"), "--home", net.home("charlie"), "--name", "mallory", "--trust", "partner"])
        let recordBefore = witnessed["size"] as? Int
        let signer = try NoteSigner(name: NodeLogNames.origin(first), secretKey: mallory.log)
        let forged = try signer.sign(try Checkpoint(origin: NodeLogNames.origin(first), size: 1, rootHash: [UInt8](repeating: 7, count: 32)))
        var client = try ProtocolClient(port: net.ports["charlie"]!)
        try client.handshake(local: mallory.transport, remote: try ProtocolClient.publicKeys(home: net.home("charlie")).transport)
        try client.send(.witnessRequest(note: forged.bytes, oldSize: 0, proof: []))
        let answer = try client.receive()
        guard case .witnessRefused(_, let reason, _) = answer, reason.contains("another log key") else {
            Issue.record("a checkpoint under alpha's log name and another key was not refused as such: \(answer)")
            return
        }
        let after = try JSONSerialization.jsonObject(with: Data(try net.expect(["audit", "witnessed", "alpha", "--home", net.home("charlie"), "--json"]).stdout.utf8)) as? [String: Any]
        #expect((after?["size"] as? Int ?? 0) >= (recordBefore ?? 1), "\(String(describing: after))")
        // Not taken for a fork of alpha's log, but said loudly: alpha's first key named two log keys.
        #expect(!net.daemon("charlie").log.contains("a fork"), "taken for a fork")
        #expect(net.daemon("charlie").log.contains("has named two log keys"), "\(net.daemon("charlie").log.suffix(800))")
        let denied = try net.auditEvents("charlie", ["--event", "checkpoint.cosigned", "--outcome", "denied"])
        #expect(denied.contains { $0.reason?.hasPrefix("witness.other-key") == true }, "\(denied)")

        // A partner that filed the log under the node's new fingerprint (as one did with a
        // card lacking the proof: the statement's) refuses, and says why.
        try net.addStranger("delta")
        let bareCardFile = net.dir.file("alpha-statement.card")
        try #require(try alpha.rotation()).card.encoded.write(toFile: bareCardFile, atomically: true, encoding: .utf8)
        try net.expect(["peers", "import", bareCardFile, "--home", net.home("delta"), "--name", "alpha", "--trust", "partner"])
        try net.expect(["peers", "import", net.dir.file("delta.card"), "--home", net.home("alpha"), "--name", "delta", "--trust", "partner"])
        try net.daemon("delta").start()
        #expect(eventually(timeoutSeconds: 20) {
            net.daemon("alpha").log.contains("witness delta refused checkpoint") && net.daemon("alpha").log.contains("knows your log as liaison/\(configuration.publicKeys.fingerprint)")
        }, "\(net.daemon("alpha").log.split(separator: "\n").filter { $0.contains("delta") }.suffix(5).joined(separator: "\n"))")

        // A node that rotated under a release without the proof makes it at its next
        // start from its previous keys, and its cards carry it again.
        _ = net.daemon("alpha").stop(timeoutSeconds: 10)
        let kept = try String(contentsOfFile: alpha.logOriginPath, encoding: .utf8)
        unlink(alpha.logOriginPath)
        #expect(try net.expect(["keys", "show", "--home", net.home("alpha")]).stdout.contains("log origin:  MISSING"))
        let bareWritten = try net.expect(["keys", "card", "--home", net.home("alpha"), "--out", net.dir.file("alpha-bare.card")])
        #expect(bareWritten.stderr.contains("cannot prove the name of this node's audit log"), "\(bareWritten.stderr)")
        let bare = try NodeCard(parsing: try String(contentsOfFile: net.dir.file("alpha-bare.card"), encoding: .utf8), now: Timestamp.now())
        #expect(bare.logOrigin == nil)
        // The card handed to partners added later (the statement's, as an earlier release
        // wrote it) is made again to carry it.
        try #require(try alpha.rotation()).card.encoded.write(toFile: alpha.rotationCardPath, atomically: true, encoding: .utf8)
        try net.daemon("alpha").start()
        #expect(try String(contentsOfFile: alpha.logOriginPath, encoding: .utf8) == kept)
        let remade = try NodeCard(parsing: try String(contentsOfFile: alpha.rotationCardPath, encoding: .utf8), now: Timestamp.now())
        #expect(remade.auditLogFingerprint == first && remade.keys == configuration.publicKeys)
        // An altered file is an error that says what to do, not a card without the proof.
        try kept.replacingOccurrences(of: "log-name: ", with: "log-name:  ").write(toFile: alpha.logOriginPath, atomically: true, encoding: .utf8)
        let refusedCard = try net.cli.run(["keys", "card", "--home", net.home("alpha"), "--out", net.dir.file("alpha-bad.card")])
        #expect(refusedCard.status != 0 && refusedCard.stderr.contains("log-origin.txt"), "\(refusedCard.stderr)")
    }
}
