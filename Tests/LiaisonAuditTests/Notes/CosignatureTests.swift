import LiaisonAudit
import LiaisonCrypto
import Testing

@Suite("Cosignature (C2SP tlog-cosignature, cosignature/v1)")
struct CosignatureTests {
    static let time: UInt64 = 1_679_315_147

    // MARK: Published examples

    @Test("the signed message is the one tlog-cosignature prints for its example")
    func signedMessage() throws {
        let message = Cosignature.signedMessage(body: NoteVectors.checkpointBody, timestamp: Self.time)
        #expect(message == Array(NoteVectors.cosignedMessage.utf8))
    }

    @Test("the example's witness line decodes to key ID, the example's time and a signature")
    func exampleLine() throws {
        let note = try SignedNote(parsing: NoteVectors.checkpointBody + "\n" + NoteVectors.checkpointLogLine + NoteVectors.cosignatureLine)
        #expect(note.formatted == NoteVectors.checkpointBody + "\n" + NoteVectors.checkpointLogLine + NoteVectors.cosignatureLine)
        let line = note.signatures[1]
        #expect(line.name == "witness.example.com/w1")
        #expect(line.keyID == 0x8d66_cf3f)
        let cosignature = try Cosignature(line)
        #expect(cosignature.timestamp == Self.time)
        #expect(cosignature.signature.count == 64)
        #expect(cosignature.payload == line.signature)
    }

    @Test("transparency-dev's timestamped payload decodes to 1727964367; its plain payload is no cosignature")
    func transparencyDevPayloads() throws {
        let timestamped = TestBytes.base64(NoteVectors.timestampedPayload)
        #expect(try Cosignature(payload: Array(timestamped.dropFirst(4))).timestamp == 1_727_964_367)

        let plain = TestBytes.base64(NoteVectors.plainPayload)
        let error = #expect(throws: AuditError.self) { try Cosignature(payload: Array(plain.dropFirst(4))) }
        #expect(error?.code == .malformedCosignature)
    }

    // MARK: Cross-checked with PyNaCl

    @Test("signing the C2SP example with the RFC 8032 TEST 1 seed matches PyNaCl's lines")
    func crossChecked() throws {
        let secret = try NoteVectors.rfc8032Test1Key()
        let checkpoint = try Checkpoint(parsing: NoteVectors.checkpointBody)
        let log = try NoteSigner(name: checkpoint.origin, secretKey: secret)
        let witness = try Cosigner(name: "witness.example.com/w1", secretKey: secret)
        #expect(log.verifierKey.description == NoteVectors.crossCheckedLogKey)
        #expect(witness.verifierKey.description == NoteVectors.crossCheckedWitnessKey)

        let note = try log.sign(checkpoint).adding(witness.cosign(checkpoint, timestamp: Self.time))
        #expect(note.formatted == NoteVectors.checkpointBody + "\n" + NoteVectors.crossCheckedLogLine + NoteVectors.crossCheckedWitnessLine)

        let keys = try [NoteVectors.crossCheckedLogKey, NoteVectors.crossCheckedWitnessKey].map(NoteVerifierKey.init(parsing:))
        let opened = try note.verify(using: NoteVerifierSet(keys))
        #expect(opened.verified.map(\.key) == keys)
        #expect(opened.verified.map(\.cosignatureTimestamp) == [nil, Self.time])
    }

    // MARK: Sign, verify, tamper

    struct Setup {
        let checkpoint: Checkpoint
        let log: NoteSigner
        let witness: Cosigner
        let note: SignedNote
        let verifiers: NoteVerifierSet
    }

    static func setup(extensions: [String] = []) throws -> Setup {
        let checkpoint = try Checkpoint(origin: "liaison.example/a/audit", size: 8, rootHash: ReferenceVectors.roots[8], extensions: extensions)
        let log = try NoteSigner(name: checkpoint.origin, secretKey: LogSecretKey())
        let witness = try Cosigner(name: "liaison.example/b/witness", secretKey: LogSecretKey())
        let note = try log.sign(checkpoint).adding(witness.cosign(checkpoint, timestamp: time))
        return Setup(
            checkpoint: checkpoint, log: log, witness: witness, note: note,
            verifiers: try NoteVerifierSet([log.verifierKey, witness.verifierKey])
        )
    }

    @Test("a cosigned checkpoint verifies under the log and witness keys, with the witness's time")
    func signAndVerify() throws {
        let s = try Self.setup()
        let opened = try SignedNote.open(s.note.bytes, verifiers: s.verifiers)
        #expect(try Checkpoint(parsing: opened.text) == s.checkpoint)
        #expect(opened.verified.count == 2)
        #expect(opened.verified[1].key == s.witness.verifierKey)
        #expect(opened.verified[1].cosignatureTimestamp == Self.time)

        // Only the witness known: the log's line is ignored, the cosignature stands alone.
        let witnessOnly = try s.note.verify(using: NoteVerifierSet([s.witness.verifierKey]))
        #expect(witnessOnly.verified.map(\.key) == [s.witness.verifierKey])
        #expect(witnessOnly.unverified.map(\.name) == [s.log.verifierKey.name])
    }

