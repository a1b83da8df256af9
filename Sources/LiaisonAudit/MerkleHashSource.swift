/// Where ``MerkleTree`` reads the hashes it combines: the audit store in
/// production, an array in tests and offline verification.
///
/// The tree math never sees leaf data, only leaf hashes, so a source can keep
/// them in SQLite and answer one at a time.
public protocol MerkleHashSource {
    /// The leaf hash (``MerkleHasher/leafHash(_:)``) of the leaf at `index`.
    ///
    /// Throws if the leaf is not held (e.g. ``AuditError/Code/leafIndexOutOfRange``)
    /// or cannot be read.
    func leafHash(at index: Int) throws -> [UInt8]

    /// A stored hash of the subtree over leaves `range`, or `nil` if none is
    /// stored; the tree then computes it from smaller subtrees.
    ///
    /// If non-`nil`, it must be exactly MTH(D[range]) of RFC 9162 section 2.1.1.
    /// The tree only asks for ranges of at least two leaves that its recursion
    /// visits: every left half is a perfect, aligned subtree of 2^k leaves, so a
    /// store that caches those answers most queries.
    func subtreeHash(range: Range<Int>) throws -> [UInt8]?
}

extension MerkleHashSource {
    /// No stored subtrees: every root is computed from the leaves.
    public func subtreeHash(range: Range<Int>) throws -> [UInt8]? { nil }
}

/// An in-memory ``MerkleHashSource`` over an array of leaf hashes.
public struct ArrayHashSource: MerkleHashSource, Sendable {
    /// The leaf hashes, in log order.
    public private(set) var leafHashes: [[UInt8]]

    /// A source over existing leaf hashes; each must be 32 bytes.
    public init(leafHashes: [[UInt8]]) throws {
        for (index, hash) in leafHashes.enumerated() where hash.count != MerkleHasher.hashByteCount {
            throw AuditError.hashLength("leaf hash \(index)", hash.count)
        }
        self.leafHashes = leafHashes
    }

    /// A source over leaves given as data; each is hashed with ``MerkleHasher/leafHash(_:)``.
    public init(leafData: [[UInt8]]) {
        self.leafHashes = leafData.map(MerkleHasher.leafHash)
    }

    /// The number of leaves held.
    public var count: Int { leafHashes.count }

    /// Appends a leaf given as data.
    public mutating func append(leafData: [UInt8]) {
        leafHashes.append(MerkleHasher.leafHash(leafData))
    }

    /// The leaf hash at `index`, or ``AuditError/Code/leafIndexOutOfRange``.
    public func leafHash(at index: Int) throws -> [UInt8] {
        guard leafHashes.indices.contains(index) else {
            throw AuditError(
                .leafIndexOutOfRange,
                "leaf \(index) is not in this log of \(leafHashes.count) leaves; ask for a tree size the log has reached"
            )
        }
        return leafHashes[index]
    }
}
