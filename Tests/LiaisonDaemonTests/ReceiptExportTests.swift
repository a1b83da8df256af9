import Foundation
import LiaisonCore
import LiaisonTestSupport
import LiaisonWire
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

        // To standard output without --out; an unknown recipient is named.
        let printed = try net.expect(["receipts", "export", id, "--peer", "charlie", "--home", net.home("alpha")]).stdout
        #expect(printed.hasPrefix("{") && printed.contains("\"format\" : \"liaison-receipt/v1\"") && printed.contains("\"recipientName\" : \"charlie\""))
        let nobody = try net.cli.run(["receipts", "export", id, "--peer", "delta", "--home", net.home("alpha")])
        #expect(nobody.status == 66 && nobody.stderr.contains("no receipt from delta"), "\(nobody.stderr)")

        // Anyone holding bravo's card checks it, no daemon needed: stop them all first.
        for name in ["alpha", "bravo", "charlie"] { net.daemon(name).stop() }
        let bravoFingerprint = try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys.fingerprint.description
        let alphaFingerprint = try NodeHome(path: net.home("alpha")).loadConfiguration().publicKeys.fingerprint.description
        let checked = try net.expect(["receipts", "check", file, "--card", net.dir.file("bravo.card")])
        #expect(checked.stdout.hasPrefix("VERIFIED: the key on \(net.dir.file("bravo.card")) signed this receipt"), "\(checked.stdout)")
        #expect(checked.stdout.contains("signer:   bravo, fingerprint \(bravoFingerprint) (the name is the card's own"), "\(checked.stdout)")
        #expect(checked.stdout.contains("package:  \(id), received at") && checked.stdout.contains("from:     the node with fingerprint \(alphaFingerprint)"))
        let pinned = try net.expect(["receipts", "check", file, "--card", net.dir.file("bravo.card"), "--fingerprint", bravoFingerprint, "--json"]).stdout
        let report = try #require(try JSONSerialization.jsonObject(with: Data(pinned.utf8)) as? [String: Any])
        #expect(report["verified"] as? Bool == true && report["package"] as? String == id && report["cardName"] as? String == "bravo")
        #expect(report["recipient"] as? String == bravoFingerprint && report["sender"] as? String == alphaFingerprint
                    && report["fingerprintGiven"] as? Bool == true)
        #expect((report["headerHash"] as? String)?.count == 128 && (report["receivedAt"] as? String)?.hasSuffix("Z") == true)
        // A card naming itself bravo is only as good as its fingerprint: the one you know is checked.
        let otherFingerprint = try net.cli.run(["receipts", "check", file, "--card", net.dir.file("bravo.card"), "--fingerprint", alphaFingerprint])
        #expect(otherFingerprint.status == 64 && otherFingerprint.stderr.contains("not of \(alphaFingerprint)"), "\(otherFingerprint.stderr)")

        // A revocation of the key, handed over with the card: a receipt dated before it is
        // verified with a warning (its date is the signer's word), one dated at or after it refused.
        let bravoHome = NodeHome(path: net.home("bravo"))
        let bravoSecrets = try bravoHome.loadSecrets(try bravoHome.loadConfiguration(), passphrase: PassphraseSource())
        let receivedAt = try #require(report["receivedAt"] as? String)
        let signedAt = try #require(Timestamp.parse(receivedAt))
        func revocationFile(_ at: Int64, of secrets: NodeSecrets = bravoSecrets) throws -> String {
            net.dir.write("revocation-\(UUID())", Array(try RevocationStatement(revoking: secrets.identity, at: at, reason: "laptop lost").text.utf8))
        }
        let revokedLater = try net.expect(["receipts", "check", file, "--card", net.dir.file("bravo.card"), "--revocation", try revocationFile(signedAt + 3600)])
        #expect(revokedLater.stdout.hasPrefix("VERIFIED") && revokedLater.stdout.contains("revoked:  the key was revoked at")
                    && revokedLater.stdout.contains("(\"laptop lost\"), after the receipt's date"), "\(revokedLater.stdout)")
        let before = try net.cli.run(["receipts", "check", file, "--card", net.dir.file("bravo.card"), "--revocation", try revocationFile(signedAt)])
        #expect(before.status == 65 && before.stderr.contains("was already revoked") && !before.stdout.contains("VERIFIED"), "\(before.stderr)")
        let charlieHome = NodeHome(path: net.home("charlie"))
        let charlieSecrets = try charlieHome.loadSecrets(try charlieHome.loadConfiguration(), passphrase: PassphraseSource())
        let othersKey = try net.cli.run(["receipts", "check", file, "--card", net.dir.file("bravo.card"),
                                         "--revocation", try revocationFile(signedAt, of: charlieSecrets)])
        #expect(othersKey.status == 64 && othersKey.stderr.contains("not \(bravoFingerprint), the one that signed the receipt"), "\(othersKey.stderr)")

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
        #expect(forgedResult.status == 65 && forgedResult.stderr.contains("does not verify with the key on"), "\(forgedResult.stderr)")

        // The signed bytes changed (the time) and the fields made to match: the signature fails.
        var later = signed
        later[signed.count - 64 - 1] ^= 0x01   // the last byte of received-at, before the signature
        later[signed.count - 1] ^= 0x01        // the signature as it was
        let laterReceipt = try DeliveryReceipt(decoding: Array(later))
        var redone = document
        redone["receivedAt"] = Timestamp.iso8601(laterReceipt.receivedAt)
        redone["receipt"] = later.base64EncodedString()
        #expect(redone["receivedAt"] as? String != document["receivedAt"] as? String)
        let redoneFile = net.dir.write("redone.receipt", Array(try JSONSerialization.data(withJSONObject: redone)))
        let redoneResult = try net.cli.run(["receipts", "check", redoneFile, "--card", net.dir.file("bravo.card")])
        #expect(redoneResult.status == 65 && redoneResult.stderr.contains("does not verify with the key on"), "\(redoneResult.stderr)")

        // The wrong files: the card as the receipt, the receipt as the card, a directory.
        let notOne = try net.cli.run(["receipts", "check", net.dir.file("bravo.card"), "--card", net.dir.file("bravo.card")])
        #expect(notOne.status == 64 && notOne.stderr.contains("is not a receipt as `liaison receipts export` writes it"), "\(notOne.stderr)")
        let notACard = try net.cli.run(["receipts", "check", file, "--card", file])
        #expect(notACard.status == 64 && notACard.stderr.contains("\(file) is not a node card"), "\(notACard.stderr)")
        let directory = try net.cli.run(["receipts", "check", net.dir.path, "--card", net.dir.file("bravo.card")])
        #expect(directory.status == 66 && directory.stderr.contains("cannot read \(net.dir.path): it is a directory"), "\(directory.stderr)")
        // A card whose own signature fails is damaged, not merely the wrong one.
        let card = try String(contentsOfFile: net.dir.file("bravo.card"), encoding: .utf8)
        let damagedCard = net.dir.write("damaged.card", Array(card.replacingOccurrences(of: "\nname: bravo\n", with: "\nname: bravp\n").utf8))
        let damaged = try net.cli.run(["receipts", "check", file, "--card", damagedCard])
        #expect(damaged.status == 65 && damaged.stderr.contains(damagedCard), "\(damaged.stderr)")
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
