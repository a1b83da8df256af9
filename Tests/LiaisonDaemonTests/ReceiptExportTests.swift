import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// A receipt exported from a real daemon and checked offline, as a third party
/// would: with the recipient's card, no daemon, no node.
@Suite("liaison receipts export and check")
struct ReceiptExportTests {
    @Test("a receipt exported by the sender verifies with the recipient's card, and with nothing else", .timeLimit(.minutes(2)))
    func exportAndCheck() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.startAll()
        let id = try net.send(Array("indicator: 203.0.113.9".utf8), from: "alpha", to: ["bravo", "charlie"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo", "charlie"]))

        // The listing carries each receipt whole; `receipts` alone still lists.
        let listed = try net.expect(["receipts", "--home", net.home("alpha"), "--json"]).stdout
        let items = try #require(try JSONSerialization.jsonObject(with: Data(listed.utf8)) as? [[String: Any]])
        #expect(items.count == 2 && items.allSatisfy { ($0["receipt"] as? String).flatMap { Data(base64Encoded: $0) }?.count == 234 })
        #expect(try net.expect(["receipts", "--home", net.home("alpha")]).stdout.contains("valid"))

        // Two recipients: the export asks which, and names them.
        let which = try net.cli.run(["receipts", "export", id, "--home", net.home("alpha")])
        #expect(which.status == 64 && which.stderr.contains("receipts from bravo, charlie: name one with --peer"), "\(which.stderr)")
        let file = net.dir.file("bravo.receipt")
        try net.expect(["receipts", "export", String(id.prefix(10)), "--peer", "bravo", "--out", file, "--home", net.home("alpha")])
        let again = try net.cli.run(["receipts", "export", id, "--peer", "bravo", "--out", file, "--home", net.home("alpha")])
        #expect(again.status != 0 && again.stderr.contains("exists"), "an export never replaces a file: \(again.stderr)")

        // Anyone holding bravo's card checks it, no daemon needed: stop them all first.
        for name in ["alpha", "bravo", "charlie"] { net.daemon(name).stop() }
        let checked = try net.expect(["receipts", "check", file, "--card", net.dir.file("bravo.card")])
        #expect(checked.stdout.hasPrefix("VERIFIED: bravo (") && checked.stdout.contains("received package \(id)"), "\(checked.stdout)")
        let alphaFingerprint = try NodeHome(path: net.home("alpha")).loadConfiguration().publicKeys.fingerprint.description
        #expect(checked.stdout.contains("from node \(alphaFingerprint)"))
        let json = try net.expect(["receipts", "check", file, "--card", net.dir.file("bravo.card"), "--json"]).stdout
        let report = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        #expect(report?["verified"] as? Bool == true && report?["package"] as? String == id && report?["recipientCard"] as? String == "bravo")

        // Another node's card is the wrong card, said so.
        let wrongCard = try net.cli.run(["receipts", "check", file, "--card", net.dir.file("charlie.card")])
        #expect(wrongCard.status == 64 && wrongCard.stderr.contains("is the card of charlie") && wrongCard.stderr.contains("signed by"),
                "\(wrongCard.stderr)")

        // Altered: a readable field edited, or the signed bytes themselves changed.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let edited = net.dir.write("edited.receipt", Array(text.replacingOccurrences(of: id, with: String(id.dropLast()) + (id.hasSuffix("0") ? "1" : "0")).utf8))
        let editedResult = try net.cli.run(["receipts", "check", edited, "--card", net.dir.file("bravo.card")])
        #expect(editedResult.status == 65 && editedResult.stderr.contains("do not say what its signed receipt says"), "\(editedResult.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let base64 = try #require(document["receipt"] as? String)
        var signed = try #require(Data(base64Encoded: base64))
        signed[signed.count - 1] ^= 0x01   // a bit of the signature
        var forged = document
        forged["receipt"] = signed.base64EncodedString()
        let forgedFile = net.dir.write("forged.receipt", Array(try JSONSerialization.data(withJSONObject: forged)))
        let forgedResult = try net.cli.run(["receipts", "check", forgedFile, "--card", net.dir.file("bravo.card")])
        #expect(forgedResult.status == 65 && forgedResult.stderr.contains("does not verify with bravo's key"), "\(forgedResult.stderr)")

        // Not a receipt at all: the card given as the receipt.
        let notOne = try net.cli.run(["receipts", "check", net.dir.file("bravo.card"), "--card", net.dir.file("bravo.card")])
        #expect(notOne.status == 64 && notOne.stderr.contains("is not a receipt as `liaison receipts export` writes it"), "\(notOne.stderr)")
    }

    @Test("a package with no receipt yet, or an unknown one, says so", .timeLimit(.minutes(2)))
    func noReceipt() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()   // bravo stays down
        let id = try net.send(Array("queued".utf8), from: "alpha", to: ["bravo"])
        let pending = try net.cli.run(["receipts", "export", id, "--home", net.home("alpha")])
        #expect(pending.status == 66 && pending.stderr.contains("no receipt for package \(id) has come back (yet)"), "\(pending.stderr)")
        let unknown = try net.cli.run(["receipts", "export", "0123456789abcdef0123456789abcdef", "--home", net.home("alpha")])
        #expect(unknown.status == 66, "\(unknown.stderr)")
    }
}
