import LiaisonAudit
import Testing

@Suite("MerkleAccumulator")
struct MerkleAccumulatorTests {
    @Test("roots after each reference leaf match the published roots")
    func publishedRoots() throws {
        var accumulator = MerkleAccumulator()
        #expect(accumulator.root == ReferenceVectors.roots[0])
        for (index, leaf) in ReferenceVectors.leaves.enumerated() {
            try accumulator.append(leafHash: MerkleHasher.leafHash(leaf))
            #expect(accumulator.size == index + 1)
            #expect(accumulator.root == ReferenceVectors.roots[index + 1], "size \(index + 1)")
        }
    }

    @Test("agrees with MerkleTree.root(size:) for every size up to 300")
    func agreesWithTree() throws {
        let leaves = (0..<300).map { Self.leafData($0) }
        let tree = MerkleTree(source: ArrayHashSource(leafData: leaves))
        var accumulator = MerkleAccumulator()
        for (index, leaf) in leaves.enumerated() {
            accumulator.append(leafData: leaf)
            #expect(accumulator.root == (try tree.root(size: index + 1)), "size \(index + 1)")
            #expect(accumulator.frontier.count == (index + 1).nonzeroBitCount)
        }
    }

    @Test("streams 1,000,000 leaves in O(log n) memory to the same root as the tree")
    func millionLeaves() throws {
        let count = 1_000_000
        var accumulator = MerkleAccumulator()
        var largestFrontier = 0
        for index in 0..<count {
            accumulator.append(leafData: Self.leafData(index))
            largestFrontier = max(largestFrontier, accumulator.frontier.count)
        }
        #expect(accumulator.size == count)
        #expect(accumulator.frontier.count == count.nonzeroBitCount)
        #expect(largestFrontier <= 20, "the frontier holds one hash per bit of the size")
        #expect(accumulator.root == (try MerkleTree(source: GeneratedSource()).root(size: count)))
    }

    @Test("resuming from a saved size and frontier continues identically")
    func resume() throws {
        var whole = MerkleAccumulator()
        var saved = MerkleAccumulator()
        for index in 0..<77 {
            whole.append(leafData: Self.leafData(index))
            if index < 45 { saved.append(leafData: Self.leafData(index)) }
        }
        var resumed = try MerkleAccumulator(size: saved.size, frontier: saved.frontier)
        for index in 45..<77 { resumed.append(leafData: Self.leafData(index)) }
        #expect(resumed == whole)
        #expect(resumed.root == whole.root)
    }

    @Test("a saved state that does not fit its size is refused")
    func badState() {
        let hash = MerkleHasher.leafHash([])
        for (size, frontier) in [(3, [hash]), (4, [hash, hash]), (1, [[0, 1]]), (-1, []), (0, [hash])] {
            let error = #expect(throws: AuditError.self) { try MerkleAccumulator(size: size, frontier: frontier) }
            #expect(error?.code == .invalidAccumulatorState, "size \(size)")
        }
    }

    @Test("a leaf hash that is not 32 bytes is refused")
    func badLeafHash() {
        var accumulator = MerkleAccumulator()
        let error = #expect(throws: AuditError.self) { try accumulator.append(leafHash: [1, 2, 3]) }
        #expect(error?.code == .invalidHashLength)
        #expect(accumulator.size == 0)
    }

    /// Leaf `index`'s data: its 8-byte big-endian index.
    static func leafData(_ index: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt64(index).bigEndian, Array.init)
    }
}

/// Leaf hashes computed on demand from ``MerkleAccumulatorTests/leafData(_:)``,
/// so a million-leaf tree needs no array of hashes.
struct GeneratedSource: MerkleHashSource {
    func leafHash(at index: Int) throws -> [UInt8] {
        MerkleHasher.leafHash(MerkleAccumulatorTests.leafData(index))
    }
}
