import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import LiaisonWire
import Testing
@testable import LiaisonDaemon

/// A witness's refusal stops a node signing checkpoints only if the checkpoint it
/// shows, signed by the node's own log key, proves a rollback or a fork (found in
/// review: any peer asked to witness could stop a node's checkpoints with a bare
/// claim, leaving its newest entries unsigned).
@Suite("Witness evidence")
struct WitnessEvidenceTests {
    static let origin = "liaison.example/log"

    /// A log of `count` events, each tagged `tag`, with a checkpoint signed by `signer`.
    static func log(_ dir: TemporaryDirectory, _ name: String, count: Int, tag: String, signer: NoteSigner) throws -> (AuditLog, [UInt8]) {
        let log = try AuditLog(path: dir.file(name))
        try log.appendBlocking((0..<count).map { AuditEvent(time: Int64($0), kind: .controlCommand, actor: .daemon, details: [tag: String($0)]) })
        return (log, try log.signCheckpoint(with: signer, now: 1_795_651_200).note.bytes)
    }

    @Test("a checkpoint of this log's key proves a rollback if larger, a fork if its root differs; anything else proves nothing")
    func verdicts() throws {
        let dir = TemporaryDirectory(prefix: "liaison-evidence")
        let secret = try LogSecretKey()
        let signer = try NoteSigner(name: Self.origin, secretKey: secret)
        let (ours, ourNote) = try Self.log(dir, "ours.db", count: 20, tag: "a", signer: signer)
        let key = signer.verifierKey
        #expect(try WitnessEvidence.judge(ourNote, log: ours, logKey: key, family: Self.origin) == .unfounded("the checkpoint it sent is consistent with this log"))
        #expect(try WitnessEvidence.judge([], log: ours, logKey: key, family: Self.origin) == .unfounded("it sent no checkpoint to show it"))
        #expect(try WitnessEvidence.judge(Array("not a note".utf8), log: ours, logKey: key, family: Self.origin)
                    == .unfounded("the checkpoint it sent is not one this log's key signed"))
        // The same key signed a larger tree once: the log was rolled back.
        let (_, larger) = try Self.log(dir, "larger.db", count: 30, tag: "a", signer: signer)
        #expect(try WitnessEvidence.judge(larger, log: ours, logKey: key, family: Self.origin) == .rolledBack(signed: 30, held: 20))
        // The same key signed another tree of 20: the log was rewritten.
        let (_, other) = try Self.log(dir, "other.db", count: 20, tag: "b", signer: signer)
        #expect(try WitnessEvidence.judge(other, log: ours, logKey: key, family: Self.origin) == .forked(size: 20))
        // Another key's checkpoint (the witness's own, say) proves nothing about this log.
        let impostor = try NoteSigner(name: Self.origin, secretKey: try LogSecretKey())
        let (_, forged) = try Self.log(dir, "forged.db", count: 30, tag: "a", signer: impostor)
        #expect(try WitnessEvidence.judge(forged, log: ours, logKey: key, family: Self.origin) == .unfounded("the checkpoint it sent is not one this log's key signed"))
        // The same key began a later log (`audit new-log`): this one is an old copy, whatever its size.
        let laterOrigin = Self.origin + "/20261129T100000Z"
        let (_, later) = try Self.log(dir, "later.db", count: 3, tag: "c", signer: try NoteSigner(name: laterOrigin, secretKey: secret))
        #expect(try WitnessEvidence.judge(later, log: ours, logKey: key, family: Self.origin) == .superseded(by: laterOrigin))
        // Unless it is named as begun more than a day past this node's clock (a note kept from a time the clock was wrong).
        let beforeIt: Int64 = 1_795_910_400 - 2 * 86_400   // 2026-11-29T00:00:00Z, less two days
        #expect(try WitnessEvidence.judge(later, log: ours, logKey: key, family: Self.origin, now: beforeIt)
                    == .unfounded("the checkpoint it sent is of a log named as begun at 20261129T100000Z, past this node's clock"))
        // Not if another key signed it, nor if it is not a later log of this node's.
        let (_, laterForged) = try Self.log(dir, "later-forged.db", count: 3, tag: "c",
                                            signer: try NoteSigner(name: laterOrigin, secretKey: try LogSecretKey()))
        #expect(try WitnessEvidence.judge(laterForged, log: ours, logKey: key, family: Self.origin)
                    == .unfounded("the checkpoint it sent is not one this log's key signed"))
        let (_, stranger) = try Self.log(dir, "stranger.db", count: 3, tag: "c",
                                         signer: try NoteSigner(name: Self.origin + "/x/20261129T100000Z", secretKey: secret))
        #expect(try WitnessEvidence.judge(stranger, log: ours, logKey: key, family: Self.origin)
                    == .unfounded("the checkpoint it sent is not one this log's key signed"))
        // A log begun later is not superseded by its node's first one.
        let (laterLog, _) = try Self.log(dir, "later-ours.db", count: 2, tag: "d", signer: try NoteSigner(name: laterOrigin, secretKey: secret))
        let laterKey = try NoteVerifierKey(name: laterOrigin, type: key.type, publicKey: key.publicKey)
        #expect(try WitnessEvidence.judge(larger, log: laterLog, logKey: laterKey, family: Self.origin)
                    == .unfounded("the checkpoint it sent is not one this log's key signed"))
    }

    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("a witness that claims a rollback with nothing to show for it is recorded, and the node goes on signing checkpoints",
          .timeLimit(.minutes(10)))
    func unfoundedRefusal() async throws {
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "checkpoint-interval-seconds = 1\n")
        // bravo's daemon never starts: this peer answers witness requests on bravo's address with bravo's keys.
        let bravo = try LoopbackSocket.Listener(port: net.ports["bravo"]!)
        let bravoSecrets = try ProtocolClient.secrets(home: net.home("bravo"))
        try net.daemon("alpha").start()
        var refused = 0
        for _ in 0..<10 where refused < 2 {
            let socket = try bravo.accept(timeoutSeconds: 20)
            do {
                var responder = try NoiseIKResponder(localStatic: bravoSecrets.transport, prologue: HandshakeHello.prologue)
                _ = try responder.readMessage1(try socket.receiveFrame())
                let (message2, noise) = try responder.writeMessage2(payload: HandshakeWelcome.encoded)
                try socket.sendFrame(message2)
                var session = noise
                guard case .witnessRequest = try SessionMessage(decoding: try session.receiver.decrypt(try socket.receiveFrame())) else { continue }
                let lie = SessionMessage.witnessRefused(knownSize: 1 << 40, reason: "refused: a rollback (made up)")
                try socket.sendFrame(try session.sender.encrypt(lie.encoded))
                refused += 1
            } catch {
                continue
            }
        }
        #expect(refused == 2, "alpha never asked for a cosignature")
        #expect(eventually(timeoutSeconds: 10) { net.daemon("alpha").log.contains("not taken as evidence") }, "\(net.daemon("alpha").log.suffix(2000))")
        let signed = try net.cli.run(["audit", "checkpoint", "--home", net.home("alpha")])
        #expect(signed.status == 0, "alpha stopped signing: \(signed.stderr)")
        #expect(!net.daemon("alpha").log.contains("rolled back or rewritten; restore"), "the alarm was raised on a bare claim")
        let recorded = try net.auditEvents("alpha", ["--event", "checkpoint.cosigned"])
        #expect(recorded.contains { $0.outcome == .denied && $0.details["evidence"] == "it sent no checkpoint to show it" }, "\(recorded)")
    }
}
