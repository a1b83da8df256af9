import Foundation
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("liaison package seal/open/inspect (real binary)")
struct PackageCommandTests {
    @Test("seal to two peers; each opens it, the sender's markings are reported")
    func sealAndOpen() throws {
        let net = try CLITestNetwork(passphrases: true)
        var rng = SeededBytes(seed: 3)
        let payload = rng.next(2_500_000)
        let package = try net.seal(payload, to: "bravo,charlie", extra: ["--classification", "restricted", "--rel-to", "NATO,EU"])
        for node in ["bravo", "charlie"] {
            let out = net.dir.file("\(node).out")
            let result = try net.expectSuccess(["package", "open", "--home", net.home(node), "--in", package, "--out", out, "--json"] + net.passphraseArgs(node))
            #expect(net.dir.read("\(node).out") == payload)
            let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(json?["sender"] as? String == "alpha")
            #expect(json?["tlp"] as? String == "AMBER")
            #expect(json?["classification"] as? String == "RESTRICTED")
            #expect(json?["releasableTo"] as? [String] == ["EU", "NATO"])
            #expect(json?["payloadBytes"] as? Int == payload.count)
            let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? Int
            #expect(mode == 0o600, "decrypted output must be private")
        }
        // Sealed offline: recorded as sealed for its recipients, never as queued (no daemon queued it).
        var query = AuditQuery()
        query.kinds = [.packageSealed]
        let sealed = try AuditLog(readingOnly: net.home("alpha") + "/audit.db").query(query)
        #expect(sealed.count == 1 && sealed.first?.event.details["recipients"] == "bravo,charlie", "\(sealed)")
        #expect(sealed.first?.event.details["queued"] == nil)
    }

    @Test("inspect shows the cleartext header without keys and hides sender and recipients")
    func inspect() throws {
        let net = try CLITestNetwork()
        let package = try net.seal(Array(repeating: 1, count: 3000), to: "bravo,charlie", tlp: "green")
        let text = try net.expectSuccess(["package", "inspect", package]).stdout
        #expect(text.contains("TLP:GREEN"))
        #expect(text.contains("recipients: 2"))
        #expect(!text.contains("alpha") && !text.contains("bravo"))
        let json = try JSONSerialization.jsonObject(with: Data(try net.expectSuccess(["package", "inspect", "--json", package]).stdout.utf8)) as? [String: Any]
        #expect(json?["complete"] as? Bool == true)
        #expect(json?["payloadBytes"] as? Int == 3000)
        #expect((json?["id"] as? String)?.count == 32)
        // The header's hash, as a delivery receipt names it: BLAKE2b-512 of the header's bytes.
        let bytes = try #require(FileManager.default.contents(atPath: package))
        var source = MemorySource(Array(bytes))
        let header = try PackageOpener.readHeader(from: &source)
        #expect(json?["headerHash"] as? String == Hex.encode(header.hash))
        #expect(text.contains("header:     BLAKE2b-512 \(Hex.encode(header.hash))"))
    }

    @Test("a node that is not addressed is refused and nothing is written")
    func notAddressed() throws {
        let net = try CLITestNetwork()
        let package = try net.seal([1, 2, 3], to: "bravo")
        let result = try net.cli.run(["package", "open", "--home", net.home("charlie"), "--in", package, "--out", net.dir.file("c.out")])
        #expect(result.status == 65)
        #expect(result.stderr.contains("package.not-a-recipient"))
        #expect(!net.dir.entries().contains { $0.hasPrefix("c.out") })
    }

    @Test("every corrupted package in the negative corpus is refused with its code and leaves no file")
    func negativeCorpus() throws {
        let net = try CLITestNetwork()
        var rng = SeededBytes(seed: 5)
        // Small chunks would need a flag; a 4.3 MiB payload gives five 1 MiB chunks.
        let payload = rng.next((4 << 20) + 300_000)
        let package = try [UInt8](Data(contentsOf: URL(fileURLWithPath: net.seal(payload, to: "bravo,charlie"))))
        let other = try [UInt8](Data(contentsOf: URL(fileURLWithPath: net.seal(rng.next(2 << 20), to: "bravo,charlie", name: "other.lpkg"))))
        let bravoSecrets = try NodeHome(path: net.home("bravo")).loadSecrets(NodeHome(path: net.home("bravo")).loadConfiguration(), passphrase: PassphraseSource())
        let ourWrap = try #require(try PackageLayout(package).wrapIndex(in: package, for: bravoSecrets.encryption))
        let corpus = NegativeCorpus.cases(from: package, ourWrap: ourWrap, otherPackage: other)
        #expect(corpus.count >= 40)
        for (i, corrupt) in corpus.enumerated() {
            let input = net.dir.write("corrupt-\(i).lpkg", corrupt.bytes)
            let out = "opened-\(i).bin"
            let result = try net.cli.run(["package", "open", "--home", net.home("bravo"), "--in", input, "--out", net.dir.file(out)])
            #expect(result.status == 65, "\(corrupt.name): exit \(result.status)")
            #expect(result.stderr.contains("[\(corrupt.expected.rawValue)]"), "\(corrupt.name): \(result.stderr)")
            #expect(!net.dir.entries().contains { $0.hasPrefix(out) }, "\(corrupt.name): output written")
        }
    }

