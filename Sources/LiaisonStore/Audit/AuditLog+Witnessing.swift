import Foundation
import GRDB
import LiaisonAudit

/// What this node, as a witness, last cosigned of a peer's log.
public struct WitnessedLog: Sendable, Hashable {
    /// The peer's log origin.
    public let origin: String
    /// The peer (fingerprint).
    public let peer: String
    /// The size and root it cosigned last.
    public let size: Int
    public let root: [UInt8]
    /// The checkpoint note as received.
    public let note: String
}

extension AuditLog {
    /// The newest checkpoint of `origin` this node cosigned, if any.
    public func witnessedLog(origin: String) throws -> WitnessedLog? {
        try read("read the witness state of \(origin)") { db in try Self.witnessedLog(db, origin: origin) }
    }

    /// Every log this node witnesses.
    public func witnessedLogs() throws -> [WitnessedLog] {
        try read("read the witness state") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM witnessed_log ORDER BY origin").map(Self.witnessedLog)
        }
    }

    /// What this node cosigned of the logs of the node whose first log is `family`
    /// (`liaison/<fingerprint>`): that one and those it began after it
    /// (`liaison/<fingerprint>/<label>`), the one begun last at the end.
    public func witnessedLogs(family: String) throws -> [WitnessedLog] {
        try read("read the witness state of \(family)") { db in try Self.witnessedLogs(db, family: family) }
    }

    /// Every log this node witnesses, by the origin of its node's first log
    /// (``NodeLogNames/family(of:)``), each node's logs as ``witnessedLogs(family:)`` gives them.
    public func witnessedLogsByFamily() throws -> [String: [WitnessedLog]] {
        Dictionary(grouping: try witnessedLogs(), by: { NodeLogNames.family(of: $0.origin) })
            .reduce(into: [:]) { result, group in result[group.key] = Self.newestLast(group.value, family: group.key) }
    }

    private static func witnessedLogs(_ db: Database, family: String) throws -> [WitnessedLog] {
        newestLast(try Row.fetchAll(db, sql: "SELECT * FROM witnessed_log WHERE origin = ? OR substr(origin, 1, ?) = ?",
                                    arguments: [family, family.utf8.count + 1, family + "/"]).map(Self.witnessedLog), family: family)
    }

    /// `logs` that are `family`'s (its first log's origin, or a later log's), the one begun last at the end.
    private static func newestLast(_ logs: [WitnessedLog], family: String) -> [WitnessedLog] {
        let labelled = logs.compactMap { log in NodeLogNames.label(of: log.origin, family: family).map { (label: $0, log: log) } }
        return labelled.sorted { NodeLogNames.isLater($1.label, than: $0.label) }.map(\.log)
    }

    /// Records that this node cosigned `checkpoint` of `peer`'s log, provided the
    /// stored state is still `expected` (nil: never witnessed). The schema refuses
    /// to move a witnessed log backwards.
    ///
    /// Throws ``StoreError/Code/conflict`` if another cosigning moved the state on
    /// in the meantime: the caller then re-reads and checks consistency again.
    /// `newest`, when given, is the newest log of the node whose first log is
    /// `family`, as the caller judged the checkpoint against it: any change to it
    /// meanwhile (a later log that closes this one, the newest grown) is a conflict too.
    public func recordWitnessed(_ checkpoint: Checkpoint, note: String, peer: String, expected: WitnessedLog?,
                                newest: (family: String, log: WitnessedLog?)? = nil, now: Int64) throws {
        try write("record the witnessed checkpoint of \(checkpoint.origin)") { db in
            let current = try Self.witnessedLog(db, origin: checkpoint.origin)
            guard current == expected else {
                throw StoreError(.conflict, "the witness state of \(checkpoint.origin) changed while cosigning; retry")
            }
            if let newest, try Self.witnessedLogs(db, family: newest.family).last != newest.log {
                throw StoreError(.conflict, "another log of \(newest.family) was cosigned while cosigning \(checkpoint.origin); retry")
            }
            try db.execute(sql: """
                INSERT INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (origin) DO UPDATE SET peer = excluded.peer, size = excluded.size, root = excluded.root,
                    note = excluded.note, updated_at = excluded.updated_at
                """, arguments: [checkpoint.origin, peer, checkpoint.size, Data(checkpoint.rootHash), note, now])
        }
    }

    private static func witnessedLog(_ db: Database, origin: String) throws -> WitnessedLog? {
        try Row.fetchOne(db, sql: "SELECT * FROM witnessed_log WHERE origin = ?", arguments: [origin]).map(witnessedLog)
    }

    private static func witnessedLog(_ row: Row) throws -> WitnessedLog {
        let root: Data = try row.decode(forColumn: "root")
        return WitnessedLog(origin: try row.decode(forColumn: "origin"), peer: try row.decode(forColumn: "peer"),
                            size: try row.decode(forColumn: "size"), root: Array(root), note: try row.decode(forColumn: "note"))
    }
}
