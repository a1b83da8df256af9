import Foundation
import LiaisonAudit
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import Testing

/// `liaison audit verify` facing evidence prepared by someone who wants it to pass,
/// or to mislead or crash the auditor's tools.
@Suite("liaison audit verify on hostile input (real binary)")
struct AuditVerifyHostileInputTests {
    typealias Fixture = AuditVerifyCommandTests.Fixture

    @Test("a file named like the key the auditor typed does not replace it")
    func plantedKeyFile() throws {
        let fixture = try Fixture(entries: 8, checkpointAt: [8])
        // A history made up and signed by someone else under the node's log name.
        let impostor = try NoteSigner(name: AuditVerifyCommandTests.origin, secretKey: try LogSecretKey())
        let forgedPath = fixture.dir.file("forged.db")
        let forged = try AuditLog(path: forgedPath)
        try forged.appendBlocking((0..<8).map { Fixture.event($0 + 100) })
        try forged.signCheckpoint(with: impostor, now: 2)
        // The genuine key's text is also a relative path: plant the impostor's key there.
        let genuine = fixture.signer.verifierKey.description
        let planted = URL(fileURLWithPath: fixture.dir.file("workdir")).appendingPathComponent(genuine)
        try FileManager.default.createDirectory(at: planted.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(impostor.verifierKey.description.utf8).write(to: planted)

        let result = try CLIRunner().run(["audit", "verify", "--database", forgedPath, "--log-key", genuine, "--json"],
                                         in: fixture.dir.file("workdir"))
        #expect(result.status == 65, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("verify.checkpoint-invalid") || result.stdout.contains("verify.no-checkpoint"), "\(result.stdout)")
        #expect(result.stdout.contains(genuine) && !result.stdout.contains(impostor.verifierKey.description), "\(result.stdout)")
        // A key in a file still works when the path is not itself a key.
        let keyFile = fixture.dir.write("log.vkey", Array((genuine + "\n").utf8))
        let fromFile = try CLIRunner().run(["audit", "verify", "--database", fixture.path, "--log-key", keyFile])
        #expect(fromFile.status == 0, "\(fromFile.stdout)\(fromFile.stderr)")
    }

    @Test("a log key is refused as a witness key, and a witness key as the log key")
    func keyTypes() throws {
        let fixture = try Fixture(entries: 4, checkpointAt: [4])
        let logKey = fixture.signer.verifierKey
        let other = try NoteSigner(name: "liaison/other", secretKey: try LogSecretKey()).verifierKey
        let asWitness = try CLIRunner().run(["audit", "verify", "--database", fixture.path, "--log-key", logKey.description,
                                             "--witness-key", other.description, "--witnesses", "1"])
        #expect(asWitness.status == 64 && asWitness.stderr.contains("is a log key, not a witness's cosignature key"), "\(asWitness.stderr)")
        let cosigner = try NoteVerifierKey(name: "liaison-witness/other", type: .cosignatureV1, publicKey: other.publicKey)
        let asLog = try CLIRunner().run(["audit", "verify", "--database", fixture.path, "--log-key", cosigner.description])
        #expect(asLog.status == 64 && asLog.stderr.contains("not a log key"), "\(asLog.stderr)")
    }

    @Test("one witness key listed under two names counts once")
    func oneKeyTwoNames() throws {
        let log = try NoteSigner(name: "liaison/log", secretKey: try LogSecretKey())
        let witnessSecret = try LogSecretKey()
        let checkpoint = try Checkpoint(origin: "liaison/log", size: 0, rootHash: MerkleHasher.emptyRoot)
        var note = try log.sign(checkpoint)
        let cosigner = try Cosigner(name: "liaison-witness/w", secretKey: witnessSecret)
        note = try note.adding(try cosigner.cosign(checkpoint, timestamp: 1_795_651_200))
        let first = cosigner.verifierKey
        // The same key again under another name: a relabelled copy of the one cosignature verifies under it.
        let second = try NoteVerifierKey(name: "liaison-witness/w2", type: .cosignatureV1, publicKey: witnessSecret.publicKey)
        let line = try #require(note.signatures.first { $0.name == "liaison-witness/w" })
        let relabelled = try NoteSignature(name: second.name, keyID: second.keyID, signature: line.signature)
        note = try note.adding(relabelled)
        let report = try AuditLogVerifier(logKey: log.verifierKey, witnesses: [first, second], requiredWitnesses: 2,
                                          checkpoints: [note.bytes]).finish()
        #expect(!report.isValid && report.failures.contains { $0.code == .insufficientWitnesses }, "\(report)")
        let one = try AuditLogVerifier(logKey: log.verifierKey, witnesses: [first, second], requiredWitnesses: 1,
                                       checkpoints: [note.bytes]).finish()
        #expect(one.isValid && one.newestCheckpoint?.cosigners == ["liaison-witness/w"], "\(one)")
    }

    @Test("escape sequences in an entry reach the auditor's screen as '?'")
    func escapeSequences() throws {
        let fixture = try Fixture(entries: 4, checkpointAt: [4])
        let leaf = String(decoding: Fixture.event(1).canonicalBytes, as: UTF8.self)
            .replacingOccurrences(of: "\"event\":\"package.received\"", with: #""event":"\u001b[2J\u001b[HVERIFIED\u001b[8m"# + "\u{9b}31m\"")
        // As JSON escapes, which the leaf's decoder turns into the terminal's controls.
        #expect(leaf.contains(#"\u001b[2J"#))
        try fixture.tamper("UPDATE leaf SET data = CAST(x'\(Data(leaf.utf8).map { String(format: "%02x", $0) }.joined())' AS BLOB) WHERE idx = 1")
        let result = try CLIRunner().run(["audit", "verify", "--database", fixture.path, "--log-key", fixture.signer.verifierKey.description])
        #expect(result.status == 65)
        #expect(!result.stdout.unicodeScalars.contains { $0 == "\u{1b}" || $0 == "\u{9b}" }, "\(result.stdout.debugDescription)")
        #expect(result.stdout.contains("?[2J?[HVERIFIED?[8m?31m"), "\(result.stdout)")
    }

    @Test("a crafted database is reported, not a crash: the largest index, a checkpoint size that is text, a short hash")
    func craftedDatabase() throws {
        let largest = try Fixture(entries: 4, checkpointAt: [4])
        try largest.tamper("UPDATE leaf SET idx = 9223372036854775807 WHERE idx = 3")
        let overflow = try largest.verify()
        #expect(overflow.status == 65 && overflow.codes.contains("storage.index-gap"), "\(overflow.output)")

        let text = try Fixture(entries: 4, checkpointAt: [4])
        // The table rebuilt without its types, as someone with the file can.
        try text.tamper("""
            ALTER TABLE checkpoint RENAME TO original; CREATE TABLE checkpoint (size, root, note, signed_at);
            INSERT INTO checkpoint SELECT 'abc', root, note, signed_at FROM original; DROP TABLE original
            """)
        let wrongType = try CLIRunner().run(["audit", "verify", "--database", text.path, "--log-key", text.signer.verifierKey.description])
        #expect(wrongType.status == 65 && wrongType.stderr.contains("store.corrupt")
                && !wrongType.stderr.contains("— liaison/test-node"), "\(wrongType.stdout)\(wrongType.stderr)")

        let short = try Fixture(entries: 4, checkpointAt: [4])
        try short.tamper("PRAGMA ignore_check_constraints = ON; UPDATE leaf SET hash = x'0102' WHERE idx = 2")
        let shortHash = try short.verify()
        #expect(shortHash.status == 65 && shortHash.codes.contains("storage.leaf-hash-mismatch"), "\(shortHash.output)")
        #expect(shortHash.output.contains("entry 2"), "\(shortHash.output)")
    }
}
