import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport

/// A store in a fresh temporary directory, plus builders for its values.
struct StoreFixture {
    /// A fixed "now" (2026-11-26T00:00:00Z), matching `PackageFixture.created`.
    static let now: Int64 = 1_795_651_200

    /// Every migration a store has once opened, in order: written out here, so that
    /// adding one is a deliberate change to this list too.
    static let migrations = ["v1", "v2-inline-packages", "v3-receipt-outranks-expiry", "v4-audit-journal", "v5-inbox-keyed-by-sender",
                             "v6-delivery-recipient", "v7-listings-in-arrival-order", "v8-package-paths-in-home",
                             "v9-volume-by-sender-key", "v10-delivery-knows-its-expiry",
                             "v11-outbox-files-pruned"]

    let directory = TemporaryDirectory(prefix: "liaison-store")
    let store: NodeStore

    init() throws {
        store = try NodeStore(path: directory.file(NodeStore.fileName))
    }

    /// The database file.
    var path: String { directory.file(NodeStore.fileName) }

    /// Another `NodeStore` on the same file, as after a daemon restart.
    func reopen() throws -> NodeStore { try NodeStore(path: path) }

    /// A database at `path` with the migrations up to `last` applied, as the
    /// release that stopped there left it (foreign keys on, as the store has them).
    static func database(at path: String, migratedUpTo last: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try Schema.migrator.migrate(queue, upTo: last)
        return queue
    }

    /// A second, raw SQLite connection to the same file (foreign keys on, as
    /// GRDB's default), for what an operator with `sqlite3` could do.
    func rawConnection() throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Package id number `n` (`000…0n` in hex).
    static func packageID(_ n: Int) throws -> PackageID {
        let hex = String(n, radix: 16)
        return try PackageID(parsing: String(repeating: "0", count: 32 - hex.count) + hex)
    }

    /// An outbox package numbered `n`.
    static func package(_ n: Int, created: Int64 = now, expires: Int64? = nil) throws -> OutboxPackage {
        OutboxPackage(id: try packageID(n), path: "/var/lib/liaison/outbox/\(n).lpkg", size: Int64(1000 + n),
                      created: created, expires: expires, tlp: .amber,
                      markings: "TLP:AMBER · RESTRICTED · REL TO NATO", sha256: String(repeating: "ab", count: 32))
    }

    /// A fresh node fingerprint.
    static func fingerprint(_ name: String = "peer") throws -> NodeFingerprint {
        NodeFingerprint(identity: try TestNode(name).secrets.identity.publicKey)
    }

    /// A receipt for package `n` from `peer`.
    static func receipt(_ n: Int, peer: String, signedBy: NodeFingerprint, at: Int64) throws -> StoredReceipt {
        StoredReceipt(packageID: try packageID(n), peer: peer, signedBy: signedBy, receivedAt: at,
                      body: Array("receipt body \(n) \(peer)".utf8), signature: [UInt8](repeating: UInt8(n & 0xFF), count: 64))
    }

    /// An inbox entry for package `n` from `sender`.
    static func inboxEntry(_ n: Int, sender: NodeFingerprint, receivedAt: Int64 = now, path: String? = nil) throws -> InboxEntry {
        InboxEntry(id: try packageID(n), sender: "alice", senderFingerprint: sender, senderKey: sender,
                   path: path ?? "/var/lib/liaison/inbox/\(n).lpkg", size: 4096, receivedAt: receivedAt,
                   tlp: .amberStrict, classification: "RESTRICTED", markings: "TLP:AMBER+STRICT · RESTRICTED",
                   contentType: "application/pdf", created: now - 60, expires: now + 86_400,
                   receiptBody: Array("my receipt \(n)".utf8), receiptSignature: [UInt8](repeating: 7, count: 64))
    }

    /// `package` as a current store reads it back when an older Liaison wrote its row
    /// with a whole path in the database in `directory`: migration v8 names its file
    /// in that home's outbox.
    static func migrated(_ package: OutboxPackage, in directory: TemporaryDirectory) -> OutboxPackage {
        var package = package
        package.path = package.path.map { directory.path + "/outbox/" + ($0.split(separator: "/").last.map(String.init) ?? $0) }
        return package
    }

    /// `entry` as a current store reads it back when an older Liaison wrote its row
    /// with a whole path: its file in the home's inbox.
    static func migrated(_ entry: InboxEntry, in directory: TemporaryDirectory) -> InboxEntry {
        var entry = entry
        entry.path = entry.path.map { directory.path + "/inbox/" + ($0.split(separator: "/").last.map(String.init) ?? $0) }
        return entry
    }
}
