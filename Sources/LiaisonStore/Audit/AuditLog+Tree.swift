import Foundation
import GRDB
import LiaisonAudit

/// Roots and proofs over the stored tree. Each runs on one read snapshot, so a
/// proof and the size it is for always agree even while appends continue.
extension AuditLog {
    /// The RFC 6962 root of the first `size` entries.
    public func root(size: Int) throws -> [UInt8] {
        try read("compute the audit log's root") { db in
            try Self.requireSize(size, in: db)
            return try MerkleTree(source: StoredHashSource(db: db)).root(size: size)
        }
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    public func inclusionProof(index: Int, size: Int) throws -> [[UInt8]] {
        try read("prove audit entry \(index)") { db in
            try Self.requireSize(size, in: db)
            return try MerkleTree(source: StoredHashSource(db: db)).inclusionProof(index: index, size: size)
        }
    }

    /// Entry `index`'s canonical bytes and its inclusion proof in the tree of
    /// `checkpoint`, checked against the checkpoint's root before they are returned:
    /// an entry edited in the file (its hash recomputed, the triggers dropped) no
    /// longer leads to the signed root, and gets ``StoreError/Code/corrupt`` instead
    /// of a proof that would not verify.
    public func provenEntry(index: Int, in checkpoint: Checkpoint) throws -> (leaf: [UInt8], hashes: [[UInt8]]) {
        let (leaf, hashes) = try read("prove audit entry \(index)") { db in
            try Self.requireSize(checkpoint.size, in: db)
            let hashes = try MerkleTree(source: StoredHashSource(db: db)).inclusionProof(index: index, size: checkpoint.size)
            let data = try Data.fetchOne(db, sql: "SELECT data FROM leaf WHERE idx = ?", arguments: [index])
            return (data.map(Array.init) ?? [], hashes)
        }
        guard MerkleTree.verifyInclusion(leafHash: MerkleHasher.leafHash(leaf), index: index, size: checkpoint.size, proof: hashes,
                                         root: checkpoint.rootHash) else {
            throw StoreError(.corrupt, "entry \(index) of the audit log does not match its signed checkpoint (size \(checkpoint.size)): \(path) was altered, so no proof is given; run `liaison audit verify` and restore the log from a copy")
        }
        return (leaf, hashes)
    }

    /// The consistency proof from the tree of `oldSize` entries to the tree of `newSize`.
    public func consistencyProof(oldSize: Int, newSize: Int) throws -> [[UInt8]] {
        try read("prove the audit log's consistency") { db in
            try Self.requireSize(newSize, in: db)
            return try MerkleTree(source: StoredHashSource(db: db)).consistencyProof(oldSize: oldSize, newSize: newSize)
        }
    }

    static func requireSize(_ size: Int, in db: Database) throws {
        let held = try Self.size(db)
        guard size >= 0, size <= held else {
            throw StoreError(.notFound, "the audit log holds \(held) entries, not \(size)")
        }
    }
}

/// Leaf hashes and perfect subtrees read from the `leaf` and `subtree` tables,
/// with statements prepared once: a proof at a million entries reads about 20
/// interior nodes and folds at most three small runs of leaf hashes.
struct StoredHashSource: MerkleHashSource {
    let db: Database

    func leafHash(at index: Int) throws -> [UInt8] {
        let statement = try db.cachedStatement(sql: "SELECT hash FROM leaf WHERE idx = ?")
        guard let hash = try Data.fetchOne(statement, arguments: [index]) else {
            throw AuditError(.leafIndexOutOfRange, "audit entry \(index) is missing from the database")
        }
        return Array(hash)
    }

    func subtreeHash(range: Range<Int>) throws -> [UInt8]? {
        let count = range.count
        guard count >= 2, count & (count - 1) == 0, range.lowerBound % count == 0 else { return nil }
        let level = count.trailingZeroBitCount
        guard level >= AuditLog.minimumStoredLevel else {
            return try AuditLog.perfectSubtreeHash(db, level: level, index: range.lowerBound >> level)
        }
        let statement = try db.cachedStatement(sql: "SELECT hash FROM subtree WHERE level = ? AND idx = ?")
        return try Data.fetchOne(statement, arguments: [level, range.lowerBound >> level]).map(Array.init)
    }
}

/// The tree's stored shape: its right edge and its perfect subtrees, read back.
extension AuditLog {
    /// The tree's right edge as stored for `size` leaves (one hash per set bit).
    static func storedEdge(_ db: Database, size: Int) throws -> MerkleAccumulator {
        var frontier: [[UInt8]] = []
        var start = 0
        for level in stride(from: Int.bitWidth - 2, through: 0, by: -1) where size & (1 << level) != 0 {
            frontier.append(try perfectSubtreeHash(db, level: level, index: start >> level))
            start += 1 << level
        }
        do {
            return try MerkleAccumulator(size: size, frontier: frontier)
        } catch {
            throw StoreError(.corrupt, "the audit log's stored tree does not fit its \(size) entries; run `liaison audit verify`")
        }
    }

    /// MTH of the perfect subtree of 2^`level` leaves numbered `index`: stored
    /// from ``AuditLog/minimumStoredLevel`` up, folded from leaf hashes below it.
    static func perfectSubtreeHash(_ db: Database, level: Int, index: Int) throws -> [UInt8] {
        let range = (index << level)..<((index + 1) << level)
        if level >= AuditLog.minimumStoredLevel {
            let statement = try db.cachedStatement(sql: "SELECT hash FROM subtree WHERE level = ? AND idx = ?")
            guard let hash = try Data.fetchOne(statement, arguments: [level, index]) else {
                throw StoreError(.corrupt, "the audit log lacks the interior node over entries \(range); run `liaison audit verify` and restore the audit log from a backup")
            }
            return Array(hash)
        }
        let statement = try db.cachedStatement(sql: "SELECT hash FROM leaf WHERE idx >= ? AND idx < ? ORDER BY idx")
        var hashes = try Data.fetchAll(statement, arguments: [range.lowerBound, range.upperBound]).map(Array.init)
        guard hashes.count == range.count else {
            throw StoreError(.corrupt, "the audit log lacks entries in \(range); run `liaison audit verify`")
        }
        while hashes.count > 1 {
            hashes = stride(from: 0, to: hashes.count, by: 2).map { MerkleHasher.nodeHash(left: hashes[$0], right: hashes[$0 + 1]) }
        }
        return hashes[0]
    }
}
