/// Roots and proofs of an RFC 9162 Merkle tree whose leaf hashes come from a
/// ``MerkleHashSource``.
///
/// The algorithms are the recursive definitions of RFC 9162: MTH (section
/// 2.1.1), PATH (section 2.1.3.1) and PROOF/SUBPROOF (section 2.1.4.1), so the
/// output is byte-for-byte what every other RFC 6962 log produces. The tree can
/// answer for any size up to what the source holds, which is how historical
/// checkpoints are proven. Verification lives in `MerkleTree+Verification.swift`
/// and needs no source.
public struct MerkleTree {
    private let source: any MerkleHashSource

    /// A view of the tree over `source`.
    public init(source: any MerkleHashSource) {
        self.source = source
    }

    /// MTH(D[0:size]): the root hash of the tree of the first `size` leaves.
    ///
    /// The empty tree's root is ``MerkleHasher/emptyRoot``.
    public func root(size: Int) throws -> [UInt8] {
        guard size >= 0 else {
            throw AuditError(.invalidProofRequest, "a tree size cannot be negative (got \(size))")
        }
        return size == 0 ? MerkleHasher.emptyRoot : try subtreeHash(0..<size)
    }

    /// PATH(index, D[0:size]): the audit path proving that leaf `index` is in the
    /// tree of `size` leaves, ordered from the leaf's sibling up to the root's child.
    public func inclusionProof(index: Int, size: Int) throws -> [[UInt8]] {
        guard size > 0, index >= 0, index < size else {
            throw AuditError(
                .invalidProofRequest,
                "an inclusion proof needs a leaf index below the tree size (got index \(index), size \(size))"
            )
        }
        var proof: [[UInt8]] = []
        try path(index, 0..<size, into: &proof)
        return proof
    }

    /// PROOF(oldSize, D[0:newSize]): the nodes proving that the tree of `oldSize`
    /// leaves is a prefix of the tree of `newSize` leaves.
    ///
    /// Empty when `oldSize` is 0 or equals `newSize`: nothing needs proving.
    public func consistencyProof(oldSize: Int, newSize: Int) throws -> [[UInt8]] {
        guard oldSize >= 0, oldSize <= newSize else {
            throw AuditError(
                .invalidProofRequest,
                "a consistency proof needs 0 ≤ old size ≤ new size (got \(oldSize) and \(newSize))"
            )
        }
        var proof: [[UInt8]] = []
        if oldSize > 0, oldSize < newSize {
            try subproof(oldSize, 0..<newSize, isOldRootKnown: true, into: &proof)
        }
        return proof
    }

    // MARK: RFC 9162 recursions

    /// MTH(D[range]) for a non-empty range.
    func subtreeHash(_ range: Range<Int>) throws -> [UInt8] {
        if range.count == 1 {
            return try checked(source.leafHash(at: range.lowerBound), "leaf hash \(range.lowerBound)")
        }
        if let stored = try source.subtreeHash(range: range) {
            return try checked(stored, "stored subtree hash \(range)")
        }
        let split = range.lowerBound + Self.largestPowerOfTwo(below: range.count)
        let left = try subtreeHash(range.lowerBound..<split)
        let right = try subtreeHash(split..<range.upperBound)
        return MerkleHasher.nodeHash(left: left, right: right)
    }

    /// PATH(m, D[range]) with `m` relative to the range's start.
    private func path(_ m: Int, _ range: Range<Int>, into proof: inout [[UInt8]]) throws {
        guard range.count > 1 else { return }
        let k = Self.largestPowerOfTwo(below: range.count)
        let split = range.lowerBound + k
        if m < k {
            try path(m, range.lowerBound..<split, into: &proof)
            proof.append(try subtreeHash(split..<range.upperBound))
        } else {
            try path(m - k, split..<range.upperBound, into: &proof)
            proof.append(try subtreeHash(range.lowerBound..<split))
        }
    }

    /// SUBPROOF(m, D[range], b) with `m` relative to the range's start; `b` says
    /// whether the subtree's root is the old root the verifier already holds.
    private func subproof(_ m: Int, _ range: Range<Int>, isOldRootKnown b: Bool, into proof: inout [[UInt8]]) throws {
        if m == range.count {
            if !b { proof.append(try subtreeHash(range)) }
            return
        }
        let k = Self.largestPowerOfTwo(below: range.count)
        let split = range.lowerBound + k
        if m <= k {
            try subproof(m, range.lowerBound..<split, isOldRootKnown: b, into: &proof)
            proof.append(try subtreeHash(split..<range.upperBound))
        } else {
            try subproof(m - k, split..<range.upperBound, isOldRootKnown: false, into: &proof)
            proof.append(try subtreeHash(range.lowerBound..<split))
        }
    }

    /// The largest power of two strictly less than `n` (n ≥ 2): RFC 9162's k.
    static func largestPowerOfTwo(below n: Int) -> Int {
        precondition(n >= 2, "a split needs at least two leaves")
        return 1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }

    private func checked(_ hash: [UInt8], _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard hash.count == MerkleHasher.hashByteCount else { throw AuditError.hashLength(what(), hash.count) }
        return hash
    }
}
