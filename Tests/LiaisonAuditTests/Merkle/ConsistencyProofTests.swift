import LiaisonAudit
import Testing

/// The published consistency proofs, the corruptions transparency-dev/merkle
/// `proof/verify_test.go` (`corruptConsistencyProof`) applies to them, and its
/// table of edge cases.
@Suite("Consistency proofs (RFC 9162 section 2.1.4)")
struct ConsistencyProofTests {
    static var tree: MerkleTree { MerkleTree(source: ArrayHashSource(leafData: ReferenceVectors.leaves)) }

    @Test("every published proof is generated identically", arguments: ReferenceVectors.consistencyProofs)
    func generated(_ v: ConsistencyVector) throws {
        #expect(try Self.tree.consistencyProof(oldSize: v.oldSize, newSize: v.newSize) == v.proof)
    }

    @Test("every published proof verifies", arguments: ReferenceVectors.consistencyProofs)
    func verifies(_ v: ConsistencyVector) {
        #expect(
            MerkleTree.verifyConsistency(oldSize: v.oldSize, newSize: v.newSize, oldRoot: v.oldRoot, newRoot: v.newRoot, proof: v.proof)
        )
    }

    @Test(
        "every corruption of a published proof is rejected",
        arguments: ReferenceVectors.consistencyProofs.filter { !$0.proof.isEmpty }
    )
    func corruptionsRejected(_ v: ConsistencyVector) {
        for probe in Self.corruptions(of: v) {
            #expect(
                !MerkleTree.verifyConsistency(
                    oldSize: probe.oldSize, newSize: probe.newSize, oldRoot: probe.oldRoot, newRoot: probe.newRoot, proof: probe.proof
                ),
                "accepted: \(probe.name)"
            )
        }
    }

    /// transparency-dev/merkle `TestVerifyConsistency`'s table. Its "don't care"
    /// roots are 12-byte strings; Liaison refuses any root that is not 32 bytes,
    /// so they are 32-byte values here. The rows that expect the empty tree to be
    /// consistent with arbitrary roots use the real empty-tree root, because
    /// Liaison (like Sigsum) also requires that (see `emptyTreeRootIsChecked`).
    static let table: [(old: Int, new: Int, oldRoot: [UInt8], newRoot: [UInt8], proof: [[UInt8]], valid: Bool)] = {
        let r1 = [UInt8](repeating: 0xD1, count: 32), r2 = [UInt8](repeating: 0xD2, count: 32)
        let empty = MerkleHasher.emptyRoot
        return [
            (0, 0, empty, r2, [], false),
            (1, 1, r1, r2, [], false),
            // Sizes that are always consistent.
            (0, 0, empty, empty, [], true),
            (0, 1, empty, r2, [], true),
            (1, 1, r2, r2, [], true),
            // Time travel to the past.
            (1, 0, r1, r2, [], false),
            (2, 1, r1, r2, [], false),
            // Empty proof.
            (1, 2, r1, r2, [], false),
            // Roots don't match.
            (0, 0, empty, r2, [], false),
            (1, 1, empty, r2, [], false),
            // Roots match but the proof is not empty.
            (0, 0, empty, empty, [empty], false),
            (0, 1, empty, empty, [empty], false),
            (1, 1, empty, empty, [empty], false),
        ]
    }()

    @Test("transparency-dev's edge-case table", arguments: table.indices)
    func edgeCases(row: Int) {
        let t = Self.table[row]
        #expect(
            MerkleTree.verifyConsistency(oldSize: t.old, newSize: t.new, oldRoot: t.oldRoot, newRoot: t.newRoot, proof: t.proof)
                == t.valid
        )
    }

    @Test("the empty tree is consistent with everything, but only under its real root")
    func emptyTreeRootIsChecked() {
        let bogus = [UInt8](repeating: 0xD1, count: 32)
        #expect(!MerkleTree.verifyConsistency(oldSize: 0, newSize: 1, oldRoot: bogus, newRoot: ReferenceVectors.roots[1], proof: []))
        #expect(!MerkleTree.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: bogus, newRoot: bogus, proof: []))
        #expect(MerkleTree.verifyConsistency(oldSize: 0, newSize: 8, oldRoot: MerkleHasher.emptyRoot, newRoot: ReferenceVectors.roots[8], proof: []))
    }

    @Test("roots that are not 32 bytes are rejected, even with equal sizes")
    func rootLength() {
        let short: [UInt8] = Array("don't care 1".utf8)
        #expect(!MerkleTree.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: short, newRoot: short, proof: []))
        #expect(!MerkleTree.verifyConsistency(oldSize: 3, newSize: 3, oldRoot: short, newRoot: short, proof: []))
    }

    @Test("negative and absurd sizes are rejected without trapping", arguments: [(-1, 5), (5, -1), (Int.min, 0), (Int.max, Int.max - 1), (1, Int.max)])
    func absurdSizes(old: Int, new: Int) {
        let v = ReferenceVectors.consistencyProofs[1]
        #expect(!MerkleTree.verifyConsistency(oldSize: old, newSize: new, oldRoot: v.oldRoot, newRoot: v.newRoot, proof: v.proof))
    }

    @Test("requests with the old size above the new one, or negative, throw", arguments: [(5, 4), (-1, 3), (9, 8)])
    func invalidRequests(old: Int, new: Int) {
        let error = #expect(throws: AuditError.self) { try Self.tree.consistencyProof(oldSize: old, newSize: new) }
        #expect(error?.code == .invalidProofRequest)
    }

    @Test("proofs from the empty tree and between equal sizes are empty")
    func trivialProofs() throws {
        for size in 0...8 {
            #expect(try Self.tree.consistencyProof(oldSize: 0, newSize: size).isEmpty)
            #expect(try Self.tree.consistencyProof(oldSize: size, newSize: size).isEmpty)
        }
    }

    // MARK: Corruptions (transparency-dev/merkle corruptConsistencyProof)

    struct Probe {
        let name: String
        let oldSize: Int
        let newSize: Int
        let oldRoot: [UInt8]
        let newRoot: [UInt8]
        let proof: [[UInt8]]
    }

    static func corruptions(of v: ConsistencyVector) -> [Probe] {
        let (m, n, r1, r2, proof) = (v.oldSize, v.newSize, v.oldRoot, v.newRoot, v.proof)
        let wrong = Array("WrongRoot".utf8)
        var probes = [
            Probe(name: "old size - 1", oldSize: m - 1, newSize: n, oldRoot: r1, newRoot: r2, proof: proof),
            Probe(name: "old size + 1", oldSize: m + 1, newSize: n, oldRoot: r1, newRoot: r2, proof: proof),
            Probe(name: "old size ^ 2", oldSize: m ^ 2, newSize: n, oldRoot: r1, newRoot: r2, proof: proof),
            Probe(name: "new size * 2", oldSize: m, newSize: n * 2, oldRoot: r1, newRoot: r2, proof: proof),
            Probe(name: "new size / 2", oldSize: m, newSize: n / 2, oldRoot: r1, newRoot: r2, proof: proof),
            Probe(name: "wrong old root", oldSize: m, newSize: n, oldRoot: wrong, newRoot: r2, proof: proof),
            Probe(name: "wrong new root", oldSize: m, newSize: n, oldRoot: r1, newRoot: wrong, proof: proof),
            Probe(name: "swapped roots", oldSize: m, newSize: n, oldRoot: r2, newRoot: r1, proof: proof),
            Probe(name: "empty proof", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: []),
            Probe(name: "trailing garbage", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: proof + [[]]),
            Probe(name: "trailing old root", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: proof + [r1]),
            Probe(name: "trailing new root", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: proof + [r2]),
            Probe(name: "preceding garbage", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: [[]] + proof),
            Probe(name: "preceding old root", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: [r1] + proof),
            Probe(name: "preceding new root", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: [r2] + proof),
            Probe(name: "preceding proof[0]", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: [proof[0]] + proof),
            Probe(name: "truncated", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: Array(proof.dropLast())),
        ]
        for k in proof.indices {
            var flipped = proof
            flipped[k][0] ^= 16
            probes.append(Probe(name: "proof[\(k)] bit 4 flipped", oldSize: m, newSize: n, oldRoot: r1, newRoot: r2, proof: flipped))
        }
        return probes
    }
}
