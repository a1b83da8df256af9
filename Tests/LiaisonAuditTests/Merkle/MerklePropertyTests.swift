import LiaisonAudit
import Testing

/// Properties over seeded random trees of 1…70 leaves: every generated proof
/// verifies, and any single-byte change to a proof node, the leaf hash or a root
/// makes it fail.
@Suite("Merkle proofs over random trees")
struct MerklePropertyTests {
    static let maximumSize = 70
    /// Up to this size every byte of every proof node is mutated; above it, one
    /// seeded random byte per node (keeps the debug-build run to seconds).
    static let exhaustiveSize = 16

    /// Distinct random leaves (the index is part of the data, so no two leaf
    /// hashes collide by construction) and the roots of every prefix.
    struct Fixture {
        let tree: MerkleTree
        let leafHashes: [[UInt8]]
        let roots: [[UInt8]]
    }

    static func fixture(seed: UInt64) -> Fixture {
        var rng = SeededGenerator(seed: seed)
        let leaves: [[UInt8]] = (0..<maximumSize).map { index in
            [UInt8(index)] + (0..<Int.random(in: 0..<40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        }
        var accumulator = MerkleAccumulator()
        var roots = [accumulator.root]
        for leaf in leaves {
            accumulator.append(leafData: leaf)
            roots.append(accumulator.root)
        }
        return Fixture(tree: MerkleTree(source: ArrayHashSource(leafData: leaves)), leafHashes: leaves.map(MerkleHasher.leafHash), roots: roots)
    }

    /// Every variant of `hash` with one byte changed (all bytes, or one random byte).
    static func mutations(of hash: [UInt8], exhaustive: Bool, using rng: inout SeededGenerator) -> [[UInt8]] {
        let positions = exhaustive ? Array(hash.indices) : [Int.random(in: hash.indices, using: &rng)]
        return positions.map { position in
            var copy = hash
            copy[position] ^= UInt8.random(in: 1...255, using: &rng)
            return copy
        }
    }

    @Test("root(size:) agrees with an independent accumulator for every size", arguments: [1 as UInt64, 2])
    func roots(seed: UInt64) throws {
        let f = Self.fixture(seed: seed)
        for size in 0...Self.maximumSize {
            #expect(try f.tree.root(size: size) == f.roots[size], "size \(size)")
        }
    }

    @Test("every inclusion proof verifies and every single-byte change fails", arguments: [1 as UInt64, 2])
    func inclusion(seed: UInt64) throws {
        let f = Self.fixture(seed: seed)
        var rng = SeededGenerator(seed: seed &* 31)
        for size in 1...Self.maximumSize {
            let root = f.roots[size]
            let exhaustive = size <= Self.exhaustiveSize
            for index in 0..<size {
                let leaf = f.leafHashes[index]
                let proof = try f.tree.inclusionProof(index: index, size: size)
                let context = "leaf \(index) of \(size)"
                #expect(MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: root), "\(context)")

                for k in proof.indices {
                    for changed in Self.mutations(of: proof[k], exhaustive: exhaustive, using: &rng) {
                        var bad = proof
                        bad[k] = changed
                        #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: bad, root: root), "\(context), node \(k)")
                    }
                }
                for changed in Self.mutations(of: leaf, exhaustive: exhaustive, using: &rng) {
                    #expect(!MerkleTree.verifyInclusion(leafHash: changed, index: index, size: size, proof: proof, root: root), "\(context), leaf")
                }
                for changed in Self.mutations(of: root, exhaustive: exhaustive, using: &rng) {
                    #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof, root: changed), "\(context), root")
                }
                // Structural changes.
                #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: proof + [root], root: root), "\(context), extended")
                if !proof.isEmpty {
                    #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: size, proof: Array(proof.dropLast()), root: root), "\(context), truncated")
                }
                for other in [index - 1, index + 1] where (0..<size).contains(other) {
                    #expect(!MerkleTree.verifyInclusion(leafHash: leaf, index: other, size: size, proof: proof, root: root), "\(context), index \(other)")
                }
                // Under another size's root, the proof passes only if it is that size's proof too.
                for other in [size - 1, size + 1] where other > index && other <= Self.maximumSize {
                    let expected = try proof == f.tree.inclusionProof(index: index, size: other)
                    #expect(
                        MerkleTree.verifyInclusion(leafHash: leaf, index: index, size: other, proof: proof, root: f.roots[other]) == expected,
                        "\(context), size \(other)"
                    )
                }
            }
        }
    }

    @Test("every consistency proof verifies and every single-byte change fails", arguments: [1 as UInt64, 2])
    func consistency(seed: UInt64) throws {
        let f = Self.fixture(seed: seed)
        var rng = SeededGenerator(seed: seed &* 37)
        for newSize in 1...Self.maximumSize {
            let exhaustive = newSize <= Self.exhaustiveSize
            for oldSize in 0...newSize {
                let (oldRoot, newRoot) = (f.roots[oldSize], f.roots[newSize])
                let proof = try f.tree.consistencyProof(oldSize: oldSize, newSize: newSize)
                let context = "\(oldSize) → \(newSize)"
                #expect(MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof), "\(context)")

                for k in proof.indices {
                    for changed in Self.mutations(of: proof[k], exhaustive: exhaustive, using: &rng) {
                        var bad = proof
                        bad[k] = changed
                        #expect(!MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: bad), "\(context), node \(k)")
                    }
                }
                for changed in Self.mutations(of: oldRoot, exhaustive: exhaustive, using: &rng) {
                    #expect(!MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: changed, newRoot: newRoot, proof: proof), "\(context), old root")
                }
                for changed in Self.mutations(of: newRoot, exhaustive: exhaustive, using: &rng) where oldSize > 0 {
                    // From the empty tree every new root is consistent: nothing to change.
                    #expect(!MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: changed, proof: proof), "\(context), new root")
                }
                #expect(!MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof + [newRoot]), "\(context), extended")
                if !proof.isEmpty {
                    #expect(!MerkleTree.verifyConsistency(oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: Array(proof.dropLast())), "\(context), truncated")
                }
                if oldSize < newSize {
                    #expect(!MerkleTree.verifyConsistency(oldSize: newSize, newSize: oldSize, oldRoot: newRoot, newRoot: oldRoot, proof: proof), "\(context), reversed")
                }
            }
        }
    }
}
