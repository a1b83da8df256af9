import Foundation
import LiaisonAudit
import LiaisonCrypto
import Testing

/// Each way of tampering with an exported log must be detected and named.
@Suite("AuditLogVerifier: tampering is detected and named")
struct AuditLogTamperTests {
    static let sizes = [4, 8, 12]
    static let names = sizes.map { "checkpoints/\(AuditBundle.checkpointFileName(size: $0))" }

    @Test("a leaf changed into a non-canonical form: the entry and the checkpoint range are named")
    func nonCanonicalChange() throws {
        let log = try AuditLogFixture()
        var leaves = log.leaves
        leaves[5] = Array(String(decoding: leaves[5], as: UTF8.self).replacingOccurrences(of: "\"ok\"", with: " \"ok\"").utf8)
        #expect(leaves[5] != log.leaves[5])
        let report = try log.verify(leaves, checkpoints: log.checkpoints(Self.sizes), names: Self.names)
        #expect(report.codes == [.entryMalformed, .rootMismatch, .rootMismatch])
        let malformed = report.failures[0]
        #expect(malformed.entry == 5)
        #expect(malformed.message.hasPrefix("entry 5: "))
        let mismatch = report.failures[1]
        #expect(mismatch.checkpointSize == 8)
        #expect(mismatch.checkpoint == Self.names[1])
        #expect(mismatch.message.contains("an entry in 4..<8 was changed, removed, inserted or reordered"))
        #expect(report.checkpointsVerified == 1)
        #expect(report.newestCheckpoint?.size == 4)
    }

    @Test("a canonical change (another valid event) is caught only by the root")
    func canonicalChange() throws {
        let log = try AuditLogFixture()
        var leaves = log.leaves
        leaves[6] = AuditLogFixture.event(6, peerName: "someone-else").canonicalBytes
        let report = try log.verify(leaves, checkpoints: log.checkpoints(Self.sizes), names: Self.names)
        #expect(report.codes == [.rootMismatch, .rootMismatch])
        #expect(report.failures[0].message.contains("4..<8"))
        #expect(report.failures[1].message.contains("4..<12"))
        #expect(report.failures.allSatisfy { $0.entry == nil })
    }

    @Test("a deleted middle entry: the range and the truncation are named")
    func deletedEntry() throws {
        let log = try AuditLogFixture()
        var leaves = log.leaves
        leaves.remove(at: 5)
        let report = try log.verify(leaves, checkpoints: log.checkpoints(Self.sizes), names: Self.names)
        #expect(report.codes == [.rootMismatch, .truncated])
        let mismatch = report.failures[0]
        #expect(mismatch.checkpointSize == 8)
        #expect(mismatch.message.contains("an entry in 4..<8 was changed, removed, inserted or reordered"))
        let truncated = report.failures[1]
        #expect(truncated.checkpointSize == 12)
        #expect(truncated.checkpoint == Self.names[2])
        #expect(truncated.message.contains("at size 12 but only 11 entries"))
    }

    @Test("two entries swapped: the checkpoint covering them names their range")
    func swapped() throws {
        let log = try AuditLogFixture()
        var leaves = log.leaves
        leaves.swapAt(5, 6)
        let report = try log.verify(leaves, checkpoints: log.checkpoints(Self.sizes), names: Self.names)
        #expect(report.codes == [.rootMismatch, .rootMismatch])
        #expect(report.failures[0].checkpoint == Self.names[1])
        #expect(report.failures[0].message.contains("an entry in 4..<8"))
    }

    @Test("a truncated tail, with its checkpoints removed, is caught by the trusted checkpoint")
    func truncatedTail() throws {
        let log = try AuditLogFixture()
        let trusted = try log.checkpoint(size: 12).bytes
        let report = try log.verify(Array(log.leaves.prefix(9)), checkpoints: log.checkpoints([4, 8]), trustedCheckpoint: trusted)
        #expect(report.codes == [.truncated])
        let failure = report.failures[0]
        #expect(failure.checkpoint == "the trusted checkpoint")
        #expect(failure.message.contains("truncated: the trusted checkpoint you kept is at size 12 but only 9 entries"))
        #expect(report.trustedCheckpointSize == 12)
        // Without the trusted checkpoint the shortened log looks honest.
        #expect(try log.verify(Array(log.leaves.prefix(9)), checkpoints: log.checkpoints([4, 8])).isValid)
    }

    @Test("a checkpoint forged with another key under the log's name is named and ignored")
    func forgedCheckpoint() throws {
        let log = try AuditLogFixture()
        let forger = try NoteSigner(name: AuditLogFixture.origin, secretKey: LogSecretKey())
        var leaves = log.leaves
        leaves[10] = AuditLogFixture.event(10, peerName: "forged").canonicalBytes
        let forged = try log.checkpoint(size: 12, of: leaves, signer: forger).bytes
        let report = try log.verify(leaves, checkpoints: log.checkpoints([4, 8]) + [forged], names: Self.names)
        #expect(report.codes == [.checkpointInvalid])
        let failure = report.failures[0]
        #expect(failure.checkpoint == Self.names[2])
        #expect(failure.checkpointSize == 12)
        #expect(failure.message.contains("(claiming size 12) is not a genuine checkpoint"))
        #expect(report.newestCheckpoint?.size == 8)
        #expect(report.uncheckpointedEntries == 4)
    }