    @Test("cosigning again later replaces the witness's earlier line")
    func recosign() throws {
        let s = try Self.setup()
        let later = try s.note.adding(s.witness.cosign(s.checkpoint, timestamp: Self.time + 60))
        #expect(later.signatures.count == 2)
        #expect(try later.verify(using: s.verifiers).verified[1].cosignatureTimestamp == Self.time + 60)
    }

    @Test("a changed timestamp, signature, tree size or extension line is detected")
    func tamper() throws {
        let s = try Self.setup(extensions: ["Extendo"])
        let line = s.note.signatures[1]
        let cosignature = try Cosignature(line)

        var forgedLines: [NoteSignature] = []
        let laterTime = try Cosignature(timestamp: cosignature.timestamp + 1, signature: cosignature.signature)
        forgedLines.append(try NoteSignature(name: line.name, keyID: line.keyID, signature: laterTime.payload))
        for bit in [0, 100, 511] {
            let flipped = try Cosignature(timestamp: cosignature.timestamp, signature: TestBytes.flippingBit(bit, of: cosignature.signature))
            forgedLines.append(try NoteSignature(name: line.name, keyID: line.keyID, signature: flipped.payload))
        }
        for forged in forgedLines {
            let note = try SignedNote(text: s.note.text, signatures: [forged])
            let error = #expect(throws: AuditError.self) { try note.verify(using: s.verifiers) }
            #expect(error?.code == .signatureInvalid)
        }

        for text in [s.note.text.replacingFirst("\n8\n", with: "\n9\n"), s.note.text.replacingFirst("Extendo", with: "Extendo@")] {
            let note = try SignedNote(text: text, signatures: [line])
            let error = #expect(throws: AuditError.self) { try note.verify(using: s.verifiers) }
            #expect(error?.code == .signatureInvalid)
        }
    }

    @Test("a cosignature is not a log signature, and a log signature is not a cosignature")
    func typesAreSeparate() throws {
        let secret = try LogSecretKey()
        let checkpoint = try Checkpoint(origin: "log.example", size: 1, rootHash: ReferenceVectors.roots[1])
        let asLog = try NoteSigner(name: "log.example", secretKey: secret)
        let asWitness = try Cosigner(name: "log.example", secretKey: secret)
        #expect(asLog.verifierKey.keyID != asWitness.verifierKey.keyID)

        let cosigned = try SignedNote(text: checkpoint.body, signatures: [asWitness.cosign(checkpoint, timestamp: Self.time)])
        let error1 = #expect(throws: AuditError.self) { try cosigned.verify(using: NoteVerifierSet([asLog.verifierKey])) }
        #expect(error1?.code == .noVerifiedSignature)

        let signed = try asLog.sign(checkpoint)
        let error2 = #expect(throws: AuditError.self) { try signed.verify(using: NoteVerifierSet([asWitness.verifierKey])) }
        #expect(error2?.code == .noVerifiedSignature)

        // Even under the witness's key ID, a plain signature is no cosignature.
        let relabelled = try NoteSignature(name: "log.example", keyID: asWitness.verifierKey.keyID, signature: signed.signatures[0].signature)
        let error3 = #expect(throws: AuditError.self) {
            try SignedNote(text: checkpoint.body, signatures: [relabelled]).verify(using: NoteVerifierSet([asWitness.verifierKey]))
        }
        #expect(error3?.code == .signatureInvalid)
    }

    @Test("timestamps above 2^63 - 1 are refused")
    func timestampLimit() throws {
        let s = try Self.setup()
        let signError = #expect(throws: AuditError.self) { try s.witness.cosign(s.checkpoint, timestamp: Cosignature.maximumTimestamp + 1) }
        #expect(signError?.code == .invalidTimestamp)

        var payload = s.note.signatures[1].signature
        payload[0] = 0x80
        let decodeError = #expect(throws: AuditError.self) { try Cosignature(payload: payload) }
        #expect(decodeError?.code == .invalidTimestamp)

        let line = try NoteSignature(name: s.witness.verifierKey.name, keyID: s.witness.verifierKey.keyID, signature: payload)
        let verifyError = #expect(throws: AuditError.self) {
            try SignedNote(text: s.note.text, signatures: [line]).verify(using: s.verifiers)
        }
        #expect(verifyError?.code == .signatureInvalid)
        #expect(try s.witness.cosign(s.checkpoint, timestamp: Cosignature.maximumTimestamp).signature.count == 76 - 4)
    }

    @Test("payloads of the wrong length are malformed", arguments: [0, 8, 64, 71, 73, 100])
    func payloadLength(count: Int) {
        let error = #expect(throws: AuditError.self) { try Cosignature(payload: [UInt8](repeating: 0, count: count)) }
        #expect(error?.code == .malformedCosignature)
    }
}

extension String {
    /// This string with the first occurrence of `target` replaced (test helper, no Foundation).
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { preconditionFailure("\(target) not found") }
        var copy = self
        copy.replaceSubrange(range, with: replacement)
        return copy
    }
}
