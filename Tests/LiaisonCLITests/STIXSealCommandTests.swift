import Foundation
import LiaisonTestSupport
import Testing

@Suite("liaison package seal with STIX markings (real binary)")
struct STIXSealCommandTests {
    static let stix = ["--content-type", "application/stix+json"]

    @Test("a bundle with a TLP:RED granular marking sealed as GREEN is raised to RED; --strict-markings refuses and writes nothing")
    func sealRaisedOrRefused() throws {
        let net = try CLITestNetwork()
        let bundle = Array(STIXBundles.granularRed.utf8)
        let input = net.dir.write("red-bundle.json", bundle)
        // TLP:RED goes only to a trusted peer: delta.
        try net.expectSuccess(["init", "--home", net.home("delta"), "--name", "delta", "--no-passphrase"])
        try net.expectSuccess(["keys", "card", "--home", net.home("delta"), "--out", net.dir.file("delta.card")])
        try net.expectSuccess(["peers", "import", net.dir.file("delta.card"), "--home", net.home("alpha"), "--name", "delta", "--trust", "trusted"])
        try net.expectSuccess(["peers", "import", net.dir.file("alpha.card"), "--home", net.home("delta"), "--name", "alpha", "--trust", "trusted"])

        let json = try net.expectSuccess(["package", "seal", "--home", net.home("alpha"), "--to", "bravo,delta", "--tlp", "GREEN", "--in", input,
                                          "--out", net.dir.file("red.lpkg"), "--json"] + Self.stix).stdout
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((report["markings"] as? String)?.hasPrefix("TLP:RED") == true, "\(report)")
        #expect((report["markingsNote"] as? String)?.contains("TLP raised from TLP:GREEN to TLP:RED") == true)
        // The raised markings decide who gets a key wrap: bravo (a partner) may not receive RED.
        #expect(report["recipients"] as? [String] == ["delta"])
        #expect((report["withheld"] as? [[String: Any]])?.first?["rule"] as? String == "tlp-red-requires-trusted")
        #expect(!json.contains(STIXBundles.secret))
        let inspect = try net.expectSuccess(["package", "inspect", "--json", net.dir.file("red.lpkg")]).stdout
        #expect(inspect.contains("\"tlp\":\"RED\""), "\(inspect)")
        try net.expectSuccess(["package", "open", "--home", net.home("delta"), "--in", net.dir.file("red.lpkg"), "--out", net.dir.file("delta.json")])
        #expect(net.dir.read("delta.json") == bundle)

        let refused = try net.cli.run(["package", "seal", "--home", net.home("alpha"), "--to", "delta", "--tlp", "GREEN", "--in", input,
                                       "--out", net.dir.file("strict.lpkg"), "--strict-markings"] + Self.stix)
        #expect(refused.status == 65 && refused.stderr.contains("[policy.marking-conflict]") && refused.stderr.contains("--tlp RED"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(STIXBundles.secret))
        #expect(!net.dir.entries().contains { $0.hasPrefix("strict.lpkg") })
    }

    @Test("from standard input, a bundle not marked more strictly keeps the operator's TLP; a broken one is refused")
    func stdinAndBroken() throws {
        let net = try CLITestNetwork()
        let kept = try net.cli.run(["package", "seal", "--home", net.home("alpha"), "--to", "bravo", "--tlp", "AMBER+STRICT", "--in", "-",
                                    "--out", net.dir.file("kept.lpkg"), "--json", "--strict-markings"] + Self.stix,
                                   stdin: Data(STIXBundles.amberTLP1.utf8))
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stdout.contains("\"markings\":\"TLP:AMBER+STRICT") && !kept.stdout.contains("markingsNote"), "\(kept.stdout)")
        let broken = net.dir.write("broken.json", Array("{\"type\": \"bundle\", \"objects\": [{\"type\": \"indicator\", \"object_marking_refs\": 1}]}".utf8))
        let refused = try net.cli.run(["package", "seal", "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN", "--in", broken,
                                       "--out", net.dir.file("broken.lpkg")] + Self.stix)
        #expect(refused.status == 64 && refused.stderr.contains("[package.invalid-markings]"), "\(refused.stderr)")
        #expect(!net.dir.entries().contains { $0.hasPrefix("broken.lpkg") })
    }
}
