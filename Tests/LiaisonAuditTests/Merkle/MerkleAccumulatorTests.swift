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

    @Test("reporting subtrees from a level: exactly the completed ones, with the tree's hashes; a throwing callback changes nothing")
    func reportingFromLevel() throws {
        let leaves = (0..<64).map { Self.leafData($0) }
        var accumulator = MerkleAccumulator()
        var reported: [MerkleSubtree] = []
        for leaf in leaves {
            try accumulator.append(leafHash: MerkleHasher.leafHash(leaf), reportingFrom: 2) { reported.append($0) }
        }
        // 64 leaves complete 16 subtrees of 4, 8 of 8, 4 of 16, 2 of 32 and 1 of 64.
        #expect(reported.map(\.level) == (1...64).flatMap { n in (2...6).filter { n % (1 << $0) == 0 } })
        for subtree in reported {
            // A perfect subtree's hash is the root of the tree of just its leaves.
            let alone = MerkleTree(source: ArrayHashSource(leafData: Array(leaves[subtree.range])))
            #expect(subtree.hash == (try alone.root(size: subtree.range.count)), "subtree over \(subtree.range)")
        }

        // 64 → 65 completes nothing; 67 → 68 completes subtrees of 2 and 4. A callback
        // that refuses the first or the second leaves the state exactly as it was.
        struct Refused: Error {}
        for n in 64..<67 { accumulator.append(leafData: Self.leafData(n)) }
        let before = accumulator
        for refusedLevel in [1, 2] {
            var seen: [Int] = []
            #expect(throws: Refused.self) {
                try accumulator.append(leafHash: MerkleHasher.leafHash(Self.leafData(67)), reportingFrom: 1) { subtree in
                    seen.append(subtree.level)
                    if subtree.level == refusedLevel { throw Refused() }
                }
            }
            #expect(seen == Array(1...refusedLevel))
            #expect(accumulator == before)
        }
        accumulator.append(leafData: Self.leafData(67))
        let all = leaves + (64..<68).map { Self.leafData($0) }
        #expect(accumulator.root == (try MerkleTree(source: ArrayHashSource(leafData: all)).root(size: 68)))
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