    @Test("sealing refuses unknown peers, an empty recipient list and classifications off the ladder")
    func sealRefusals() throws {
        let net = try CLITestNetwork()
        let input = net.dir.write("in", [1])
        let base = ["package", "seal", "--home", net.home("alpha"), "--in", input, "--out", net.dir.file("x.lpkg")]
        let unknown = try net.cli.run(base + ["--to", "zulu", "--tlp", "green"])
        #expect(unknown.status == 66 && unknown.stderr.contains("peer.unknown"))
        let empty = try net.cli.run(base + ["--to", ",", "--tlp", "green"])
        #expect(empty.status == 64 && empty.stderr.contains("empty recipient set"))
        let ladder = try net.cli.run(base + ["--to", "bravo", "--tlp", "green", "--classification", "COSMIC"])
        #expect(ladder.status == 64 && ladder.stderr.contains("ladder"))
        let tlp = try net.cli.run(base + ["--to", "bravo", "--tlp", "purple"])
        #expect(tlp.status == 64 && tlp.stderr.contains("CLEAR, GREEN, AMBER"))
        #expect(!net.dir.entries().contains { $0.hasPrefix("x.lpkg") })
    }

    @Test("the access policy withholds the key wrap from a peer not cleared for the markings")
    func policyWithholds() throws {
        let net = try CLITestNetwork()
        try net.expectSuccess(["init", "--home", net.home("delta"), "--name", "delta", "--no-passphrase"])
        try net.expectSuccess(["keys", "card", "--home", net.home("delta"), "--out", net.dir.file("delta.card")])
        try net.expectSuccess(["peers", "import", net.dir.file("delta.card"), "--home", net.home("alpha"), "--name", "delta", "--trust", "limited"])
        try net.expectSuccess(["peers", "import", net.dir.file("alpha.card"), "--home", net.home("delta"), "--name", "alpha", "--trust", "partner"])
        let input = net.dir.write("amber.in", Array("amber report".utf8))
        let result = try net.expectSuccess(["package", "seal", "--home", net.home("alpha"), "--to", "bravo,delta", "--tlp", "AMBER",
                                            "--in", input, "--out", net.dir.file("amber.lpkg"), "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(json?["recipients"] as? [String] == ["bravo"])
        let withheld = json?["withheld"] as? [[String: Any]]
        #expect(withheld?.first?["peer"] as? String == "delta")
        #expect(withheld?.first?["rule"] as? String == "limited-trust-clear-green-unclassified-only")
        let inspect = try net.expectSuccess(["package", "inspect", "--json", net.dir.file("amber.lpkg")]).stdout
        #expect(inspect.contains("\"recipients\":1"), "delta must get no key wrap")
        let denied = try net.cli.run(["package", "open", "--home", net.home("delta"), "--in", net.dir.file("amber.lpkg"), "--out", net.dir.file("d.out")])
        #expect(denied.status == 65 && denied.stderr.contains("package.not-a-recipient"))
        // GREEN goes to both; RED to nobody here, which is an error naming the rules.
        let green = try net.expectSuccess(["package", "seal", "--home", net.home("alpha"), "--to", "bravo,delta", "--tlp", "GREEN",
                                           "--in", input, "--out", net.dir.file("green.lpkg"), "--json"]).stdout
        #expect(green.contains("\"recipients\":[\"bravo\",\"delta\"]"))
        let red = try net.cli.run(["package", "seal", "--home", net.home("alpha"), "--to", "bravo,delta", "--tlp", "RED",
                                   "--in", input, "--out", net.dir.file("red.lpkg")])
        #expect(red.status == 65 && red.stderr.contains("policy.denied") && red.stderr.contains("tlp-red-requires-trusted"))
        #expect(!net.dir.entries().contains { $0.hasPrefix("red.lpkg") })
        // The dry run says the same, with the rule.
        let check = try net.expectSuccess(["policy", "check", "--home", net.home("alpha"), "--to", "bravo,delta", "--tlp", "AMBER"]).stdout
        #expect(check.contains("bravo: ALLOWED") && check.contains("delta: DENIED"))
        #expect(check.contains("limited-trust-clear-green-unclassified-only"))
        // Nobody would get RED: the dry run fails as the send would; options it cannot use are refused.
        let nobody = try net.cli.run(["policy", "check", "--home", net.home("alpha"), "--to", "bravo,delta", "--tlp", "RED"])
        #expect(nobody.status == 65 && nobody.stdout.contains("bravo: DENIED"), "\(nobody.status) \(nobody.stdout)")
        #expect(try net.cli.run(["policy", "check", "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN", "--expires", "1d"]).status == 64)
    }

    @Test("an expired package is refused when opened")
    func expired() throws {
        let net = try CLITestNetwork()
        let package = try net.seal([9], to: "bravo", extra: ["--expires", "1s"])
        sleep(2)
        let result = try net.cli.run(["package", "open", "--home", net.home("bravo"), "--in", package, "--out", net.dir.file("e.out")])
        #expect(result.status == 65 && result.stderr.contains("package.expired"))
    }

    @Test("open refuses to overwrite an existing file")
    func noOverwrite() throws {
        let net = try CLITestNetwork()
        let package = try net.seal([9], to: "bravo")
        net.dir.write("exists", [0])
        let result = try net.cli.run(["package", "open", "--home", net.home("bravo"), "--in", package, "--out", net.dir.file("exists")])
        #expect(result.status == 64)
        #expect(net.dir.read("exists") == [0])
    }
}
