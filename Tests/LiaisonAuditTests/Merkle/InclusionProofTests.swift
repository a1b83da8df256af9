import LiaisonAudit
import Testing

/// The published inclusion proofs, and the corruptions transparency-dev/merkle
/// `proof/verify_test.go` (`corruptInclusionProof`) applies to them.
@Suite("Inclusion proofs (RFC 9162 section 2.1.3)")
struct InclusionProofTests {
    static var tree: MerkleTree { MerkleTree(source: ArrayHashSource(leafData: ReferenceVectors.leaves)) }

    @Test("every published proof is generated identically", arguments: ReferenceVectors.inclusionProofs)
    func generated(_ v: InclusionVector) throws {
        #expect(try Self.tree.inclusionProof(index: v.index, size: v.size) == v.proof)
    }

    @Test("every published proof verifies", arguments: ReferenceVectors.inclusionProofs)
    func verifies(_ v: InclusionVector) {
        #expect(MerkleTree.verifyInclusion(leafHash: v.leafHash, index: v.index, size: v.size, proof: v.proof, root: v.root))
    }

    @Test("every corruption of a published proof is rejected", arguments: ReferenceVectors.inclusionProofs)
    func corruptionsRejected(_ v: InclusionVector) {
        for probe in Self.corruptions(of: v) {
            #expect(
                !MerkleTree.verifyInclusion(
                    leafHash: probe.leafHash, index: probe.index, size: probe.size, proof: probe.proof, root: probe.root
                ),
                "accepted: \(probe.name)"
            )
        }
    }

    @Test("a one-leaf tree: leaf hash and root are equal, the proof is empty")
    func singleEntry() {
        let hash = MerkleHasher.leafHash(Array("data".utf8))
        #expect(MerkleTree.verifyInclusion(leafHash: hash, index: 0, size: 1, proof: [], root: hash))
        #expect(!MerkleTree.verifyInclusion(leafHash: [], index: 0, size: 1, proof: [], root: hash))
        #expect(!MerkleTree.verifyInclusion(leafHash: hash, index: 0, size: 1, proof: [], root: []))
        #expect(!MerkleTree.verifyInclusion(leafHash: [], index: 0, size: 1, proof: [], root: []))
    }

    @Test(
        "index and size that describe no leaf are rejected",
        arguments: [(0, 0), (0, 1), (1, 0), (2, 1), (-1, 1), (0, -1), (Int.max, Int.max), (Int.min, 1)]
    )
    func impossiblePositions(index: Int, size: Int) {
        let some = ReferenceVectors.someHash, empty = MerkleHasher.emptyRoot
        #expect(!MerkleTree.verifyInclusion(leafHash: some, index: index, size: size, proof: [], root: []))
        #expect(!MerkleTree.verifyInclusion(leafHash: [], index: index, size: size, proof: [], root: empty))
        #expect(!MerkleTree.verifyInclusion(leafHash: some, index: index, size: size, proof: [], root: empty))
    }

    @Test("a proof far longer than any tree is rejected without trapping")
    func hugeProof() {
        let v = ReferenceVectors.inclusionProofs[1]
        let proof = v.proof + Array(repeating: ReferenceVectors.someHash, count: 10_000)
        #expect(!MerkleTree.verifyInclusion(leafHash: v.leafHash, index: v.index, size: v.size, proof: proof, root: v.root))
        #expect(!MerkleTree.verifyInclusion(leafHash: v.leafHash, index: 0, size: Int.max, proof: proof, root: v.root))
    }

    @Test("requests for proofs of leaves outside the tree throw", arguments: [(0, 0), (8, 8), (9, 8), (-1, 8), (0, -1)])
    func invalidRequests(index: Int, size: Int) {
        let error = #expect(throws: AuditError.self) { try Self.tree.inclusionProof(index: index, size: size) }
        #expect(error?.code == .invalidProofRequest)
    }

    // MARK: Corruptions (transparency-dev/merkle corruptInclusionProof)

    struct Probe {
        let name: String
        let index: Int
        let size: Int
        let leafHash: [UInt8]
        let proof: [[UInt8]]
        let root: [UInt8]
    }

    static func corruptions(of v: InclusionVector) -> [Probe] {
        let (i, n, leaf, proof, root) = (v.index, v.size, v.leafHash, v.proof, v.root)
        var probes = [
            Probe(name: "index - 1", index: i - 1, size: n, leafHash: leaf, proof: proof, root: root),
            Probe(name: "index + 1", index: i + 1, size: n, leafHash: leaf, proof: proof, root: root),
            Probe(name: "index ^ 2", index: i ^ 2, size: n, leafHash: leaf, proof: proof, root: root),
            Probe(name: "size * 2", index: i, size: n * 2, leafHash: leaf, proof: proof, root: root),
            Probe(name: "size / 2", index: i, size: n / 2, leafHash: leaf, proof: proof, root: root),
            Probe(name: "wrong leaf", index: i, size: n, leafHash: Array("WrongLeaf".utf8), proof: proof, root: root),
            Probe(name: "empty root", index: i, size: n, leafHash: leaf, proof: proof, root: MerkleHasher.emptyRoot),
            Probe(name: "random root", index: i, size: n, leafHash: leaf, proof: proof, root: ReferenceVectors.someHash),
            Probe(name: "trailing garbage", index: i, size: n, leafHash: leaf, proof: proof + [[]], root: root),
            Probe(name: "trailing root", index: i, size: n, leafHash: leaf, proof: proof + [root], root: root),
            Probe(name: "preceding garbage", index: i, size: n, leafHash: leaf, proof: [[]] + proof, root: root),
            Probe(name: "preceding root", index: i, size: n, leafHash: leaf, proof: [root] + proof, root: root),
        ]
        for k in proof.indices {
            var wrong = proof
            wrong[k][0] ^= 8
            probes.append(Probe(name: "proof[\(k)] bit 3 flipped", index: i, size: n, leafHash: leaf, proof: wrong, root: root))
        }
        if !proof.isEmpty {
            probes.append(Probe(name: "removed component", index: i, size: n, leafHash: leaf, proof: Array(proof.dropLast()), root: root))
        }
        if proof.count > 1 {
            let inserted = [proof[0], ReferenceVectors.someHash] + proof.dropFirst()
            probes.append(Probe(name: "inserted component", index: i, size: n, leafHash: leaf, proof: inserted, root: root))
        }
        return probes
    }
}
