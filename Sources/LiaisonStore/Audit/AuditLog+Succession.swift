import Foundation
import GRDB
import LiaisonAudit

/// Which of a node's logs a log file is: its first, or one begun after another
/// (`liaison audit new-log`, audit schema v6's `log_name`).
public struct LogSuccession: Sendable, Hashable {
    /// What the node's log key signed when the log began: its origin, the log it
    /// follows and how that one was closed, when.
    public let statement: LogSuccessionStatement
    /// The log key's signature over it.
    public let signature: [UInt8]

    public init(statement: LogSuccessionStatement, signature: [UInt8]) {
        self.statement = statement
        self.signature = signature
    }

    /// The label in the log's origin, `liaison/<fingerprint>/<label>`: the UTC time it
    /// began ("" if the origin carries none, which ``AuditLog/beginAsSuccessor(_:after:)`` refuses).
    public var label: String {
        let origin = statement.origin
        return NodeLogNames.family(of: origin) == origin ? "" : String(origin[origin.index(after: origin.lastIndex(of: "/")!)...])
    }

    /// The origin of the log it follows.
    public var succeeds: String { statement.succeeds }
    /// When it began (seconds since the epoch).
    public var begunAt: Int64 { statement.begunAt }
}

extension AuditLog {
    /// What this log follows, or nil if it is the node's first (or a file from
    /// before logs could follow one another).
    public func succession() throws -> LogSuccession? {
        try read("read the audit log's name") { db in
            guard try db.tableExists("log_name"),
                  let row = try Row.fetchOne(db, sql: """
                      SELECT origin, succeeds, succeeded_size, succeeded_root, begun_at, signature FROM log_name
                      """) else {
                return nil
            }
            let root: Data? = row[3], signature: Data = row[5]
            return LogSuccession(statement: LogSuccessionStatement(origin: row[0], succeeds: row[1], succeededSize: row[2],
                                                                   succeededRoot: root.map(Array.init), begunAt: row[4]),
                                 signature: Array(signature))
        }
    }

    /// Makes this empty log the successor of `previous` (nil if that one is lost):
    /// names it `succession`, and carries over what is not history but state —
    /// how far `previous` took each node store's journal (so the journal goes on
    /// where it stopped rather than being taken again) and what this node, as a
    /// witness, last cosigned of each peer's log (so its peers' logs are held to it
    /// still). Done in one commit, before any entry; a log that has entries or a
    /// name refuses.
    public func beginAsSuccessor(_ succession: LogSuccession, after previous: AuditLog?) throws {
        guard !succession.label.isEmpty else {
            throw StoreError(.invalidArgument, "\(succession.statement.origin) is not a later log's name (…/YYYYMMDDTHHMMSSZ)")
        }
        let (marks, witnessed) = try previous?.read("read the state to carry over") { db in
            (try Row.fetchAll(db, sql: "SELECT store, seq FROM journal_mark"),
             try Row.fetchAll(db, sql: "SELECT origin, peer, size, root, note, updated_at FROM witnessed_log"))
        } ?? ([], [])
        try write("name the new audit log") { db in
            guard try Self.size(db) == 0, try Int.fetchOne(db, sql: "SELECT count(*) FROM log_name") == 0 else {
                throw StoreError(.conflict, "\(path) already holds a log: a new one begins in an empty file")
            }
            let statement = succession.statement
            try db.execute(sql: """
                INSERT INTO log_name (one, origin, succeeds, succeeded_size, succeeded_root, begun_at, signature)
                VALUES (1, ?, ?, ?, ?, ?, ?)
                """, arguments: [statement.origin, statement.succeeds, statement.succeededSize,
                                 statement.succeededRoot.map { Data($0) }, statement.begunAt, Data(succession.signature)])
            for row in marks {
                try db.execute(sql: "INSERT INTO journal_mark (store, seq) VALUES (?, ?)", arguments: [row[0], row[1]])
            }
            for row in witnessed {
                try db.execute(sql: "INSERT INTO witnessed_log (origin, peer, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [row[0], row[1], row[2], row[3], row[4], row[5]])
            }
        }
    }
}

extension AuditLog {
    /// Takes the closed log file at `path` out of WAL mode (rollback journal), so
    /// it can be read, copied and verified on its own, with nothing beside it. No
    /// connection may hold it. A daemon that opens it again puts it back in WAL mode.
    public static func leaveWALMode(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(NodeStore.busyTimeoutSeconds)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let mode = try queue.writeWithoutTransaction { db in try String.fetchOne(db, sql: "PRAGMA journal_mode = DELETE") }
            try queue.close()
            guard mode == "delete" else { throw StoreError(.busy, "\(path) stayed in \(mode ?? "?") mode: another process has it open") }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrapping(error, while: "close the audit log \(path)", in: path)
        }
    }
}
