import Foundation
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("liaison init, keys and peers (real binary)")
struct NodeCommandTests {
    @Test("init refuses to overwrite an existing node and leaves it intact")
    func initRefusesOverwrite() throws {
        let net = try CLITestNetwork()
        let before = net.dir.read("alpha/keys/node.secrets")
        let result = try net.cli.run(["init", "--home", net.home("alpha"), "--name", "other", "--no-passphrase"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("node.exists"))
        #expect(net.dir.read("alpha/keys/node.secrets") == before)
    }

    @Test("init without any passphrase source says how to give one")
    func initNeedsPassphrase() throws {
        let dir = TemporaryDirectory()
        let result = try CLIRunner().run(["init", "--home", dir.file("n"), "--name", "n"])
        #expect(result.status == 77)
        #expect(result.stderr.contains("--passphrase-file") && result.stderr.contains("LIAISON_PASSPHRASE"))
        #expect(!FileManager.default.fileExists(atPath: dir.file("n/liaison.toml")))
    }

    @Test("the passphrase may come from LIAISON_PASSPHRASE; a wrong one is reported as such")
    func passphraseFromEnvironment() throws {
        let dir = TemporaryDirectory()
        let right = CLIRunner(environment: ["LIAISON_PASSPHRASE": "correct horse"])
        try #require(try right.run(["init", "--home", dir.file("n"), "--name", "n"]).status == 0)
        #expect(try right.run(["keys", "card", "--home", dir.file("n"), "--out", dir.file("n.card")]).status == 0)
        let wrong = try CLIRunner(environment: ["LIAISON_PASSPHRASE": "battery staple"])
            .run(["keys", "card", "--home", dir.file("n"), "--out", dir.file("m.card")])
        #expect(wrong.status == 77)
        #expect(wrong.stderr.contains("wrong passphrase"))
    }

    @Test("init warns of a short passphrase, and not of a long one")
    func shortPassphraseWarned() throws {
        let dir = TemporaryDirectory()
        let short = try CLIRunner(environment: ["LIAISON_PASSPHRASE": "ab"]).run(["init", "--home", dir.file("s"), "--name", "s"])
        #expect(short.status == 0 && short.stderr.contains("warning: the passphrase is 2 bytes long"), "\(short.stderr)")
        let long = try CLIRunner(environment: ["LIAISON_PASSPHRASE": "correct horse battery"]).run(["init", "--home", dir.file("l"), "--name", "l"])
        #expect(long.status == 0 && !long.stderr.contains("warning"), "\(long.stderr)")
    }

    @Test("an argument that is neither a key nor a file, a backup that does not exist, and one inside the home are said to be so")
    func missingInputsNamed() throws {
        let dir = TemporaryDirectory()
        let key = try CLIRunner().run(["audit", "verify", "--bundle", dir.file("none"), "--log-key", "hello"])
        #expect(key.status == 64 && key.stderr.contains("hello is neither a key"), "\(key.stderr)")
        let backup = try CLIRunner().run(["backup", "check", dir.file("nothing")])
        #expect(backup.status == 66 && backup.stderr.contains("does not exist or is not a directory"), "\(backup.stderr)")
        try #require(try CLIRunner().run(["init", "--home", dir.file("n"), "--name", "n", "--no-passphrase"]).status == 0)
        let inside = try CLIRunner().run(["backup", "--home", dir.file("n"), "--out", dir.file("n/bk")])
        #expect(inside.status == 64 && inside.stderr.contains("inside the node's home") && !inside.stderr.contains("Usage: liaison <subcommand>"),
                "\(inside.stderr)")
    }

    @Test("keys show flags an unprotected node and needs no passphrase")
    func keysShow() throws {
        let net = try CLITestNetwork()
        let text = try net.expectSuccess(["keys", "show", "--home", net.home("alpha")]).stdout
        #expect(text.contains("UNPROTECTED"))
        let json = try JSONSerialization.jsonObject(with: Data(try net.expectSuccess(["keys", "show", "--home", net.home("alpha"), "--json"]).stdout.utf8)) as? [String: Any]
        #expect(json?["protection"] as? String == "none")
        let fingerprint = try #require(json?["fingerprint"] as? String)
        #expect(try NodeFingerprint(parsing: fingerprint).description == fingerprint)
    }

    @Test("a key file readable by others is refused with the fix in the message")
    func insecureKeyFile() throws {
        let net = try CLITestNetwork()
        chmod(net.dir.file("alpha/keys/node.secrets"), 0o644)
        let result = try net.cli.run(["keys", "card", "--home", net.home("alpha"), "--out", net.dir.file("x.card")])
        #expect(result.status == 77)
        #expect(result.stderr.contains("chmod 600"))
    }

    @Test("a key file reached through a symlink is refused")
    func symlinkedKeyFile() throws {
        let net = try CLITestNetwork()
        let keyFile = net.dir.file("alpha/keys/node.secrets")
        try FileManager.default.moveItem(atPath: keyFile, toPath: net.dir.file("moved.secrets"))
        try FileManager.default.createSymbolicLink(atPath: keyFile, withDestinationPath: net.dir.file("moved.secrets"))
        let result = try net.cli.run(["keys", "card", "--home", net.home("alpha"), "--out", net.dir.file("x.card")])
        #expect(result.status == 77)
        #expect(result.stderr.contains("keyfile.symlink"))
    }

