import LiaisonAudit
import LiaisonCrypto
import Testing

@Suite("Checkpoint (C2SP tlog-checkpoint)")
struct CheckpointTests {
    static let root = TestBytes.base64("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")

    @Test("the C2SP example parses into its parts and formats back byte for byte")
    func c2spExample() throws {
        let checkpoint = try Checkpoint(parsing: NoteVectors.checkpointBody)
        #expect(checkpoint.origin == "example.com/behind-the-sofa")
        #expect(checkpoint.size == 20_852_163)
        #expect(checkpoint.rootHash == Self.root)
        #expect(checkpoint.extensions.isEmpty)
        #expect(checkpoint.body == NoteVectors.checkpointBody)
    }

    @Test(
        "well-formed bodies round trip",
        arguments: [
            "log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n",
            "example.com/log42\n9223372036854775807\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "example.com/log42\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nTimestamp: 1689748607742585419\nsecond ext\n",
            // C2SP asks origins not to hold spaces or '+', but forbids clients to assume it.
            "an origin with spaces+plus\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
            "d\u{00E9}j\u{00E0}-vu.example/\u{65E5}\u{672C}\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
        ]
    )
    func roundTrip(_ body: String) throws {
        #expect(try Checkpoint(parsing: body).body == body)
    }

    @Test("formatting from parts, with extension lines")
    func fromParts() throws {
        let checkpoint = try Checkpoint(origin: "liaison.example/a/audit", size: 42, rootHash: MerkleHasher.emptyRoot, extensions: ["x", "y z"])
        #expect(checkpoint.body == "liaison.example/a/audit\n42\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\nx\ny z\n")
        #expect(try Checkpoint(parsing: checkpoint.body) == checkpoint)
        #expect(checkpoint.description == checkpoint.body)
    }

    static let good = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="

    @Test(
        "malformed bodies are refused with audit.malformed-checkpoint",
        arguments: [
            "",
            "\n",
            "example.com/log\n5\n\(good)",  // no final newline
            "example.com/log\n5\n",  // no root line
            "example.com/log\n",
            "\n5\n\(good)\n",  // empty origin
            "example.com/log\n\n\(good)\n",  // empty size
            "example.com/log\n05\n\(good)\n",  // leading zero
            "example.com/log\n00\n\(good)\n",
            "example.com/log\n-1\n\(good)\n",
            "example.com/log\n+1\n\(good)\n",
            "example.com/log\n 1\n\(good)\n",
            "example.com/log\n1 \n\(good)\n",
            "example.com/log\n0x10\n\(good)\n",
            "example.com/log\n1e3\n\(good)\n",
            "example.com/log\n\u{0661}\n\(good)\n",  // Arabic-Indic digit one
            "example.com/log\n9223372036854775808\n\(good)\n",  // Int.max + 1
            "example.com/log\n18446744073709551616\n\(good)\n",
            "example.com/log\n5\nnot base64!\n",
            "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",  // unpadded
            "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",  // non-zero padding bits
            "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jx\n",  // 30 bytes
            "example.com/log\n5\n\(good) \n",
            "example.com/log\n5\n\(good)\n\n",  // empty extension line
            "example.com/log\n5\n\(good)\next\n\n",
            "example.com/log\n5\n\(good)\next\r\n",
            "example.com/log\r\n5\n\(good)\n",
            "example.com/\tlog\n5\n\(good)\n",
        ]
    )
    func malformed(_ body: String) {
        let error = #expect(throws: AuditError.self) { try Checkpoint(parsing: body) }
        #expect(error?.code == .malformedCheckpoint)
    }

    @Test("parts that cannot be written as a checkpoint are refused")
    func badParts() {
        let attempts: [() throws -> Checkpoint] = [
            { try Checkpoint(origin: "", size: 1, rootHash: Self.root) },
            { try Checkpoint(origin: "two\nlines", size: 1, rootHash: Self.root) },
            { try Checkpoint(origin: "log", size: -1, rootHash: Self.root) },
            { try Checkpoint(origin: "log", size: 1, rootHash: Array(Self.root.dropLast())) },
            { try Checkpoint(origin: "log", size: 1, rootHash: Self.root, extensions: [""]) },
            { try Checkpoint(origin: "log", size: 1, rootHash: Self.root, extensions: ["a\nb"]) },
        ]
        for attempt in attempts {
            let error = #expect(throws: AuditError.self) { try attempt() }
            #expect(error?.code == .malformedCheckpoint)
        }
    }

