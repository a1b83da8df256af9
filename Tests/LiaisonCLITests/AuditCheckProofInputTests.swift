import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import Testing

/// `liaison audit check-proof` given the right files, and given the wrong ones:
/// a mistake of the auditor's is a usage error (64) that names the file, and only
/// an entry or proof that is one but does not hold up sounds the alarm (65).
@Suite("audit check-proof: what it takes as the entry, and the wrong files (real binary)")
struct AuditCheckProofInputTests {
    /// A log of five entries with a signed checkpoint, and a proof of entry 3 in files.
    final class Fixture {
        let dir = TemporaryDirectory(prefix: "liaison-check-proof")
        let logKey: String
        let proof: String
        let leaf: [UInt8]
        static let index = 3

        init() throws {
            let key = try LogSecretKey()
            let signer = try NoteSigner(name: "liaison/check-proof-test", secretKey: key)
            let log = try AuditLog(path: dir.file("audit.db"))
            try log.appendBlocking((0..<5).map { n in
                AuditEvent(time: 1_795_651_200_000 + Int64(n), kind: .packageReceived, actor: .peer("p"), peer: "p",
                           package: String(format: "%032x", n), markings: "TLP:GREEN")
            })
            try log.signCheckpoint(with: signer, now: 1)
            let checkpoint = try #require(try log.newestCheckpoint())
            let hashes = try log.inclusionProof(index: Self.index, size: 5)
            proof = dir.write("entry.proof", try TLogProof(index: Self.index, hashes: hashes, checkpoint: checkpoint.note).bytes)
            leaf = try log.leaves(Self.index..<(Self.index + 1))[0]
            logKey = signer.verifierKey.description
        }

        func check(proof: String? = nil, entry: [UInt8]) throws -> CLIRunner.Result {
            try CLIRunner().run(["audit", "check-proof", proof ?? self.proof, "--entry", dir.write("entry-\(UUID())", entry), "--log-key", logKey])
        }

        func queryLine(_ index: Int, _ leaf: [UInt8]) -> [UInt8] {
            Array(#"{"index":\#(index),"leaf":"#.utf8) + leaf + Array("}\n".utf8)
        }
    }

    @Test("the entry as prove prints it, with a CRLF line end, or as its line of audit query --json: verified")
    func accepted() throws {
        let f = try Fixture()
        for entry in [f.leaf + [0x0A], f.leaf, f.leaf + [0x0D, 0x0A], f.queryLine(Fixture.index, f.leaf)] {
            let result = try f.check(entry: entry)
            #expect(result.status == 0 && result.stdout.hasPrefix("VERIFIED: entry 3 (package.received"), "\(result.stdout)\(result.stderr)")
        }
    }

    @Test("the wrong file is a usage error that says what it is, never an altered log", arguments: [
        ("empty", "it is empty"),
        ("the proof", "it is a proof: the proof goes first"),
        ("another entry's line", "it is the line of entry 2, but the proof is of entry 3"),
        ("two lines", "it holds 2 lines"),
        ("a half line", "it begins as a line of `audit query --json` but is not one"),
        ("a card", "an audit entry begins {\"v\":"),
    ])
    func wrongFile(_ what: String, _ why: String) throws {
        let f = try Fixture()
        let entry: [UInt8] = switch what {
        case "empty": []
        case "the proof": Array(try #require(FileManager.default.contents(atPath: f.proof)))
        case "another entry's line": f.queryLine(2, f.leaf)
        case "two lines": f.leaf + [0x0A] + f.leaf + [0x0A]
        case "a half line": Array(#"{"index":3,"leaf":}"#.utf8)
        default: Array("liaison-node-card v1\n".utf8)
        }
        let result = try f.check(entry: entry)
        #expect(result.status == 64 && result.stderr.contains("is not the entry (\(why)") && result.stderr.contains("[argument.invalid]")
                    && !result.stderr.contains("altered"), "\(what): \(result.status) \(result.stderr)")
    }

    @Test("the entry given as the proof (the two swapped) is said to be swapped")
    func swapped() throws {
        let f = try Fixture()
        for given in [f.leaf + [0x0A], f.queryLine(Fixture.index, f.leaf)] {
            let entryAsProof = f.dir.write("swapped-\(UUID())", given)
            let result = try CLIRunner().run(["audit", "check-proof", entryAsProof, "--entry", f.proof, "--log-key", f.logKey])
            #expect(result.status == 64 && result.stderr.contains("is an audit entry, not a proof: the proof goes first"), "\(result.stderr)")
        }
        // A proof that is damaged, not swapped, is still the alarm.
        let damaged = f.dir.write("damaged.proof", Array("c2sp.org/tlog-proof@v2\n".utf8))
        #expect(try CLIRunner().run(["audit", "check-proof", damaged, "--entry", f.dir.write("e", f.leaf), "--log-key", f.logKey]).status == 65)
    }

    @Test("an entry that was changed is the alarm: as prove printed it or inside its query line, decodable or not")
    func altered() throws {
        let f = try Fixture()
        let text = String(decoding: f.leaf, as: UTF8.self)
        let changed = Array(text.replacingOccurrences(of: "TLP:GREEN", with: "TLP:CLEAR").utf8)
        let broken = Array(text.replacingOccurrences(of: "\"outcome\":\"ok\"", with: "\"outcome\":\"meh\"").utf8)
        for entry in [changed + [0x0A], f.queryLine(Fixture.index, changed), broken + [0x0A], f.queryLine(Fixture.index, broken)] {
            let result = try f.check(entry: entry)
            #expect(result.status == 65 && !result.stdout.contains("VERIFIED"), "\(result.status) \(result.stdout)\(result.stderr)")
        }
        let undecodable = try f.check(entry: broken)
        #expect(undecodable.stderr.contains("is malformed") && undecodable.stderr.contains("changed after it was printed"), "\(undecodable.stderr)")
    }
}
