import Foundation
import GRDB
import LiaisonAudit

/// What this node, as a witness, last cosigned of a peer's log under one log key.
public struct WitnessedLog: Sendable, Hashable {
    /// The peer's log origin.
    public let origin: String
    /// The log key (Ed25519, raw) the record is kept for; nil for a record made
    /// before the key was recorded (schema v6), whose key only its note shows.
    public let logKey: [UInt8]?
    /// The peer (fingerprint).
    public let peer: String
    /// The size and root it cosigned last.
    public let size: Int
    public let root: [UInt8]
    /// The checkpoint note as received.
    public let note: String
}

extension AuditLog {
    /// The newest checkpoint this node cosigned of the log `origin` signed by
    /// `logKey`, if any. A record made before keys were recorded counts as that
    /// key's when its note verifies with it.
    public func witnessedLog(origin: String, logKey: NoteVerifierKey) throws -> WitnessedLog? {
        Self.record(for: logKey, among: try witnessedLogs(origin: origin))
    }

    /// Every record kept under the log name `origin`: one per log key that asked.
    public func witnessedLogs(origin: String) throws -> [WitnessedLog] {
        try read("read the witness state of \(origin)") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM witnessed_log WHERE origin = ? ORDER BY rowid", arguments: [origin]).map(Self.witnessedLog)
        }
    }

    /// The record among `records` (one log name's) kept for `logKey`.
    public static func record(for logKey: NoteVerifierKey, among records: [WitnessedLog]) -> WitnessedLog? {
        let key = logKey.publicKey.rawRepresentation
        if let keyed = records.first(where: { $0.logKey == key }) { return keyed }
        return records.first { $0.logKey == nil && (try? Checkpoint.open(Array($0.note.utf8), logKey: logKey)) != nil }
    }

    /// Records that this node cosigned `checkpoint` of `peer`'s log, signed by
    /// `logKey`, provided the stored state for that key is still `expected` (nil:
    /// never witnessed). A record made before keys were recorded, passed as
    /// `expected`, is given the key. The schema refuses to move a witnessed log
    /// backwards or to another key.
    ///
    /// Throws ``StoreError/Code/conflict`` if another cosigning moved the state on
    /// in the meantime: the caller then re-reads and checks consistency again.
    public func recordWitnessed(_ checkpoint: Checkpoint, note: String, peer: String, logKey: NoteVerifierKey,
                                expected: WitnessedLog?, now: Int64) throws {
        let key = Data(logKey.publicKey.rawRepresentation)
        try write("record the witnessed checkpoint of \(checkpoint.origin)") { db in
            let current: WitnessedLog?
            if let expected, expected.logKey == nil {
                current = try Row.fetchOne(db, sql: "SELECT * FROM witnessed_log WHERE origin = ? AND log_key IS NULL",
                                           arguments: [checkpoint.origin]).map(Self.witnessedLog)
            } else {
                current = try Row.fetchOne(db, sql: "SELECT * FROM witnessed_log WHERE origin = ? AND log_key = ?",
                                           arguments: [checkpoint.origin, key]).map(Self.witnessedLog)
            }
            guard current == expected else {
                throw StoreError(.conflict, "the witness state of \(checkpoint.origin) changed while cosigning; retry")
            }
            let values: StatementArguments = [key, peer, checkpoint.size, Data(checkpoint.rootHash), note, now, checkpoint.origin]
            if current?.logKey == nil, current != nil {
                try db.execute(sql: """
                    UPDATE witnessed_log SET log_key = ?, peer = ?, size = ?, root = ?, note = ?, updated_at = ?
                    WHERE origin = ? AND log_key IS NULL
                    """, arguments: values)
            } else {
                try db.execute(sql: """
                    INSERT INTO witnessed_log (log_key, peer, size, root, note, updated_at, origin) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (origin, log_key) DO UPDATE SET peer = excluded.peer, size = excluded.size, root = excluded.root,
                        note = excluded.note, updated_at = excluded.updated_at
                    """, arguments: values)
            }
        }
    }

    private static func witnessedLog(_ row: Row) throws -> WitnessedLog {
        let root: Data = try row.decode(forColumn: "root")
        let key: Data? = row["log_key"]
        return WitnessedLog(origin: try row.decode(forColumn: "origin"), logKey: key.map(Array.init), peer: try row.decode(forColumn: "peer"),
                            size: try row.decode(forColumn: "size"), root: Array(root), note: try row.decode(forColumn: "note"))
    }
}