    @Test("peers import checks the card signature and a given fingerprint")
    func peersImport() throws {
        let net = try CLITestNetwork()
        // A card with one altered character is refused.
        var card = try String(contentsOfFile: net.dir.file("bravo.card"), encoding: .utf8)
        card = card.replacingOccurrences(of: "name: bravo", with: "name: bravx")
        net.dir.write("forged.card", Array(card.utf8))
        let forged = try net.cli.run(["peers", "import", net.dir.file("forged.card"), "--home", net.home("charlie"), "--name", "b", "--trust", "partner"])
        #expect(forged.status == 65 && forged.stderr.contains("card.signature-invalid"))
        // A fingerprint that does not match is refused.
        let alphaFingerprint = try #require((try JSONSerialization.jsonObject(with: Data(try net.expectSuccess(["keys", "show", "--json", "--home", net.home("alpha")]).stdout.utf8)) as? [String: Any])?["fingerprint"] as? String)
        let mismatch = try net.cli.run(["peers", "import", net.dir.file("bravo.card"), "--home", net.home("charlie"), "--name", "b", "--trust", "partner", "--fingerprint", alphaFingerprint])
        #expect(mismatch.status == 65 && mismatch.stderr.contains("identity.fingerprint-mismatch"))
        // A duplicate is refused; the listing shows the peers.
        let duplicate = try net.cli.run(["peers", "import", net.dir.file("bravo.card"), "--home", net.home("alpha"), "--name", "bravo2", "--trust", "partner"])
        #expect(duplicate.status == 64 && duplicate.stderr.contains("already in the keyring"))
        let list = try JSONSerialization.jsonObject(with: Data(try net.expectSuccess(["peers", "list", "--json", "--home", net.home("alpha")]).stdout.utf8)) as? [[String: Any]]
        #expect(list?.compactMap { $0["name"] as? String } == ["bravo", "charlie"])
        #expect(list?.first?["trust"] as? String == "partner")
        // With --json, the card and the import say what they did, for scripts.
        let cardOutput = try net.expectSuccess(["keys", "card", "--home", net.home("charlie"), "--out", net.dir.file("c2.card"), "--json"]).stdout
        let written = try JSONSerialization.jsonObject(with: Data(cardOutput.utf8)) as? [String: Any] ?? [:]
        #expect(written["name"] as? String == "charlie" && written["out"] as? String == net.dir.file("c2.card"), "\(cardOutput)")
        let bravoFingerprint = try #require((try JSONSerialization.jsonObject(with: Data(try net.expectSuccess(["keys", "show", "--json", "--home", net.home("bravo")]).stdout.utf8)) as? [String: Any])?["fingerprint"] as? String)
        let imported = try net.expectSuccess(["peers", "import", net.dir.file("bravo.card"), "--home", net.home("charlie"), "--name", "bravo",
                                              "--trust", "limited", "--address", "192.0.2.9:7401", "--json"]).stdout
        let report = try JSONSerialization.jsonObject(with: Data(imported.utf8)) as? [String: Any] ?? [:]
        #expect(report["fingerprint"] as? String == bravoFingerprint && report["daemon"] as? Bool == false && report["trust"] as? String == "limited",
                "\(imported)")
        let charliePeers = try net.expectSuccess(["peers", "list", "--json", "--home", net.home("charlie")]).stdout
        #expect(charliePeers.contains("192.0.2.9:7401"), "\(charliePeers)")
    }

    @Test("commands that write the audit log with no daemon running leave audit.db whole on its own, with no WAL behind")
    func offlineWritesLeaveNoWAL() throws {
        let net = try CLITestNetwork()
        let home = net.home("alpha")
        net.dir.write("note.txt", Array("for bravo".utf8))
        try net.expectSuccess(["package", "seal", "--in", net.dir.file("note.txt"), "--home", home, "--to", "bravo", "--tlp", "GREEN",
                               "--out", net.dir.file("note.lpkg")])
        // init, two peers import and a seal wrote it.
        #expect(!FileManager.default.fileExists(atPath: home + "/audit.db-wal"), "audit.db-wal is still there after the commands ended")
        let copies = TemporaryDirectory(prefix: "liaison-audit-copy")
        try FileManager.default.copyItem(atPath: home + "/" + AuditLog.fileName, toPath: copies.file(AuditLog.fileName))
        let events = try AuditLog(readingOnly: copies.file(AuditLog.fileName)).size()
        #expect(events == 5 + 2 + 1, "a copy of audit.db alone holds \(events) entries")
    }

    @Test("commands on a missing node say how to create one")
    func missingNode() throws {
        let dir = TemporaryDirectory()
        let result = try CLIRunner().run(["keys", "show", "--home", dir.file("nowhere")])
        #expect(result.status == 66)
        #expect(result.stderr.contains("liaison init"))
    }

    @Test("--help is written for people")
    func help() throws {
        let result = try CLIRunner().run(["package", "seal", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--tlp") && result.stdout.contains("Example"))
    }
}
