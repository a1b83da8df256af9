/// An append-only Merkle tree builder that keeps only the right edge.
///
/// After n leaves it holds one hash per set bit of n (the roots of the perfect
/// subtrees that make up the tree, largest first), so memory is O(log n) however
/// many leaves stream through. That is what lets `liaison audit verify` recompute
/// the root of an exported log of millions of events, and what lets the store
/// resume appending without reading old leaves.
public struct MerkleAccumulator: Hashable, Sendable {
    /// The number of leaves appended so far.
    public private(set) var size: Int
    /// Roots of the perfect subtrees, largest (leftmost) first; one per set bit of ``size``.
    public private(set) var frontier: [[UInt8]]

    /// An accumulator for the empty tree.
    public init() {
        size = 0
        frontier = []
    }

    /// Resumes from a saved ``size`` and ``frontier``.
    ///
    /// Throws ``AuditError/Code/invalidAccumulatorState`` unless the frontier has
    /// one 32-byte hash per set bit of `size`.
    public init(size: Int, frontier: [[UInt8]]) throws {
        guard size >= 0, frontier.count == size.nonzeroBitCount,
              frontier.allSatisfy({ $0.count == MerkleHasher.hashByteCount })
        else {
            throw AuditError(
                .invalidAccumulatorState,
                "the saved tree state does not fit a tree of \(size) leaves; rebuild it from the leaves"
            )
        }
        self.size = size
        self.frontier = frontier
    }

    /// Appends a leaf given by its hash (``MerkleHasher/leafHash(_:)``).
    public mutating func append(leafHash: [UInt8]) throws {
        guard leafHash.count == MerkleHasher.hashByteCount else {
            throw AuditError.hashLength("leaf hash \(size)", leafHash.count)
        }
        push(leafHash) { _, _ in }
    }

    /// Appends a leaf given as data.
    public mutating func append(leafData: [UInt8]) {
        push(MerkleHasher.leafHash(leafData)) { _, _ in }
    }

    /// Appends a leaf given by its hash and returns the perfect subtrees it
    /// completed (of 2, 4, 8, … leaves), smallest first: what a store keeps so
    /// that proofs never recompute large subtrees.
    public mutating func appendReportingSubtrees(leafHash: [UInt8]) throws -> [MerkleSubtree] {
        var completed: [MerkleSubtree] = []
        try append(leafHash: leafHash, reportingFrom: 1) { completed.append($0) }
        return completed
    }

    /// Appends a leaf given by its hash and passes `completed` each perfect subtree
    /// it completed of height `minimumLevel` or more, smallest first: the same as
    /// ``appendReportingSubtrees(leafHash:)`` without building an array per leaf
    /// (the store's group commit calls it for every leaf it writes).
    public mutating func append(leafHash: [UInt8], reportingFrom minimumLevel: Int,
                                _ completed: (MerkleSubtree) throws -> Void) throws {
        guard leafHash.count == MerkleHasher.hashByteCount else {
            throw AuditError.hashLength("leaf hash \(size)", leafHash.count)
        }
        let position = size
        try push(leafHash) { level, hash in
            if level >= minimumLevel { try completed(MerkleSubtree(level: level, index: position >> level, hash: hash)) }
        }
    }

    /// Adds a leaf. If `completed` throws, the accumulator is left as it was.
    private mutating func push(_ leafHash: [UInt8], completed: (_ level: Int, _ hash: [UInt8]) throws -> Void) rethrows {
        // Each trailing one bit of the old size is a perfect subtree the same
        // height as the carry: merge them, exactly like binary addition.
        var carry = leafHash
        var bits = size
        var level = 0
        while bits & 1 == 1 {
            carry = MerkleHasher.nodeHash(left: frontier[frontier.count - 1 - level], right: carry)
            bits >>= 1
            level += 1
            try completed(level, carry)
        }
        frontier.removeLast(level)
        frontier.append(carry)
        size += 1
    }

    /// MTH of the leaves appended so far: RFC 9162's root at the current size.
    public var root: [UInt8] {
        guard var hash = frontier.last else { return MerkleHasher.emptyRoot }
        // RFC 9162 splits at the largest power of two, so the root is the
        // frontier folded from the smallest subtree leftwards.
        for left in frontier.dropLast().reversed() {
            hash = MerkleHasher.nodeHash(left: left, right: hash)
        }
        return hash
    }
}

/// A perfect subtree of 2^``level`` leaves: leaves `index·2^level ..< (index+1)·2^level`.
public struct MerkleSubtree: Hashable, Sendable {
    /// The height: the subtree holds 2^level leaves (level ≥ 1 for interior nodes).
    public let level: Int
    /// Which subtree of that height, counting from the left.
    public let index: Int
    /// MTH of its leaves.
    public let hash: [UInt8]

    /// The leaves it covers.
    public var range: Range<Int> { (index << level)..<((index + 1) << level) }
}
