import Foundation
import LiaisonAudit
import LiaisonCrypto
import Testing

@Suite("AuditLogVerifier: an honest log")
struct AuditLogVerifierHonestTests {
    @Test("checkpoints at 4, 8 and 12 cosigned by two witnesses verify with k = 2")
    func honest() throws {
        let log = try AuditLogFixture()
        // Any order: the verifier sorts them.
        let report = try log.verify(log.leaves, checkpoints: log.checkpoints([12, 4, 8]), requiredWitnesses: 2)
        #expect(report.isValid, "\(report)")
        #expect(report.failures.isEmpty && report.failureCount == 0)
        #expect(report.entries == 12)
        #expect(report.checkpointsVerified == 3)
        #expect(report.newestCheckpoint?.size == 12)
        #expect(report.newestCheckpoint?.rootHash == Data(AuditLogFixture.root(log.leaves, size: 12)).base64EncodedString())
        #expect(report.newestCheckpoint?.cosigners == ["witness.example/w1", "witness.example/w2"])
        #expect(report.uncheckpointedEntries == 0)
        #expect(report.logKey == log.logKey.description)
        #expect(report.logKeySource == .provided)
        #expect(report.description.hasPrefix("VERIFIED: no problem found\n"), "every entry covered: no caveat")
    }

    @Test("k = 3 with two witnesses fails and says how many cosigned")
    func tooFewWitnesses() throws {
        let log = try AuditLogFixture()
        let report = try log.verify(log.leaves, checkpoints: log.checkpoints([4, 8, 12]), requiredWitnesses: 3)
        #expect(!report.isValid)
        #expect(report.codes == [.insufficientWitnesses])
        let failure = try #require(report.failures.first)
        #expect(failure.checkpointSize == 12)
        #expect(failure.message.contains("carries 3 witness cosignatures (the newest, of size 12, carries 2)"))
        #expect(failure.message.contains("only 2 witness keys were given"))
    }

