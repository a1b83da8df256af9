import LiaisonAudit
import Testing

/// Roots over the reference leaves, and the tree's handling of its source.
@Suite("MerkleTree roots and sources")
struct MerkleTreeTests {
    static var tree: MerkleTree { MerkleTree(source: ArrayHashSource(leafData: ReferenceVectors.leaves)) }

    @Test("root(size:) matches the published roots", arguments: 0...8)
    func publishedRoots(size: Int) throws {
        #expect(try Self.tree.root(size: size) == ReferenceVectors.roots[size])
    }

    @Test("a negative size is an invalid request")
    func negativeSize() {
        let error = #expect(throws: AuditError.self) { try Self.tree.root(size: -1) }
        #expect(error?.code == .invalidProofRequest)
    }

    @Test("a size beyond the source's leaves is reported by the source")
    func sizeBeyondSource() {
        let error = #expect(throws: AuditError.self) { try Self.tree.root(size: 9) }
        #expect(error?.code == .leafIndexOutOfRange)
    }

    @Test("ArrayHashSource refuses leaf hashes that are not 32 bytes")
    func arraySourceChecksLength() {
        let error = #expect(throws: AuditError.self) {
            try ArrayHashSource(leafHashes: [MerkleHasher.leafHash([]), [1, 2, 3]])
        }
        #expect(error?.code == .invalidHashLength)
    }

    @Test("ArrayHashSource.append(leafData:) hashes like init(leafData:)")
    func arraySourceAppend() throws {
        var source = ArrayHashSource(leafData: [])
        for leaf in ReferenceVectors.leaves { source.append(leafData: leaf) }
        #expect(source.count == 8)
        #expect(try MerkleTree(source: source).root(size: 8) == ReferenceVectors.roots[8])
    }

    @Test("stored subtree hashes give the same roots and proofs, and are used")
    func storedSubtrees() throws {
        let leaves = (0..<37).map { [UInt8(truncatingIfNeeded: $0), 0xAB] }
        let plain = MerkleTree(source: ArrayHashSource(leafData: leaves))
        let caching = CachingSource(leafData: leaves)
        let cached = MerkleTree(source: caching)
        for size in 1...leaves.count {
            #expect(try cached.root(size: size) == plain.root(size: size))
            for index in stride(from: 0, to: size, by: 5) {
                #expect(try cached.inclusionProof(index: index, size: size) == plain.inclusionProof(index: index, size: size))
            }
            for old in stride(from: 0, through: size, by: 3) {
                #expect(try cached.consistencyProof(oldSize: old, newSize: size) == plain.consistencyProof(oldSize: old, newSize: size))
            }
        }
        #expect(caching.hits.value > 0, "the tree never asked for a stored subtree")
    }

    @Test("a stored subtree hash of the wrong length is refused")
    func badStoredSubtree() {
        let tree = MerkleTree(source: BrokenSource())
        let error = #expect(throws: AuditError.self) { try tree.root(size: 4) }
        #expect(error?.code == .invalidHashLength)
    }
}

/// Answers every perfect, aligned subtree from a precomputed table, as an audit
/// store caching subtree hashes would, and counts how often it was useful.
final class CachingSource: MerkleHashSource {
    final class Counter { var value = 0 }
    private let leaves: ArrayHashSource
    private var stored: [Range<Int>: [UInt8]] = [:]
    let hits = Counter()

    init(leafData: [[UInt8]]) {
        leaves = ArrayHashSource(leafData: leafData)
        var width = 2
        while width <= leafData.count {
            for start in stride(from: 0, through: leafData.count - width, by: width) {
                stored[start..<start + width] = Self.mth(leaves, start..<start + width)
            }
            width *= 2
        }
    }

    func leafHash(at index: Int) throws -> [UInt8] { try leaves.leafHash(at: index) }

    func subtreeHash(range: Range<Int>) throws -> [UInt8]? {
        guard let hash = stored[range] else { return nil }
        hits.value += 1
        return hash
    }

    /// MTH of a perfect subtree by pairwise hashing, independent of MerkleTree.
    private static func mth(_ source: ArrayHashSource, _ range: Range<Int>) -> [UInt8] {
        var level = range.map { try! source.leafHash(at: $0) }
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { MerkleHasher.nodeHash(left: level[$0], right: level[$0 + 1]) }
        }
        return level[0]
    }
}

/// A source whose stored subtree hashes are corrupt.
struct BrokenSource: MerkleHashSource {
    func leafHash(at index: Int) throws -> [UInt8] { MerkleHasher.leafHash([UInt8(index)]) }
    func subtreeHash(range: Range<Int>) throws -> [UInt8]? { [0, 1] }
}
