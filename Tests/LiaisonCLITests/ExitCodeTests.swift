import Foundation
import LiaisonTestSupport
import Testing

/// Exit codes a script can rely on (real binary): 65 means something was verified
/// and found wrong, never a mistyped path or an existing output directory.
@Suite("liaison exit codes for missing input (real binary)")
struct ExitCodeTests {
    let dir = TemporaryDirectory(prefix: "liaison-exit")
    let cli = CLIRunner()

    @Test("a missing bundle, database, checkpoint or package file, or a directory given as a file, is 66 with input.unreadable, not 65",
          arguments: [["audit", "verify", "--bundle", "no-such-bundle"],
                      ["audit", "verify", "--database", "no-such.db"],
                      ["audit", "verify", "--bundle", "no-such-bundle", "--trusted-checkpoint", "no-such-checkpoint"],
                      ["package", "inspect", "no-such.lpkg"],
                      ["package", "inspect", "/tmp"]])
    func missingInput(arguments: [String]) throws {
        let result = try cli.run(arguments.map { $0.hasPrefix("no-such") ? dir.file($0) : $0 })
        #expect(result.status == 66, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("[input.unreadable]"), "\(result.stderr)")
    }

    @Test("a card that is a directory, or missing, says which (66)")
    func cardPaths() throws {
        let home = dir.file("node")
        try #require(try cli.run(["init", "--home", home, "--name", "alpha", "--no-passphrase"]).status == 0)
        let directory = try cli.run(["peers", "import", dir.path, "--home", home, "--name", "bravo", "--trust", "partner"])
        #expect(directory.status == 66 && directory.stderr.contains("it is a directory; give the file itself"), "\(directory.stderr)")
        let missing = try cli.run(["peers", "import", dir.file("no-such.card"), "--home", home, "--name", "bravo", "--trust", "partner"])
        #expect(missing.status == 66 && missing.stderr.contains("no such file"), "\(missing.stderr)")
        // A device given by mistake is refused after a few KiB, not read forever: a card, a trusted key.
        let device = try cli.run(["peers", "import", "/dev/zero", "--home", home, "--name", "bravo", "--trust", "partner"])
        #expect(device.status == 64 && device.stderr.contains("/dev/zero is larger than"), "\(device.stderr)")
        let key = try cli.run(["audit", "verify", "--database", dir.file("no-such.db"), "--log-key", "/dev/zero"])
        #expect(key.status == 64 && key.stderr.contains("/dev/zero is larger than 4096 bytes"), "\(key.stderr)")
    }