    @Test("with a witness key that cosigned nothing here, the shortfall names the cosigners found, not a wait")
    func wrongWitnessKey() throws {
        let log = try AuditLogFixture()
        let stranger = try Cosigner(name: "witness.example/w3", secretKey: LogSecretKey())
        var verifier = try AuditLogVerifier(logKey: log.logKey, witnesses: [stranger.verifierKey], requiredWitnesses: 1,
                                            checkpoints: try log.checkpoints([4, 12]))
        for leaf in log.leaves { verifier.append(leaf: leaf) }
        let report = verifier.finish()
        #expect(report.codes == [.insufficientWitnesses], "\(report)")
        let message = try #require(report.failures.first?.message)
        #expect(message.contains("carry cosignatures by witness.example/w1, witness.example/w2, which no witness key given verifies")
                && message.contains("(witness.example/w3)") && !message.contains("wait until"), "\(message)")
    }

    @Test("a newest checkpoint not yet cosigned by k: the log is witnessed up to the newest one that is")
    func witnessedUpToOlderCheckpoint() throws {
        let log = try AuditLogFixture()
        let checkpoints = try log.checkpoints([4, 8]) + [log.checkpoint(size: 12, cosigners: [log.witnesses[0]]).bytes]
        let report = try log.verify(log.leaves, checkpoints: checkpoints, requiredWitnesses: 2)
        #expect(report.isValid)
        #expect(report.witnessedSize == 8)
        #expect(report.description.contains("witnessed by 2+ witnesses: entries 0..<8; 8..<12 not yet"))
        // The headline itself says what it does not vouch for.
        #expect(report.description.hasPrefix("VERIFIED: no problem found, but only entries 0..<8 of 12 are witnessed by 2+ witnesses"))
        #expect(report.newestCheckpoint?.cosigners == ["witness.example/w1"])
        let stricter = try log.verify(log.leaves, checkpoints: [log.checkpoint(size: 12, cosigners: [log.witnesses[0]]).bytes],
                                      requiredWitnesses: 2)
        #expect(stricter.codes == [.insufficientWitnesses])
        #expect(stricter.failures.first?.message.contains("(the newest, of size 12, carries 1)") == true)
    }

    @Test("entries after the newest checkpoint are reported, not failed")
    func uncheckpointed() throws {
        let log = try AuditLogFixture(entryCount: 15)
        let report = try log.verify(log.leaves, checkpoints: log.checkpoints([4, 12]))
        #expect(report.isValid, "\(report)")
        #expect(report.uncheckpointedEntries == 3)
        #expect(report.description.contains("12..<15"))
        #expect(report.description.hasPrefix("VERIFIED: no problem found, but only entries 0..<12 of 15 are witnessed"), "\(report)")
        let unwitnessed = try log.verify(log.leaves, checkpoints: log.checkpoints([4, 12]), requiredWitnesses: 0)
        #expect(unwitnessed.description.hasPrefix("VERIFIED: no problem found, but 3 of 15 entries are not yet covered by a checkpoint"), "\(unwitnessed)")
    }

    @Test("duplicate checkpoints of one size and root count once each and merge their cosigners")
    func duplicates() throws {
        let log = try AuditLogFixture()
        let one = try log.checkpoint(size: 12, cosigners: [log.witnesses[0]]).bytes
        let other = try log.checkpoint(size: 12, cosigners: [log.witnesses[1]]).bytes
        let report = try log.verify(log.leaves, checkpoints: [one, other], requiredWitnesses: 2)
        #expect(report.isValid, "\(report)")
        #expect(report.checkpointsVerified == 2)
        #expect(report.newestCheckpoint?.cosigners.count == 2)
    }

    @Test("an empty log with a checkpoint at size 0 verifies")
    func emptyLog() throws {
        let log = try AuditLogFixture(entryCount: 0)
        let report = try log.verify([], checkpoints: log.checkpoints([0]))
        #expect(report.isValid, "\(report)")
        #expect(report.newestCheckpoint?.size == 0)
    }

    @Test("entries without any checkpoint are a failure: nothing is signed")
    func noCheckpoint() throws {
        let log = try AuditLogFixture()
        let report = try log.verify(log.leaves, checkpoints: [], requiredWitnesses: 0)
        #expect(report.codes == [.noCheckpoint])
        #expect(report.uncheckpointedEntries == 12)
    }

    @Test("verified with another log's key, the checkpoints are said once to be that log's, and the key likely the wrong one")
    func anotherLogsKey() throws {
        let log = try AuditLogFixture()
        let other = try NoteSigner(name: "liaison.example/node-b/audit", secretKey: LogSecretKey())
        var verifier = try AuditLogVerifier(logKey: other.verifierKey, witnesses: log.witnessKeys, requiredWitnesses: 0,
                                            checkpoints: try log.checkpoints([4, 8, 12]))
        for leaf in log.leaves { verifier.append(leaf: leaf) }
        let report = verifier.finish()
        #expect(report.codes == [.checkpointInvalid, .checkpointInvalid, .noCheckpoint], "\(report)")
        #expect(report.failures[0].message.contains("is a checkpoint of \(AuditLogFixture.origin), not of liaison.example/node-b/audit whose key you gave"))
        #expect(report.failures[1].message == "2 more checkpoint(s) of \(AuditLogFixture.origin) were ignored likewise")
        #expect(report.failures[2].message.contains("the log key given is likely not this log's"), "\(report)")
        // A forgery under this log's own name is still called what it is.
        let body = try Checkpoint(origin: AuditLogFixture.origin, size: 12, rootHash: AuditLogFixture.root(log.leaves, size: 12)).body
        let forged = try SignedNote(text: body, signatures: [other.signature(for: body)]).bytes
        let forgedReport = try log.verify(log.leaves, checkpoints: [forged], requiredWitnesses: 0)
        #expect(forgedReport.failures.first?.message.contains("is not a genuine checkpoint of this log") == true, "\(forgedReport)")
    }

    @Test("a run of one kind of problem is shown by its first three and a count; the report keeps them all")
    func runsCollapsed() throws {
        let log = try AuditLogFixture()
        let other = try NoteSigner(name: "liaison.example/node-b/audit", secretKey: LogSecretKey())
        let forged = try (1...6).map { size in
            let body = try Checkpoint(origin: AuditLogFixture.origin, size: size, rootHash: AuditLogFixture.root(log.leaves, size: size)).body
            return try SignedNote(text: body, signatures: [other.signature(for: body)]).bytes
        }
        let report = try log.verify(log.leaves, checkpoints: forged, requiredWitnesses: 0)
        #expect(report.failures.filter { $0.code == .checkpointInvalid }.count == 6)
        let shown = report.description.split(separator: "\n").filter { $0.hasPrefix("- ") }
        #expect(shown.count == 5 && shown[3] == "- … and 3 more like these [verify.checkpoint-invalid]", "\(report.description)")
    }

    @Test("the report encodes to JSON with stable codes and decodes back")
    func codable() throws {
        let log = try AuditLogFixture()
        let report = try log.verify(log.leaves, checkpoints: log.checkpoints([4, 8, 12]), requiredWitnesses: 3)
        let json = try JSONEncoder().encode(report)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""code":"verify.insufficient-witnesses""#))
        #expect(text.contains(#""isValid":false"#))
        #expect(try JSONDecoder().decode(AuditVerificationReport.self, from: json) == report)
    }

    @Test("a cosigner key as the log key is refused up front")
    func logKeyType() throws {
        let log = try AuditLogFixture()
        let error = #expect(throws: AuditError.self) {
            try AuditLogVerifier(logKey: log.witnessKeys[0], checkpoints: [])
        }
        #expect(error?.code == .unsupportedSignatureType)
    }

    @Test("repeating a witness key or listing the log key as a witness is harmless")
    func repeatedKeys() throws {
        let log = try AuditLogFixture()
        var verifier = try AuditLogVerifier(
            logKey: log.logKey, witnesses: log.witnessKeys + log.witnessKeys + [log.logKey], requiredWitnesses: 2,
            checkpoints: log.checkpoints([12])
        )
        for leaf in log.leaves { verifier.append(leaf: leaf) }
        #expect(verifier.finish().isValid)
    }

    @Test("failures beyond the first 100 are counted, not stored")
    func failureCap() throws {
        let log = try AuditLogFixture(entryCount: 4)
        let garbage = Array(repeating: Array("not a leaf".utf8), count: 150)
        let report = try log.verify(log.leaves + garbage, checkpoints: log.checkpoints([4]))
        #expect(report.failures.count == AuditLogVerifier.maximumStoredFailures)
        #expect(report.failureCount == 150)
        #expect(report.description.contains("… and 50 more"))
        #expect(report.failures.first?.entry == 4)
        #expect(report.failures.last?.entry == 103)
    }
}

