import Foundation
import GRDB
import LiaisonAudit
import LiaisonCore

/// The inbox: every package this node ever accepted. A package takes effect
/// once: its row is written the first time and never changed or removed.
extension NodeStore {
    /// Records an accepted package: kept in a file (`entry.path`) or, with `body`,
    /// in the database (`entry.path` is then `nil`).
    ///
    /// - Returns: `true` if the package is new and was recorded; `false` if a package
    ///   with this id was already accepted from this sender (``InboxEntry/senderKey``) —
    ///   the stored row is left exactly as it was, and the caller must not act on the
    ///   copy (but may resend the stored receipt).
    ///
    /// `events` are the audit events recording it, journaled in the same commit
    /// (``AuditJournal``) if the package is new; a copy of one already accepted
    /// took no effect and records nothing. So the caller need not look the id up
    /// first: the check is the insert itself.
    public func recordReceived(_ entry: InboxEntry, body: [UInt8]? = nil, auditing events: [AuditEvent] = []) async throws -> Bool {
        guard (entry.path == nil) != (body == nil), body.map({ Int64($0.count) == entry.size && $0.count <= Self.maximumInlineBytes }) ?? true else {
            throw StoreError(.invalidArgument, "package \(entry.id) must be stored in exactly one place: a file or the database")
        }
        let id = entry.id.description, files = self.files
        return try await commit("record received package \(id)", auditing: events, journalingIf: { $0 }) { db in
            try Self.insert(entry, body: body, files: files, db)
            return db.changesCount == 1
        }
    }

    private static func insert(_ entry: InboxEntry, body: [UInt8]?, files: PackageFilePaths, _ db: Database) throws {
        let id = entry.id.description
        // The schema's trigger also ignores duplicates, whatever the statement.
        try db.cachedStatement(sql: """
            INSERT INTO inbox (id, sender, sender_fingerprint, sender_key, path, body, size, received_at, tlp, classification,
                               markings, content_type, created, expires, receipt_body, receipt_signature)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id, sender_key) DO NOTHING
            """).execute(arguments: [id, entry.sender, entry.senderFingerprint.description, entry.senderKey.description, files.stored(entry.path),
                                     body.map { Data($0) }, entry.size,
                             entry.receivedAt, entry.tlp.label, entry.classification, entry.markings,
                             entry.contentType, entry.created, entry.expires,
                             Data(entry.receiptBody), Data(entry.receiptSignature)])
    }

    /// The file names (last path component) of every received package kept in a
    /// file rather than in its row: what the inbox directory should hold.
    public func inboxFileNames() throws -> Set<String> {
        try read("read the inbox's file names") { db in
            var names = Set<String>()
            let paths = try String.fetchCursor(db, sql: "SELECT path FROM inbox WHERE path IS NOT NULL")
            while let path = try paths.next() { names.insert(String(path.split(separator: "/").last ?? Substring(path))) }
            return names
        }
    }

    /// Every accepted package with this id, oldest first: one, or none if it was never
    /// accepted; more only if several senders used the id (an attempt to pre-empt
    /// another's package: ids are random).
    public func inboxEntries(id: PackageID) throws -> [InboxEntry] {
        try readStatement("read received package \(id)") { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT \(InboxEntry.columns) FROM inbox WHERE id = ? ORDER BY received_at, rowid"),
                             arguments: [id.description]).map { try InboxEntry(row: $0, files: files) }
        }
    }

    /// The accepted package with this id — from the peer named `sender`, if given —
    /// or `nil` if there is none.
    ///
    /// - Throws: ``StoreError`` with ``StoreError/Code/invalidArgument`` if several
    ///   senders used the id and `sender` does not say whose is meant.
    ///
    /// `sender` is the peer's name, or the fingerprint the package came from (all of
    /// it, as `inbox list --json` shows it): two peers of one name — one removed, the
    /// other imported under its name — are told apart by fingerprint.
    public func inboxEntry(id: PackageID, from sender: String? = nil) throws -> InboxEntry? {
        let entries = try inboxEntries(id: id).filter {
            sender == nil || $0.sender == sender || $0.senderFingerprint.description == sender || $0.senderKey.description == sender
        }
        guard entries.count <= 1 else {
            let senders = entries.map { "\($0.sender) \($0.senderFingerprint)" }.sorted().joined(separator: ", ")
            throw StoreError(.invalidArgument, "\(entries.count) received packages carry the id \(id) (from \(senders)): "
                             + "ids are random, so one of them copied the other's; name the sender with --from NAME, or --from FINGERPRINT")
        }
        return entries.first
    }

    /// The sealed bytes of the accepted package `entry`, if kept in the database;
    /// `nil` if it is kept in a file (or unknown).
    public func inboxBody(_ entry: InboxEntry) throws -> [UInt8]? {
        try readStatement("read the sealed bytes of received package \(entry.id)") { db in
            try Data.fetchOne(try db.cachedStatement(sql: "SELECT body FROM inbox WHERE id = ? AND sender_key = ?"),
                              arguments: [entry.id.description, entry.senderKey.description]).map { [UInt8]($0) }
        }
    }

    /// Bytes received from the sender whose lifelong fingerprint is `senderKey`
    /// (``InboxEntry/senderKey``, whatever keys it sent under) since `since`, per
    /// minute (Unix time divided by 60): what a per-peer daily limit starts from (the
    /// daemon then adds what it stores, rather than summing the day again for every
    /// package). Rows from before schema v5 are filed under the key they arrived under.
    public func receivedBytesByMinute(fromSenderKey senderKey: NodeFingerprint, since: Int64) throws -> [Int64: Int64] {
        try readStatement("sum what a peer sent") { db in
            var minutes: [Int64: Int64] = [:]
            let rows = try Row.fetchCursor(try db.cachedStatement(sql: """
                SELECT received_at / 60, SUM(size) FROM inbox WHERE sender_key = ? AND received_at >= ? GROUP BY received_at / 60
                """), arguments: [senderKey.description, since])
            while let row = try rows.next() { minutes[row[0]] = row[1] }
            return minutes
        }
    }

    /// A page of the inbox, most recently received first (within a second, the last
    /// stored first).
    public func inbox(limit: Int, offset: Int = 0) throws -> [InboxEntry] {
        Self.checkPage(limit: limit, offset: offset)
        return try read("list the inbox") { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT \(InboxEntry.columns) FROM inbox ORDER BY received_at DESC, rowid DESC LIMIT ? OFFSET ?"),
                             arguments: [limit, offset]).map { try InboxEntry(row: $0, files: files) }
        }
    }
}
