import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// A partner added after a node rotated its keys witnesses its log: the card made
/// after the rotation names the log's lifelong name.
@Suite("Witnessing a node that rotated, from a partner added after", .serialized)
struct WitnessAfterRotationTests {
    @Test("charlie imports bravo's post-rotation card, files its log under its first fingerprint, and cosigns its checkpoints",
          .timeLimit(.minutes(3)))
    func partnerAddedAfterRotationWitnesses() throws {
        let net = try DaemonNetwork(["bravo", "charlie"], audit: "checkpoint-interval-seconds = 1\n")
        try net.startAll()
        let first = try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys.fingerprint
        // charlie forgets bravo; bravo rotates; charlie then meets bravo by its new card alone.
        try net.expect(["peers", "remove", "bravo", "--home", net.home("charlie")])
        try net.expect(["keys", "rotate", "--yes", "--overlap", "7", "--home", net.home("bravo")])
        let card = try String(contentsOfFile: net.home("bravo") + "/keys/card.txt", encoding: .utf8)
        #expect(card.contains("log-name: \(first)"), "\(card)")
        let shown = try net.expect(["keys", "card", "--home", net.home("bravo"), "--out", net.dir.file("bravo-new.card")])
        _ = shown
        #expect(try String(contentsOfFile: net.dir.file("bravo-new.card"), encoding: .utf8).contains("log-name: \(first)"))
        try net.expect(["peers", "add", net.home("bravo") + "/keys/card.txt", "--name", "bravo", "--trust", "partner",
                        "--address", "127.0.0.1:\(net.ports["bravo"]!)", "--home", net.home("charlie")])
        let keyring = try String(contentsOfFile: net.home("charlie") + "/keyring.toml", encoding: .utf8)
        #expect(keyring.contains("log-name = \"\(first)\""), "\(keyring)")
        #expect(eventually(timeoutSeconds: 60) {
            (try? net.cli.run(["audit", "witnessed", "bravo", "--home", net.home("charlie")]).status) == 0
        }, "charlie never cosigned bravo's log: \(net.daemon("bravo").log.suffix(1500))")
        let witnessed = try net.expect(["audit", "witnessed", "bravo", "--home", net.home("charlie")]).stdout
        #expect(witnessed.contains("liaison/\(first)"), "\(witnessed)")
    }
}
