import Foundation
import GRDB
import LiaisonCore

// Rows to values. The schema already guarantees types and shapes (STRICT,
// CHECK); these still throw rather than trap, in case the file was altered
// outside Liaison.

extension Row {
    func value<T: DatabaseValueConvertible & StatementColumnConvertible>(_ column: String, in table: String) throws -> T {
        do { return try decode(T.self, forColumn: column) } catch {
            throw StoreError.corruptRow(table, "an unreadable \(column)")
        }
    }

    func optional<T: DatabaseValueConvertible>(_ column: String, in table: String) throws -> T? {
        do { return try decode(T?.self, forColumn: column) } catch {
            throw StoreError.corruptRow(table, "an unreadable \(column)")
        }
    }

    func bytes(_ column: String, in table: String) throws -> [UInt8] {
        do { return Array(try decode(Data.self, forColumn: column)) } catch {
            throw StoreError.corruptRow(table, "an unreadable \(column)")
        }
    }

    func packageID(_ column: String, in table: String) throws -> PackageID {
        let text: String = try value(column, in: table)
        guard let id = try? PackageID(parsing: text) else { throw StoreError.corruptRow(table, "a malformed package id") }
        return id
    }

    func fingerprint(_ column: String, in table: String) throws -> NodeFingerprint {
        let text: String = try value(column, in: table)
        guard let fingerprint = try? NodeFingerprint(parsing: text) else {
            throw StoreError.corruptRow(table, "a malformed fingerprint")
        }
        return fingerprint
    }

    func tlp(_ column: String, in table: String) throws -> TrafficLightProtocol {
        let text: String = try value(column, in: table)
        guard let tlp = try? TrafficLightProtocol(parsing: text) else { throw StoreError.corruptRow(table, "an unknown TLP label") }
        return tlp
    }
}

extension OutboxPackage {
    /// The columns ``init(row:files:)`` reads (never the body, which may be large).
    static let columns = "id, path, size, created, expires, tlp, markings, sha, pruned_at"

    /// Reads a row; `files` completes the file's home-relative path.
    init(row: Row, files: PackageFilePaths) throws {
        let t = "outbox_package"
        self.init(id: try row.packageID("id", in: t), path: try files.resolved(try row.optional("path", in: t), in: t), size: try row.value("size", in: t),
                  created: try row.value("created", in: t), expires: try row.optional("expires", in: t),
                  tlp: try row.tlp("tlp", in: t), markings: try row.value("markings", in: t), sha256: try row.optional("sha", in: t),
                  prunedAt: try row.optional("pruned_at", in: t))
    }
}

extension Delivery {
    /// The columns ``init(row:)`` reads, for `SELECT` and `RETURNING` clauses.
    static let columns = "package_id, peer, state, attempts, next_attempt, last_error, delivered_at"

    init(row: Row) throws {
        let t = "delivery"
        let stateName: String = try row.value("state", in: t)
        guard let state = DeliveryState(rawValue: stateName) else { throw StoreError.corruptRow(t, "an unknown state") }
        self.init(packageID: try row.packageID("package_id", in: t), peer: try row.value("peer", in: t), state: state,
                  attempts: try row.value("attempts", in: t), nextAttempt: try row.value("next_attempt", in: t),
                  lastError: try row.optional("last_error", in: t), deliveredAt: try row.optional("delivered_at", in: t))
    }
}

extension StoredReceipt {
    init(row: Row) throws {
        let t = "receipt"
        self.init(packageID: try row.packageID("package_id", in: t), peer: try row.value("peer", in: t),
                  signedBy: try row.fingerprint("signed_by", in: t), receivedAt: try row.value("received_at", in: t),
                  body: try row.bytes("body", in: t), signature: try row.bytes("signature", in: t))
    }
}

extension InboxEntry {
    /// The columns ``init(row:files:)`` reads (never the body, which may be large).
    static let columns = """
        id, sender, sender_fingerprint, sender_key, path, size, received_at, tlp, classification, markings, content_type, created,
        expires, receipt_body, receipt_signature
        """

    /// Reads a row; `files` completes the file's home-relative path.
    init(row: Row, files: PackageFilePaths) throws {
        let t = "inbox"
        self.init(id: try row.packageID("id", in: t), sender: try row.value("sender", in: t),
                  senderFingerprint: try row.fingerprint("sender_fingerprint", in: t), senderKey: try row.fingerprint("sender_key", in: t),
                  path: try files.resolved(try row.optional("path", in: t), in: t),
                  size: try row.value("size", in: t), receivedAt: try row.value("received_at", in: t),
                  tlp: try row.tlp("tlp", in: t), classification: try row.value("classification", in: t),
                  markings: try row.value("markings", in: t), contentType: try row.value("content_type", in: t),
                  created: try row.value("created", in: t), expires: try row.optional("expires", in: t),
                  receiptBody: try row.bytes("receipt_body", in: t), receiptSignature: try row.bytes("receipt_signature", in: t))
    }
}

extension PeerState {
    init(row: Row) throws {
        let t = "peer_state"
        let timestamp: Int64? = try row.optional("last_handshake_timestamp", in: t)
        if let timestamp, timestamp < 0 { throw StoreError.corruptRow(t, "a negative handshake timestamp") }
        self.init(fingerprint: try row.fingerprint("fingerprint", in: t), lastHandshakeTimestamp: timestamp.map(UInt64.init),
                  lastHandshakeAt: try row.optional("last_handshake_at", in: t), lastError: try row.optional("last_error", in: t),
                  bytesSent: try row.value("bytes_sent", in: t), bytesReceived: try row.value("bytes_received", in: t))
    }
}
