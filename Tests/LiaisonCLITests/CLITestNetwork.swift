import Foundation
import LiaisonTestSupport
import Testing

/// Three nodes made with the real `liaison` binary in a temporary directory,
/// with cards exchanged: alpha knows bravo and charlie; bravo and charlie know alpha.
final class CLITestNetwork: @unchecked Sendable {
    let dir = TemporaryDirectory(prefix: "liaison-cli")
    let cli = CLIRunner()

    init(passphrases: Bool = false) throws {
        for node in ["alpha", "bravo", "charlie"] {
            var args = ["init", "--home", home(node), "--name", node, "--listen", "127.0.0.1:7401"]
            if passphrases {
                dir.write("\(node).pass", Array("passphrase of \(node)\n".utf8))
                args += ["--passphrase-file", dir.file("\(node).pass")]
            } else {
                args.append("--no-passphrase")
            }
            try expectSuccess(args)
            try expectSuccess(["keys", "card", "--home", home(node), "--out", dir.file("\(node).card")] + passphraseArgs(node))
        }
        try expectSuccess(["peers", "import", dir.file("bravo.card"), "--home", home("alpha"), "--name", "bravo", "--trust", "partner",
                           "--clearance", "CONFIDENTIAL", "--communities", "NATO,EU"])
        try expectSuccess(["peers", "import", dir.file("charlie.card"), "--home", home("alpha"), "--name", "charlie", "--trust", "partner",
                           "--clearance", "RESTRICTED", "--communities", "EU"])
        for node in ["bravo", "charlie"] {
            try expectSuccess(["peers", "import", dir.file("alpha.card"), "--home", home(node), "--name", "alpha", "--trust", "partner"])
        }
    }

    func home(_ node: String) -> String { dir.file(node) }

    func passphraseArgs(_ node: String) -> [String] {
        FileManager.default.fileExists(atPath: dir.file("\(node).pass")) ? ["--passphrase-file", dir.file("\(node).pass")] : []
    }

    @discardableResult
    func expectSuccess(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRunner.Result {
        let result = try cli.run(args)
        #expect(result.status == 0, "liaison \(args.joined(separator: " ")) failed: \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    /// Seals `payload` from alpha to `recipients`; returns the package path.
    func seal(_ payload: [UInt8], to recipients: String, tlp: String = "AMBER", name: String = "p.lpkg", extra: [String] = []) throws -> String {
        let input = dir.write(name + ".in", payload)
        try expectSuccess(["package", "seal", "--home", home("alpha"), "--to", recipients, "--tlp", tlp, "--in", input,
                           "--out", dir.file(name)] + passphraseArgs("alpha") + extra)
        return dir.file(name)
    }
}
