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
            return try AuditGroupCommit.perfectSubtreeHash(db, level: level, index: range.lowerBound >> level)
        }
        let statement = try db.cachedStatement(sql: "SELECT hash FROM subtree WHERE level = ? AND idx = ?")
        return try Data.fetchOne(statement, arguments: [level, range.lowerBound >> level]).map(Array.init)
    }
}