    @Test("a checkpoint signed by the log key but naming another origin is refused")
    func wrongOrigin() throws {
        let log = try AuditLogFixture()
        let other = try Checkpoint(origin: "liaison.example/other/audit", size: 12, rootHash: AuditLogFixture.root(log.leaves, size: 12))
        let note = try SignedNote(text: other.body, signatures: [log.log.signature(for: other.body)])
        let report = try log.verify(log.leaves, checkpoints: log.checkpoints([8]) + [note.bytes], requiredWitnesses: 0)
        #expect(report.codes == [.checkpointInvalid])
        #expect(report.failures[0].message.contains("names log liaison.example/other/audit"))
    }

    @Test("a forked history re-signed with the log key is caught by the trusted checkpoint")
    func forkAgainstTrustedCheckpoint() throws {
        let log = try AuditLogFixture()
        let trusted = try log.checkpoint(size: 12).bytes  // the auditor kept this last time
        var forked = log.leaves
        forked[7] = AuditLogFixture.event(7, peerName: "rewritten").canonicalBytes
        // The operator re-signs the rewritten history; a witness would not cosign it.
        let resigned = try log.checkpoints([4, 8, 12], of: forked, cosigners: [])
        let report = try log.verify(forked, checkpoints: resigned, requiredWitnesses: 0, trustedCheckpoint: trusted)
        #expect(report.codes == [.fork])
        #expect(report.failures[0].checkpoint == "the trusted checkpoint")
        #expect(report.failures[0].message.contains("rewritten or forked"))
    }

    @Test("a forked history re-signed with the log key is caught by the witness threshold")
    func forkAgainstWitnesses() throws {
        let log = try AuditLogFixture()
        var forked = log.leaves
        forked[7] = AuditLogFixture.event(7, peerName: "rewritten").canonicalBytes
        let resigned = try log.checkpoints([4, 8, 12], of: forked, cosigners: [])
        let report = try log.verify(forked, checkpoints: resigned, requiredWitnesses: 2)
        #expect(report.codes == [.insufficientWitnesses])
        #expect(report.failures[0].message.contains("(the newest, of size 12, carries 0)"))
    }

    @Test("a forked history next to the witness-cosigned original: the fork is named")
    func forkAgainstCosignedCheckpoint() throws {
        let log = try AuditLogFixture()
        var forked = log.leaves
        forked[7] = AuditLogFixture.event(7, peerName: "rewritten").canonicalBytes
        let original = try log.checkpoint(size: 12).bytes  // cosigned by both witnesses
        let resigned = try log.checkpoint(size: 12, of: forked, cosigners: []).bytes
        let report = try log.verify(
            forked, checkpoints: [original, resigned], names: ["witnessed.checkpoint", "resigned.checkpoint"], requiredWitnesses: 2
        )
        #expect(report.codes == [.fork, .rootMismatch, .insufficientWitnesses])
        #expect(report.failures[0].message.contains("signed 2 different trees of size 12"))
        #expect(report.failures[1].checkpoint == "witnessed.checkpoint")
    }

    @Test("a malformed line is named and the tree is still computed over its bytes")
    func malformedLine() throws {
        let log = try AuditLogFixture()
        var leaves = log.leaves
        leaves[2] = Array(#"{"v":1,"oops"#.utf8)
        let report = try log.verify(leaves, checkpoints: log.checkpoints(Self.sizes), names: Self.names)
        #expect(report.codes == [.entryMalformed, .rootMismatch, .rootMismatch, .rootMismatch])
        #expect(report.failures[0].entry == 2)
        #expect(report.failures[1].message.contains("an entry in 0..<4"))
        // Signed over the same bytes, only the entry is at fault.
        let signed = try log.checkpoints(Self.sizes, of: leaves)
        #expect(try log.verify(leaves, checkpoints: signed).codes == [.entryMalformed])
    }

    @Test("a bad witness cosignature is named; the log's signature still counts")
    func badCosignature() throws {
        let log = try AuditLogFixture()
        let note = try log.checkpoint(size: 12)
        var lines = note.signatures
        let witnessLine = lines[1]
        var payload = witnessLine.signature
        payload[payload.count - 1] ^= 0x01
        lines[1] = try NoteSignature(name: witnessLine.name, keyID: witnessLine.keyID, signature: payload)
        let damaged = try SignedNote(text: note.text, signatures: lines)
        let report = try log.verify(log.leaves, checkpoints: [damaged.bytes], requiredWitnesses: 1)
        #expect(report.codes == [.cosignatureInvalid, .insufficientWitnesses])
        #expect(report.checkpointsVerified == 1)
        #expect(report.newestCheckpoint?.cosigners == [])
    }

    @Test("a trusted checkpoint that is not the log's is reported")
    func trustedCheckpointInvalid() throws {
        let log = try AuditLogFixture()
        let stranger = try NoteSigner(name: AuditLogFixture.origin, secretKey: LogSecretKey())
        let trusted = try log.checkpoint(size: 12, signer: stranger).bytes
        let report = try log.verify(log.leaves, checkpoints: log.checkpoints([12]), trustedCheckpoint: trusted)
        #expect(report.codes == [.checkpointInvalid])
        #expect(report.failures[0].checkpoint == "the trusted checkpoint")
        #expect(report.trustedCheckpointSize == nil)
    }

    @Test("garbage in place of a checkpoint is named, not a crash")
    func garbageCheckpoint() throws {
        let log = try AuditLogFixture()
        let report = try log.verify(log.leaves, checkpoints: log.checkpoints([12]) + [[0xFF, 0x00, 0x0A]])
        #expect(report.codes == [.checkpointInvalid])
        #expect(report.failures[0].checkpoint == "checkpoint 2")
        #expect(report.failures[0].checkpointSize == nil)
    }
}
