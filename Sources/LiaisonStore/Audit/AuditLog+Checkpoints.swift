import Foundation
import GRDB
import LiaisonAudit

/// A checkpoint this node signed, with the cosignatures its witnesses returned.
public struct StoredCheckpoint: Sendable, Hashable {
    /// The checkpoint.
    public let checkpoint: Checkpoint
    /// The signed note: the log's signature followed by every stored cosignature line.
    public let note: SignedNote
    /// When it was signed (Unix seconds).
    public let signedAt: Int64
    /// Names of the witnesses whose cosignatures are stored.
    public let witnesses: [String]

    /// The tree size.
    public var size: Int { checkpoint.size }
}

extension AuditLog {
    /// Signs a checkpoint of the whole log with `signer` (the node's log key), or
    /// returns the newest one if the log has not grown since.
    ///
    /// Never signs two inconsistent checkpoints: if a checkpoint larger than the
    /// log already exists (the file was restored from an older backup or cut), or
    /// the log's first entries no longer produce the newest checkpoint's root
    /// (they were rewritten), it refuses with ``StoreError/Code/conflict`` and
    /// signs nothing.
    @discardableResult
    public func signCheckpoint(with signer: NoteSigner, now: Int64) throws -> StoredCheckpoint {
        let origin = signer.verifierKey.name
        return try write("sign an audit checkpoint") { db in
            let size = try Self.size(db)
            let edge = try AuditLog.storedEdge(db, size: size)
            if let newest = try Self.newestCheckpoint(db) {
                guard newest.size <= size else {
                    throw StoreError(.conflict, "the audit log holds \(size) entries but checkpoint \(newest.size) was already signed: \(path) was restored from an older backup or truncated. Refusing to sign a smaller tree; restore the newest copy of it")
                }
                let earlierRoot = try MerkleTree(source: StoredHashSource(db: db)).root(size: newest.size)
                guard earlierRoot == newest.checkpoint.rootHash else {
                    throw StoreError(.conflict, "the first \(newest.size) audit entries no longer produce the root of checkpoint \(newest.size): the log was rewritten. Refusing to sign a forked tree; run `liaison audit verify`")
                }
                guard newest.checkpoint.origin == origin else {
                    throw StoreError(.conflict, "the audit log's checkpoints name log \(newest.checkpoint.origin), not \(origin); the log key changed without a rotation")
                }
                if newest.size == size { return newest }
                // The tree about to be signed must extend the newest signed one: prove it
                // from the stored nodes it is built from, as a witness would.
                let proof = try MerkleTree(source: StoredHashSource(db: db)).consistencyProof(oldSize: newest.size, newSize: size)
                guard MerkleTree.verifyConsistency(oldSize: newest.size, newSize: size, oldRoot: newest.checkpoint.rootHash,
                                                   newRoot: edge.root, proof: proof) else {
                    throw StoreError(.conflict, "the audit log of \(size) entries is not consistent with checkpoint \(newest.size): its stored tree was altered. Refusing to sign a forked tree; run `liaison audit verify --database`")
                }
            }
            let checkpoint = try Checkpoint(origin: origin, size: size, rootHash: edge.root)
            let note = try signer.sign(checkpoint)
            try db.execute(sql: "INSERT INTO checkpoint (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
                           arguments: [size, Data(edge.root), note.formatted, now])
            return StoredCheckpoint(checkpoint: checkpoint, note: note, signedAt: now, witnesses: [])
        }
    }

    /// The newest checkpoint, with its cosignatures.
    public func newestCheckpoint() throws -> StoredCheckpoint? {
        try read("read the newest audit checkpoint") { db in try Self.newestCheckpoint(db) }
    }

    /// The smallest checkpoint that covers entry `index` (size > index) among those
    /// the most witnesses cosigned: a proof against it convinces an auditor who
    /// demands cosignatures, while a smaller one no witness saw would not.
    public func checkpoint(covering index: Int) throws -> StoredCheckpoint? {
        try read("find a checkpoint covering audit entry \(index)") { db in
            try Row.fetchOne(db, sql: """
                SELECT c.* FROM checkpoint c
                WHERE c.size > ?
                ORDER BY (SELECT count(DISTINCT witness) FROM cosignature s WHERE s.size = c.size) DESC, c.size
                LIMIT 1
                """, arguments: [index])
                .map { try Self.checkpoint($0, db) }
        }
    }

    /// The checkpoint of exactly `size` entries.
    public func checkpoint(size: Int) throws -> StoredCheckpoint? {
        try read("read audit checkpoint \(size)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM checkpoint WHERE size = ?", arguments: [size]).map { try Self.checkpoint($0, db) }
        }
    }

    /// The checkpoints of more than `size` entries (every one if nil), smallest
    /// first, at most `limit` of them.
    public func checkpoints(after size: Int? = nil, limit: Int = .max) throws -> [StoredCheckpoint] {
        try read("read the audit checkpoints") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM checkpoint WHERE size > ? ORDER BY size LIMIT ?",
                             arguments: [size ?? -1, limit]).map { try Self.checkpoint($0, db) }
        }
    }

    /// Stores a witness's cosignature of checkpoint `size`. The caller has verified
    /// it with the witness's key (``Checkpoint/open(_:logKey:witnesses:)``).
    public func addCosignature(size: Int, line: NoteSignature, timestamp: UInt64, now: Int64) throws {
        try write("store a cosignature of checkpoint \(size)") { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM checkpoint WHERE size = ?", arguments: [size]) != nil else {
                throw StoreError(.notFound, "no checkpoint of size \(size) was signed by this node")
            }
            try db.execute(sql: """
                INSERT INTO cosignature (size, witness, key_id, line, timestamp, received_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT DO NOTHING
                """, arguments: [size, line.name, Int64(line.keyID), line.line, Int64(clamping: timestamp), now])
        }
    }

    static func newestCheckpoint(_ db: Database) throws -> StoredCheckpoint? {
        try Row.fetchOne(db, sql: "SELECT * FROM checkpoint ORDER BY size DESC LIMIT 1").map { try checkpoint($0, db) }
    }

    private static func checkpoint(_ row: Row, _ db: Database) throws -> StoredCheckpoint {
        let size: Int = try row.decode(forColumn: "size")
        let text: String = try row.decode(forColumn: "note")
        do {
            var note = try SignedNote(parsing: text)
            var witnesses: [String] = []
            for line in try String.fetchAll(db, sql: "SELECT line FROM cosignature WHERE size = ? ORDER BY witness, key_id", arguments: [size]) {
                let signature = try NoteSignature(parsing: line)
                note = try note.adding(signature)
                witnesses.append(signature.name)
            }
            let checkpoint = try Checkpoint(parsing: note.text)
            guard checkpoint.size == size else {
                throw StoreError(.corrupt, "audit checkpoint \(size) holds a note for size \(checkpoint.size)")
            }
            return StoredCheckpoint(checkpoint: checkpoint, note: note, signedAt: try row.decode(forColumn: "signed_at"), witnesses: witnesses)
        } catch let error as AuditError {
            throw StoreError(.corrupt, "audit checkpoint \(size) cannot be read (\(error.message)); run `liaison audit verify`")
        }
    }
}

extension AuditLog {
    /// The largest checkpoint size `witness` (a key name) has cosigned, if any.
    public func newestCosignedSize(witness: String) throws -> Int? {
        try read("read the cosignatures of \(witness)") { db in
            try Int.fetchOne(db, sql: "SELECT max(size) FROM cosignature WHERE witness = ?", arguments: [witness])
        }
    }
}
