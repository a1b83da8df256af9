import Foundation
import GRDB
import LiaisonCore

/// The inbox: every package this node ever accepted. A package takes effect
/// once: its row is written the first time and never changed or removed.
extension NodeStore {
    /// Records an accepted package.
    ///
    /// - Returns: `true` if the package is new and was recorded; `false` if a package
    ///   with this id was already accepted — the stored row is left exactly as it
    ///   was, and the caller must not act on the copy (but may resend the stored receipt).
    public func recordReceived(_ entry: InboxEntry) throws -> Bool {
        let id = entry.id.description
        return try write("record received package \(id)") { db in
            // The schema's trigger also ignores duplicates, whatever the statement.
            try db.execute(sql: """
                INSERT INTO inbox (id, sender, sender_fingerprint, path, size, received_at, tlp, classification,
                                   markings, content_type, created, expires, receipt_body, receipt_signature)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO NOTHING
                """, arguments: [id, entry.sender, entry.senderFingerprint.description, entry.path, entry.size,
                                 entry.receivedAt, entry.tlp.label, entry.classification, entry.markings,
                                 entry.contentType, entry.created, entry.expires,
                                 Data(entry.receiptBody), Data(entry.receiptSignature)])
            return db.changesCount == 1
        }
    }

    /// The accepted package with this id, or `nil` if it was never accepted.
    public func inboxEntry(id: PackageID) throws -> InboxEntry? {
        try read("read received package \(id)") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM inbox WHERE id = ?", arguments: [id.description]).map(InboxEntry.init(row:))
        }
    }

    /// Bytes received from the sender `fingerprint` since `since` (for per-peer daily limits).
    public func receivedBytes(from fingerprint: NodeFingerprint, since: Int64) throws -> Int64 {
        try read("sum what a peer sent") { db in
            try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM inbox WHERE sender_fingerprint = ? AND received_at >= ?",
                               arguments: [fingerprint.description, since]) ?? 0
        }
    }

    /// A page of the inbox, most recently received first.
    public func inbox(limit: Int, offset: Int = 0) throws -> [InboxEntry] {
        Self.checkPage(limit: limit, offset: offset)
        return try read("list the inbox") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM inbox ORDER BY received_at DESC, id LIMIT ? OFFSET ?",
                             arguments: [limit, offset]).map(InboxEntry.init(row:))
        }
    }
}