    @Test("a signed checkpoint verifies under the log's key and parses back")
    func signAndOpen() throws {
        let signer = try NoteSigner(name: "liaison.example/a/audit", secretKey: LogSecretKey())
        let checkpoint = try Checkpoint(origin: "liaison.example/a/audit", size: 3, rootHash: ReferenceVectors.roots[3])
        let note = try signer.sign(checkpoint)
        let opened = try SignedNote.open(note.bytes, verifiers: NoteVerifierSet([signer.verifierKey]))
        #expect(try Checkpoint(parsing: opened.text) == checkpoint)
    }
}

@Suite("Checkpoint.open (signed checkpoints)")
struct CheckpointOpeningTests {
    static let origin = "liaison.example/a/audit"

    static func parts() throws -> (Checkpoint, NoteSigner, Cosigner) {
        let checkpoint = try Checkpoint(origin: origin, size: 5, rootHash: ReferenceVectors.roots[5])
        return (checkpoint, try NoteSigner(name: origin, secretKey: LogSecretKey()), try Cosigner(name: "liaison.example/b", secretKey: LogSecretKey()))
    }

    @Test("a checkpoint signed by the log and cosigned by a witness opens with both")
    func opens() throws {
        let (checkpoint, log, witness) = try Self.parts()
        let note = try log.sign(checkpoint).adding(witness.cosign(checkpoint, timestamp: 1_700_000_000))
        let opened = try Checkpoint.open(note.bytes, logKey: log.verifierKey, witnesses: [witness.verifierKey])
        #expect(opened.checkpoint == checkpoint)
        #expect(opened.cosignatures.map(\.key) == [witness.verifierKey])
        #expect(opened.cosignatures.first?.cosignatureTimestamp == 1_700_000_000)
        #expect(opened.note == note)

        // Without the witness configured, its line is ignored.
        #expect(try Checkpoint.open(note.bytes, logKey: log.verifierKey).cosignatures.isEmpty)
    }

    @Test("a checkpoint cosigned but not signed by the log is refused")
    func logSignatureRequired() throws {
        let (checkpoint, log, witness) = try Self.parts()
        let note = try SignedNote(text: checkpoint.body, signatures: [witness.cosign(checkpoint, timestamp: 1)])
        let error = #expect(throws: AuditError.self) {
            try Checkpoint.open(note.bytes, logKey: log.verifierKey, witnesses: [witness.verifierKey])
        }
        #expect(error?.code == .noVerifiedSignature)
    }

    @Test("a log key cannot vouch for another log's checkpoint")
    func originMustMatch() throws {
        let (_, log, _) = try Self.parts()
        let other = try Checkpoint(origin: "liaison.example/z/audit", size: 1, rootHash: ReferenceVectors.roots[1])
        let signError = #expect(throws: AuditError.self) { try log.sign(other) }
        #expect(signError?.code == .originMismatch)

        // Forced past the signer's check, the reader still refuses it.
        let note = try SignedNote(text: other.body, signatures: [log.signature(for: other.body)])
        let openError = #expect(throws: AuditError.self) { try Checkpoint.open(note.bytes, logKey: log.verifierKey) }
        #expect(openError?.code == .originMismatch)
    }

    @Test("a signed note that is not a checkpoint is refused")
    func notACheckpoint() throws {
        let (_, log, _) = try Self.parts()
        let note = try SignedNote(text: "hello\n", signatures: [log.signature(for: "hello\n")])
        let error = #expect(throws: AuditError.self) { try Checkpoint.open(note.bytes, logKey: log.verifierKey) }
        #expect(error?.code == .malformedCheckpoint)
    }

    @Test("a cosigner key is not accepted as the log key")
    func logKeyType() throws {
        let (checkpoint, log, witness) = try Self.parts()
        let note = try log.sign(checkpoint)
        let error = #expect(throws: AuditError.self) { try Checkpoint.open(note.bytes, logKey: witness.verifierKey) }
        #expect(error?.code == .unsupportedSignatureType)
    }
}
