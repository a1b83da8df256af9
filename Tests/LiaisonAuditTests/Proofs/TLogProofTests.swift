import Foundation
import LiaisonAudit
import LiaisonCrypto
import Testing

@Suite("TLogProof (C2SP tlog-proof)")
struct TLogProofTests {
    /// A proof for entry `index` of a 12-entry log at `size`, cosigned by `cosigners` (both by default).
    static func proof(
        _ log: AuditLogFixture, index: Int = 5, size: Int = 12, extra: [UInt8]? = nil, cosigners: [Cosigner]? = nil
    ) throws -> TLogProof {
        let tree = MerkleTree(source: ArrayHashSource(leafData: log.leaves))
        return try TLogProof(
            index: index, extra: extra, hashes: tree.inclusionProof(index: index, size: size),
            checkpoint: log.checkpoint(size: size, cosigners: cosigners)
        )
    }

    @Test("a proof formats as C2SP shows and parses back byte for byte", arguments: [nil, Array("app data".utf8)])
    func roundTrip(_ extra: [UInt8]?) throws {
        let log = try AuditLogFixture()
        let proof = try Self.proof(log, extra: extra)
        let text = proof.formatted
        var expected = "c2sp.org/tlog-proof@v1\n"
        if extra != nil { expected += "extra YXBwIGRhdGE=\n" }
        expected += "index 5\n"
        #expect(text.hasPrefix(expected))
        #expect(text.contains("\n\n\(AuditLogFixture.origin)\n12\n"))
        #expect(proof.hashes.count == 4)
        let parsed = try TLogProof(parsing: proof.bytes)
        #expect(parsed == proof)
        #expect(parsed.bytes == proof.bytes)
        #expect(try TLogProof(parsing: text) == proof)
    }

    @Test("a one-entry log has an empty proof: the index line is followed by the empty line")
    func emptyProof() throws {
        let log = try AuditLogFixture(entryCount: 1)
        let proof = try Self.proof(log, index: 0, size: 1)
        #expect(proof.hashes.isEmpty)
        #expect(proof.formatted.hasPrefix("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
        #expect(try TLogProof(parsing: proof.bytes) == proof)
        #expect(try proof.verify(leaf: log.leaves[0], logKey: log.logKey).index == 0)
    }

    static let hashLine = "ZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2U="  // 32 bytes

    /// Each mangling of a valid proof text; every one must be refused.
    static let manglings: [(String, @Sendable (String) -> String)] = [
        ("another header", { $0.replacingFirst("c2sp.org/tlog-proof@v1", with: "c2sp.org/tlog-proof@v2") }),
        ("header with a trailing space", { $0.replacingFirst("@v1\n", with: "@v1 \n") }),
        ("no header", { String($0.dropFirst("c2sp.org/tlog-proof@v1\n".count)) }),
        ("empty extra", { $0.replacingFirst("index ", with: "extra \nindex ") }),
        ("extra without padding", { $0.replacingFirst("index ", with: "extra YQ\nindex ") }),
        ("extra with non-zero padding bits", { $0.replacingFirst("index ", with: "extra YR==\nindex ") }),
        ("extra after index", { $0.replacingFirst("index 5\n", with: "index 5\nextra YQ==\n") }),
        ("index with a leading zero", { $0.replacingFirst("index 5", with: "index 05") }),
        ("negative index", { $0.replacingFirst("index 5", with: "index -5") }),
        ("index with a plus", { $0.replacingFirst("index 5", with: "index +5") }),
        ("two spaces", { $0.replacingFirst("index 5", with: "index  5") }),
        ("index too large", { $0.replacingFirst("index 5", with: "index 9223372036854775808") }),
        ("upper-case keyword", { $0.replacingFirst("index 5", with: "INDEX 5") }),
        ("no index line", { $0.replacingFirst("index 5\n", with: "") }),
        ("a 31-byte hash", { $0.replacingFirst("index 5\n", with: "index 5\nZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2==\n") }),
        ("a 33-byte hash", { $0.replacingFirst("index 5\n", with: "index 5\nZmFrZWZha2VmYWtlZmFrZWZha2VmYWtlZmFrZWZha2Vm\n") }),
        ("unpadded hash", { $0.replacingFirst("index 5\n", with: "index 5\n\(hashLine.dropLast())\n") }),
        ("hash with a trailing space", { $0.replacingFirst("index 5\n", with: "index 5\n\(hashLine) \n") }),
        ("CRLF line ends", { $0.replacingFirst("index 5\n", with: "index 5\r\n") }),
        ("no empty line", { $0.replacingFirst("\n\n\(AuditLogFixture.origin)", with: "\n\(AuditLogFixture.origin)") }),
        ("two empty lines", { $0.replacingFirst("\n\n\(AuditLogFixture.origin)", with: "\n\n\n\(AuditLogFixture.origin)") }),
        ("65 hashes", { $0.replacingFirst("index 5\n", with: "index 5\n" + String(repeating: "\(hashLine)\n", count: 61)) }),
        ("checkpoint without signatures", { String($0.prefix(upTo: $0.range(of: "\n\u{2014}")!.lowerBound)) + "\n" }),
        ("checkpoint that is not a checkpoint", { $0.replacingFirst("\n12\n", with: "\ntwelve\n") }),
        ("bytes after the checkpoint", { $0 + "trailing\n" }),
        ("missing final newline", { String($0.dropLast()) }),
        ("empty", { _ in "" }),
        ("only the header", { _ in "c2sp.org/tlog-proof@v1\n" }),
    ]

