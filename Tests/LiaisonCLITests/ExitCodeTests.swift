import Foundation
import LiaisonTestSupport
import Testing

/// Exit codes a script can rely on (real binary): 65 means something was verified
/// and found wrong, never a mistyped path or an existing output directory.
@Suite("liaison exit codes for missing input (real binary)")
struct ExitCodeTests {
    let dir = TemporaryDirectory(prefix: "liaison-exit")
    let cli = CLIRunner()

    @Test("a missing bundle, database, checkpoint or package file is 66 with input.unreadable, not 65",
          arguments: [["audit", "verify", "--bundle", "no-such-bundle"],
                      ["audit", "verify", "--database", "no-such.db"],
                      ["audit", "verify", "--bundle", "no-such-bundle", "--trusted-checkpoint", "no-such-checkpoint"],
                      ["package", "inspect", "no-such.lpkg"]])
    func missingInput(arguments: [String]) throws {
        let result = try cli.run(arguments.map { $0.hasPrefix("no-such") ? dir.file($0) : $0 })
        #expect(result.status == 66, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("[input.unreadable]"), "\(result.stderr)")
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