    @Test("send refuses a directory before it asks the daemon (66), so the daemon never sees a payload cut short")
    func sendDirectory() throws {
        #expect(try cli.run(["init", "--home", dir.file("node"), "--name", "alpha", "--no-passphrase"]).status == 0)
        let sent = try cli.run(["send", dir.path, "--to", "bravo", "--tlp", "GREEN", "--home", dir.file("node")])
        #expect(sent.status == 66 && sent.stderr.contains("\(dir.path) is a directory; give the files in it") && !sent.stderr.contains("not running"),
                "\(sent.status) \(sent.stderr)")
    }

    @Test("--out into a directory that does not exist is 66, and says so")
    func outIntoMissingDirectory() throws {
        #expect(try cli.run(["init", "--home", dir.file("node"), "--name", "alpha", "--no-passphrase"]).status == 0)
        let out = dir.file("no-such-dir") + "/alpha.card"
        let written = try cli.run(["keys", "card", "--home", dir.file("node"), "--out", out])
        #expect(written.status == 66 && written.stderr.contains("the directory \(dir.file("no-such-dir")) does not exist"), "\(written.status) \(written.stderr)")
    }

    @Test("a mistyped command is named, with the closest one (64), not reported as an unknown option after it")
    func mistypedCommand() throws {
        let top = try cli.run(["statu", "--home", dir.file("x")])
        #expect(top.status == 64 && top.stderr.contains("unknown command 'statu' for `liaison`; did you mean 'status'?"), "\(top.stderr)")
        let nested = try cli.run(["peers", "lsit", "--home", dir.file("x")])
        #expect(nested.status == 64 && nested.stderr.contains("did you mean 'list'?") && nested.stderr.contains("`liaison peers --help`"), "\(nested.stderr)")
        let far = try cli.run(["zzz"])
        #expect(far.status == 64 && far.stderr.contains("it has: init, keys, peers"), "\(far.stderr)")
        // What is spelled right still reaches its command: help, a group's default, a leaf's arguments.
        #expect(try cli.run(["help", "peers"]).status == 0)
        #expect(try cli.run(["peers", "--help"]).status == 0)
        #expect(try cli.run(["inbox", "--home", dir.file("x")]).stderr.contains("no node at"))
        #expect(try cli.run(["package", "inspect", dir.file("none.lpkg")]).status == 66)
    }

    @Test("an audit query whose --since is not before its --until is a usage error (64), not an empty answer")
    func invertedTimeRange() throws {
        let result = try cli.run(["audit", "query", "--since", "2026-11-29T00:00:00Z", "--until", "2026-11-28T00:00:00Z", "--home", dir.file("x")])
        #expect(result.status == 64 && result.stderr.contains("is not before --until") && result.stderr.contains("swap them"), "\(result.stderr)")
    }

    @Test("--out - is a usage error (64) that creates no file named \"-\", for every command writing a file",
          arguments: [["package", "open", "--in", "x.lpkg", "--out", "-"],
                      ["package", "seal", "--to", "bravo", "--tlp", "GREEN", "--in", "x", "--out", "-"],
                      ["inbox", "get", "0123456789abcdef0123456789abcdef", "--out", "-"],
                      ["keys", "card", "--out", "-"],
                      ["audit", "checkpoint", "--out", "-"],
                      ["audit", "prove", "--entry", "1", "--out", "-"],
                      ["audit", "witnessed", "bravo", "--out", "-"],
                      ["audit", "export", "--out", "-"]])
    func dashIsNotAnOutput(arguments: [String]) throws {
        // Run in an empty directory of its own, where a file "-" would show.
        let cwd = dir.file("cwd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let result = try CLIRunner(wrapper: ["/usr/bin/env", "-C", cwd]).run(arguments + ["--home", dir.file("none")])
        #expect(result.status == 64 && result.stderr.contains("--out -"), "\(arguments): \(result.status) \(result.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd).isEmpty)
    }

    @Test("a daemon command on a home with no node is 66 (a mistyped --home), on a node whose daemon is down 69 with the command to start it, on one starting or stopping 75")
    func noNodeOrNoDaemon() throws {
        let missing = try cli.run(["status", "--home", dir.file("no-such-node")])
        #expect(missing.status == 66 && missing.stderr.contains("no node at \(dir.file("no-such-node"))"), "\(missing.status) \(missing.stderr)")
        #expect(try cli.run(["init", "--home", dir.file("down"), "--name", "down", "--no-passphrase"]).status == 0)
        let down = try cli.run(["status", "--home", dir.file("down")])
        #expect(down.status == 69 && down.stderr.contains("liaisond --home \(dir.file("down"))"), "\(down.status) \(down.stderr)")
        // A daemon that holds the node's lock but serves no socket (starting, or stopping
        // while transfers finish) is not "not running": starting another would fail.
        let lock = open(dir.file("down") + "/liaisond.lock", O_RDWR | O_CREAT, 0o600)
        try #require(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        defer { close(lock) }
        _ = Array("4242\n".utf8).withUnsafeBytes { pwrite(lock, $0.baseAddress, $0.count, 0) }
        let stopping = try cli.run(["status", "--home", dir.file("down")])
        #expect(stopping.status == 75 && stopping.stderr.contains("liaisond (pid 4242) runs for the node")
                && stopping.stderr.contains("retry in a moment") && !stopping.stderr.contains("start it"), "\(stopping.status) \(stopping.stderr)")
    }

    @Test("audit checkpoint and witnessed --out never replace a kept checkpoint: refused (64) before the daemon is asked, the file unchanged")
    func checkpointKeepsTrustedFile() throws {
        let kept = dir.write("kept.checkpoint", Array("the auditor's trusted checkpoint\n".utf8))
        for command in [["audit", "checkpoint"], ["audit", "witnessed", "bravo"]] {
            let result = try cli.run(command + ["--home", dir.file("none"), "--out", kept])
            #expect(result.status == 64 && result.stderr.contains("already exists"), "\(command): \(result.status) \(result.stderr)")
            #expect(FileManager.default.contents(atPath: kept) == Data("the auditor's trusted checkpoint\n".utf8))
        }
    }

    @Test("with --json a failure is one JSON line on stderr: code, message and exit status")
    func jsonError() throws {
        let result = try cli.run(["status", "--home", dir.file("no-such-node"), "--json"])
        #expect(result.status == 66 && result.stdout.isEmpty)
        let object = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
        let error = try #require(object?["error"] as? [String: Any], "\(result.stderr)")
        #expect(error["code"] as? String == "node.missing" && error["status"] as? Int == 66)
        #expect((error["message"] as? String)?.contains(dir.file("no-such-node")) == true)
    }

    @Test("audit export into a directory that is not empty is a usage error (64)")
    func exportIntoUsedDirectory() throws {
        #expect(try cli.run(["init", "--home", dir.file("node"), "--name", "node", "--listen", "127.0.0.1:7401", "--no-passphrase"]).status == 0)
        try FileManager.default.createDirectory(atPath: dir.file("used"), withIntermediateDirectories: true)
        dir.write("used/file", Array("x".utf8))
        // Refused before the daemon is asked for anything (none runs here).
        let result = try cli.run(["audit", "export", "--home", dir.file("node"), "--out", dir.file("used")])
        #expect(result.status == 64 && result.stderr.contains("[audit.bundle-exists]"), "\(result.status) \(result.stderr)")
    }
}

/// The default home is `~/.liaison` as the shell expands `~`: with `$HOME`.
@Suite("the default home follows $HOME")
struct DefaultHomeTests {
    @Test("without --home or $LIAISON_HOME, the node is $HOME/.liaison")
    func defaultHome() throws {
        let dir = TemporaryDirectory(prefix: "liaison-default-home")
        let cli = CLIRunner(environment: ["HOME": dir.path])
        let made = try cli.run(["init", "--name", "alpha", "--no-passphrase"])
        #expect(made.status == 0 && made.stdout.contains(dir.path + "/.liaison"), "\(made.stdout)\(made.stderr)")
        let shown = try cli.run(["keys", "show"])
        #expect(shown.status == 0, "\(shown.stderr)")
    }
}
