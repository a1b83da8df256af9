import Foundation
import LiaisonCore
import LiaisonTestSupport
import Testing

/// The package format against an independent implementation (Tests/Interop, Python
/// with PyNaCl, written from docs/package-format.md alone), in both directions.
@Suite("Package format interoperability with the Python implementation")
struct PackageInteropTests {
    func key(_ net: CLITestNetwork, _ node: String, _ field: String) throws -> String {
        let (status, out, err) = try PythonTool.run("keyfile_dump.py", [net.dir.file("\(node)/keys/node.secrets"), "--field", field])
        try #require(status == 0, "keyfile_dump.py failed (is PyNaCl installed? run Deploy/setup.sh): \(err)")
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("liaison seals, Python opens, byte for byte", arguments: [0, 13, 1_048_576, 3_000_000])
    func swiftToPython(size: Int) throws {
        let net = try CLITestNetwork()
        var rng = SeededBytes(seed: UInt64(size) + 1)
        let payload = rng.next(size)
        let package = try net.seal(payload, to: "bravo,charlie", extra: ["--rel-to", "NATO,EU"])
        for node in ["bravo", "charlie"] {
            let out = net.dir.file("py-\(node).out")
            let (status, stdout, stderr) = try PythonTool.run("package_open.py", [
                "--secret-hex", try key(net, node, "encryption_secret_hex"),
                "--sender-identity-b64", try key(net, "alpha", "identity_public_b64"),
                "--in", package, "--out", out])
            #expect(status == 0, "package_open.py refused a Swift package: \(stderr)")
            #expect(net.dir.read("py-\(node).out") == payload)
            #expect(stdout.contains("\"tlp\": \"AMBER\"") || stdout.contains("\"tlp\":\"AMBER\""))
        }
    }

    @Test("Python seals, liaison opens, byte for byte")
    func pythonToSwift() throws {
        let net = try CLITestNetwork()
        var rng = SeededBytes(seed: 42)
        let payload = rng.next(2_500_000)
        let input = net.dir.write("py.in", payload)
        let (status, _, stderr) = try PythonTool.run("package_seal.py", [
            "--sender-seed-hex", try key(net, "alpha", "identity_seed_hex"),
            "--to-b64", try key(net, "bravo", "encryption_public_b64"),
            "--to-b64", try key(net, "charlie", "encryption_public_b64"),
            "--tlp", "AMBER+STRICT", "--rel-to", "EU,NATO", "--caveat", "EXDIS",
            "--expires", String(Timestamp.now() + 3600), "--in", input, "--out", net.dir.file("py.lpkg")])
        try #require(status == 0, "package_seal.py failed: \(stderr)")
        let result = try net.expectSuccess(["package", "open", "--home", net.home("bravo"), "--in", net.dir.file("py.lpkg"),
                                            "--out", net.dir.file("swift.out"), "--json"])
        #expect(net.dir.read("swift.out") == payload)
        #expect(result.stdout.contains("\"tlp\":\"AMBER+STRICT\""))
        #expect(result.stdout.contains("\"sender\":\"alpha\""))
    }

    @Test("both openers reject the negative corpus with the same error code")
    func sameErrors() throws {
        let net = try CLITestNetwork()
        var rng = SeededBytes(seed: 9)
        let package = try [UInt8](Data(contentsOf: URL(fileURLWithPath: net.seal(rng.next((4 << 20) + 1000), to: "bravo,charlie"))))
        let other = try [UInt8](Data(contentsOf: URL(fileURLWithPath: net.seal(rng.next(1 << 21), to: "bravo,charlie", name: "o.lpkg"))))
        let secret = try key(net, "bravo", "encryption_secret_hex")
        let secrets = try NodeHome(path: net.home("bravo")).loadSecrets(NodeHome(path: net.home("bravo")).loadConfiguration(), passphrase: PassphraseSource())
        let ourWrap = try #require(try PackageLayout(package).wrapIndex(in: package, for: secrets.encryption))
        let sender = try key(net, "alpha", "identity_public_b64")
        for (i, corrupt) in NegativeCorpus.cases(from: package, ourWrap: ourWrap, otherPackage: other).enumerated() {
            let input = net.dir.write("c\(i).lpkg", corrupt.bytes)
            let (status, _, stderr) = try PythonTool.run("package_open.py", [
                "--secret-hex", secret, "--sender-identity-b64", sender, "--in", input, "--out", net.dir.file("c\(i).out")])
            #expect(status != 0, "\(corrupt.name): the Python opener accepted it")
            #expect(stderr.contains(corrupt.expected.rawValue), "\(corrupt.name): Python said \(stderr)")
            #expect(net.dir.read("c\(i).out") == nil)
        }
    }
}