/// A log a node began after another (its key named `…/<label>`) says what it follows,
/// in a first entry its log key signed.
@Suite("Verifying a later log")
struct LaterLogVerificationTests {
    static let origin = "liaison/abc/20261129T210000Z"

    /// The report on a two-entry log named `origin`, signed by `secret`, that opens with `first`.
    static func verify(_ first: AuditEvent, secret: LogSecretKey) throws -> AuditVerificationReport {
        let signer = try NoteSigner(name: origin, secretKey: secret)
        let leaves = [first.canonicalBytes, AuditLogFixture.event(1).canonicalBytes]
        let note = try signer.sign(try Checkpoint(origin: origin, size: 2, rootHash: AuditLogFixture.root(leaves, size: 2)))
        var verifier = try AuditLogVerifier(logKey: signer.verifierKey, checkpoints: [note.bytes])
        for leaf in leaves { verifier.append(leaf: leaf) }
        return verifier.finish()
    }

    /// A `log.started` entry recording `statement`, signed by `key`.
    static func started(_ statement: LogSuccessionStatement, signedBy key: LogSecretKey) -> AuditEvent {
        AuditEvent(time: 1, kind: .logStarted, actor: .local(uid: 1000, role: "operator"),
                   details: statement.details(signature: statement.signature(with: key)).merging(["reason": "restored"]) { a, _ in a })
    }

    static func statement(succeeds: String = "liaison/abc", size: Int? = 41) -> LogSuccessionStatement {
        LogSuccessionStatement(origin: origin, succeeds: succeeds, succeededSize: size,
                               succeededRoot: size.map { _ in [UInt8](repeating: 9, count: 32) }, begunAt: 1_795_986_000)
    }

    @Test("its first entry, log.started, signed by its log key, is read into the report")
    func succession() throws {
        let secret = try LogSecretKey()
        let report = try Self.verify(Self.started(Self.statement(), signedBy: secret), secret: secret)
        #expect(report.isValid && report.succeeds?.origin == "liaison/abc" && report.succeeds?.closedAt == 41
                    && report.succeeds?.reason == "restored", "\(report)")
        #expect(report.description.contains("began after: liaison/abc, closed at 41 entries"))
        let lost = try Self.verify(Self.started(Self.statement(size: nil), signedBy: secret), secret: secret)
        #expect(lost.isValid && lost.description.contains("began after: liaison/abc, lost"), "\(lost)")
    }

    @Test("a later log that does not open with log.started, or whose log.started another key signed or names another node's log, fails")
    func forged() throws {
        let secret = try LogSecretKey()
        let cases: [(String, AuditEvent)] = [
            ("no log.started", AuditLogFixture.event(0)),
            ("another key", Self.started(Self.statement(), signedBy: try LogSecretKey())),
            ("another node's log", Self.started(Self.statement(succeeds: "liaison/abd"), signedBy: secret)),
            ("a later log", Self.started(Self.statement(succeeds: "liaison/abc/20261230T000000Z"), signedBy: secret)),
        ]
        for (what, first) in cases {
            let report = try Self.verify(first, secret: secret)
            #expect(!report.isValid && report.failures.first?.code == .entryMalformed && report.failures.first?.entry == 0, "\(what): \(report)")
            #expect(report.succeeds == nil, "\(what)")
        }
    }
}
