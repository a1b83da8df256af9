import Foundation
import GRDB
import LiaisonCore

/// What the CLI reads from `liaison.db` beside a stopped daemon: no database is
/// created where there is none, and none is migrated or written (the daemon does
/// that when it starts, as the node's user), so a node that never ran keeps no
/// store. (Reading a database in WAL mode, SQLite may still make its `-wal` and
/// `-shm` files beside it, as any reader does.) A database a newer Liaison wrote
/// is refused rather than misread.
extension NodeStore {
    /// What the store holds about one peer: its session state and its deliveries by state.
    public struct PeerSummary: Sendable, Equatable {
        /// The peer's handshake and traffic record, if it ever had one.
        public var state: PeerState?
        /// Deliveries to the peer's name, by state.
        public var deliveries: [DeliveryState: Int]
    }

    /// The summary of the peer called `peer` (known by `fingerprint`) in the store at
    /// `path`; empty if there is no store yet.
    public static func peerSummary(path: String, peer: String, fingerprint: NodeFingerprint) throws -> PeerSummary {
        try readIfPresent(path, "read what \(path) holds about \(peer)") { db in
            let state = try Row.fetchOne(db, sql: "SELECT * FROM peer_state WHERE fingerprint = ?", arguments: [fingerprint.description])
                .map(PeerState.init(row:))
            var deliveries: [DeliveryState: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM delivery WHERE peer = ? GROUP BY state", arguments: [peer]) {
                guard let kind = DeliveryState(rawValue: try row.value("state", in: "delivery")) else {
                    throw StoreError.corruptRow("delivery", "an unknown state")
                }
                deliveries[kind] = try row.value("n", in: "delivery")
            }
            return PeerSummary(state: state, deliveries: deliveries)
        } ?? PeerSummary(state: nil, deliveries: [:])
    }

    /// What a copy of the store (a backup's snapshot) needs beside it: the package
    /// files its rows name, as they name them (a home-relative `outbox/…` or
    /// `inbox/…`, or an older release's whole path), and how many outbox packages
    /// and inbox entries it holds. Pruned packages name no file.
    public struct NamedFiles: Sendable, Equatable {
        public var files: [String]
        public var outboxPackages: Int
        public var inboxEntries: Int
        /// A store that does not exist yet names nothing.
        public static let none = NamedFiles(files: [], outboxPackages: 0, inboxEntries: 0)
    }

    /// The package files and counts of the store at `path` (``NamedFiles``).
    public static func namedFiles(path: String) throws -> NamedFiles {
        try readIfPresent(path, "read which package files \(path) names") { db in
            // A store from before pruning (v11) may still be open under an older daemon.
            let prunable = try db.columns(in: "outbox_package").contains { $0.name == "pruned_at" }
            let outbox = try String.fetchAll(db, sql: "SELECT path FROM outbox_package WHERE path IS NOT NULL"
                                                 + (prunable ? " AND pruned_at IS NULL" : ""))
            let inbox = try String.fetchAll(db, sql: "SELECT path FROM inbox WHERE path IS NOT NULL")
            return NamedFiles(files: outbox + inbox,
                              outboxPackages: try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox_package") ?? 0,
                              inboxEntries: try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox") ?? 0)
        } ?? .none
    }

    /// Runs `body` on a read-only connection to the store at `path`, unmigrated; `nil`
    /// if there is no file there. `what` names the read in an error.
    static func readIfPresent<T>(_ path: String, _ what: String, _ body: (Database) throws -> T) throws -> T? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try queue.read { db in
                if try Schema.migrator.hasBeenSuperseded(db) {
                    throw StoreError(.unsupportedSchema, "the database \(path) was written by a newer version of Liaison; upgrade Liaison to read it")
                }
                return try body(db)
            }
        } catch {
            throw StoreError.wrapping(error, while: what)
        }
    }
}