    @Test("every mangling is refused with audit.malformed-proof", arguments: manglings.indices)
    func strictParsing(_ index: Int) throws {
        let log = try AuditLogFixture()
        let text = try Self.proof(log).formatted
        let (name, mangle) = Self.manglings[index]
        let mangled = mangle(text)
        #expect(mangled != text, "the mangling \(name) must change the text")
        let error = #expect(throws: AuditError.self, "\(name)") { try TLogProof(parsing: mangled) }
        #expect(error?.code == .malformedProof, "\(name)")
    }

    @Test("input larger than the bound is refused before parsing")
    func tooLarge() {
        let bytes = Array("c2sp.org/tlog-proof@v1\n".utf8) + [UInt8](repeating: 0x41, count: TLogProof.maximumByteCount)
        let error = #expect(throws: AuditError.self) { try TLogProof(parsing: bytes) }
        #expect(error?.code == .malformedProof)
    }

    @Test("parts that cannot form a proof are refused")
    func badParts() throws {
        let log = try AuditLogFixture()
        let note = try log.checkpoint(size: 12)
        let attempts: [() throws -> TLogProof] = [
            { try TLogProof(index: -1, hashes: [], checkpoint: note) },
            { try TLogProof(index: 0, extra: [], hashes: [], checkpoint: note) },
            { try TLogProof(index: 0, extra: [UInt8](repeating: 1, count: TLogProof.maximumExtraByteCount + 1), hashes: [], checkpoint: note) },
            { try TLogProof(index: 0, hashes: [[1, 2, 3]], checkpoint: note) },
            { try TLogProof(index: 0, hashes: Array(repeating: MerkleHasher.emptyRoot, count: 65), checkpoint: note) },
            { try TLogProof(index: 0, hashes: [], checkpoint: SignedNote(text: "hello\n", signatures: note.signatures)) },
        ]
        for attempt in attempts {
            let error = #expect(throws: AuditError.self) { try attempt() }
            #expect(error?.code == .malformedProof)
        }
    }
}

@Suite("TLogProof verification")
struct TLogProofVerificationTests {
    @Test("a genuine proof verifies for every entry, with two witnesses required")
    func verifies() throws {
        let log = try AuditLogFixture()
        for index in log.leaves.indices {
            let proof = try TLogProofTests.proof(log, index: index)
            let verified = try proof.verify(leaf: log.leaves[index], logKey: log.logKey, witnesses: log.witnessKeys, requiredWitnesses: 2)
            #expect(verified.index == index)
            #expect(verified.checkpoint.size == 12)
            #expect(verified.cosignerNames == ["witness.example/w1", "witness.example/w2"])
        }
        // After parsing too, and against an older checkpoint.
        let older = try TLogProof(parsing: TLogProofTests.proof(log, index: 2, size: 7, extra: [7]).bytes)
        #expect(try older.verify(leaf: log.leaves[2], logKey: log.logKey).extra == [7])
    }

    @Test("another index of the same log is refused with audit.inclusion-failed")
    func wrongIndex() throws {
        let log = try AuditLogFixture()
        let proof = try TLogProofTests.proof(log, index: 5)
        let moved = try TLogProof(index: 4, hashes: proof.hashes, checkpoint: proof.checkpoint)
        let error = #expect(throws: AuditError.self) { try moved.verify(leaf: log.leaves[5], logKey: log.logKey) }
        #expect(error?.code == .inclusionFailed)
    }

    @Test("an index beyond the checkpoint is refused with audit.proof-index-out-of-range")
    func indexOutOfRange() throws {
        let log = try AuditLogFixture()
        let proof = try TLogProofTests.proof(log, index: 5)
        let beyond = try TLogProof(index: 12, hashes: proof.hashes, checkpoint: proof.checkpoint)
        let error = #expect(throws: AuditError.self) { try beyond.verify(leaf: log.leaves[5], logKey: log.logKey) }
        #expect(error?.code == .proofIndexOutOfRange)
    }

    @Test("another leaf is refused with audit.inclusion-failed")
    func wrongLeaf() throws {
        let log = try AuditLogFixture()
        let proof = try TLogProofTests.proof(log, index: 5)
        let error = #expect(throws: AuditError.self) { try proof.verify(leaf: log.leaves[6], logKey: log.logKey) }
        #expect(error?.code == .inclusionFailed)
    }

    @Test("a corrupted, missing or extra hash is refused with audit.inclusion-failed")
    func corruptedHash() throws {
        let log = try AuditLogFixture()
        let proof = try TLogProofTests.proof(log, index: 5)
        var flipped = proof.hashes
        flipped[1][0] ^= 0x80
        for hashes in [flipped, Array(proof.hashes.dropLast()), proof.hashes + [MerkleHasher.emptyRoot]] {
            let bad = try TLogProof(index: 5, hashes: hashes, checkpoint: proof.checkpoint)
            let error = #expect(throws: AuditError.self) { try bad.verify(leaf: log.leaves[5], logKey: log.logKey) }
            #expect(error?.code == .inclusionFailed)
        }
    }

    @Test("a missing witness cosignature is refused with audit.insufficient-witnesses")
    func missingWitness() throws {
        let log = try AuditLogFixture()
        let proof = try TLogProofTests.proof(log, cosigners: [log.witnesses[0]])
        #expect(try proof.verify(leaf: log.leaves[5], logKey: log.logKey, witnesses: log.witnessKeys, requiredWitnesses: 1).cosignerNames == ["witness.example/w1"])
        let error = #expect(throws: AuditError.self) {
            try proof.verify(leaf: log.leaves[5], logKey: log.logKey, witnesses: log.witnessKeys, requiredWitnesses: 2)
        }
        #expect(error?.code == .insufficientWitnesses)
        #expect(error?.message.contains("1 of the 2 required") == true)
        // A cosignature from a witness the verifier does not trust does not count.
        let untrusted = #expect(throws: AuditError.self) {
            try proof.verify(leaf: log.leaves[5], logKey: log.logKey, witnesses: [log.witnessKeys[1]], requiredWitnesses: 1)
        }
        #expect(untrusted?.code == .insufficientWitnesses)
        // It names the cosigner found, whose key was not given, instead of asking to wait.
        #expect(untrusted?.message.contains("it is cosigned by witness.example/w1, which no witness key given verifies") == true
                && untrusted?.message.contains("wait until") == false, "\(String(describing: untrusted))")
        // A key given under a witness's name, but not its key: named, even though another given key counted.
        let both = try TLogProofTests.proof(log, cosigners: log.witnesses)
        let impostor = try Cosigner(name: "witness.example/w2", secretKey: LogSecretKey()).verifierKey
        let wrong = #expect(throws: AuditError.self) {
            try both.verify(leaf: log.leaves[5], logKey: log.logKey, witnesses: [log.witnessKeys[0], impostor], requiredWitnesses: 2)
        }
        #expect(wrong?.message.contains("it is cosigned by witness.example/w2, which no witness key given verifies") == true, "\(String(describing: wrong))")
        // The log's own key given as a witness's is left out, and the message says why the count is short.
        let own = #expect(throws: AuditError.self) {
            try proof.verify(leaf: log.leaves[5], logKey: log.logKey, witnesses: [log.logKey], requiredWitnesses: 1)
        }
        #expect(own?.message.contains("only 0 witness keys were given (the log's own key, also given, never counts") == true, "\(String(describing: own))")
    }

    @Test("a checkpoint not signed by the log key is refused")
    func wrongLogKey() throws {
        let log = try AuditLogFixture()
        let other = try AuditLogFixture()
        let proof = try TLogProofTests.proof(log)
        let error = #expect(throws: AuditError.self) { try proof.verify(leaf: log.leaves[5], logKey: other.logKey) }
        #expect(error?.code == .noVerifiedSignature)
    }
}
