import Foundation
import GRDB
import LiaisonAudit
import LiaisonCore

/// The outbox: packages this node sends, one delivery per recipient, and the
/// receipts that close them.
extension NodeStore {
    /// Adds a sealed package and one queued delivery per recipient, atomically.
    ///
    /// - Parameters:
    ///   - body: the sealed bytes, for a package kept in the database (its `path` is
    ///     `nil`); `nil` for a package in a file (its `path` names it).
    ///   - recipients: peer names; at least one, each once.
    ///   - firstAttempt: when the deliveries become due (Unix seconds); `nil` means at
    ///     the package's creation time, i.e. at once.
    /// - Throws: ``StoreError`` — ``StoreError/Code/invalidArgument`` for no, empty or repeated
    ///   recipients or a package that is in neither or both of a file and `body`,
    ///   ``StoreError/Code/duplicate`` if the package is already in the outbox.
    public func enqueue(_ package: OutboxPackage, body: [UInt8]? = nil, recipients: [String], firstAttempt: Int64? = nil) async throws {
        try await enqueue([QueuedPackage(package: package, body: body, recipients: recipients)], firstAttempt: firstAttempt)
    }

    /// Adds several sealed packages, each as ``enqueue(_:body:recipients:firstAttempt:)``
    /// does, in one transaction: all of them, or none. `events`, the audit events
    /// recording it, are journaled in that transaction (``AuditJournal``).
    /// `whenDurable` runs on the committing thread as soon as they are durable, before
    /// this returns (to wake a sender at once; it must not block).
    public func enqueue(_ packages: [QueuedPackage], firstAttempt: Int64? = nil, auditing events: [AuditEvent] = [],
                        whenDurable: (@Sendable () -> Void)? = nil) async throws {
        guard !packages.isEmpty else { return }
        for queued in packages { try Self.check(queued) }
        guard Set(packages.map(\.package.id)).count == packages.count else {
            throw StoreError(.invalidArgument, "a package is named more than once in one batch")
        }
        let files = self.files
        let what = packages.count == 1 ? "enqueue package \(packages[0].package.id)" : "enqueue \(packages.count) packages"
        try await commit(what, auditing: events, whenDurable: whenDurable) { db in
            for queued in packages { try Self.insert(queued, firstAttempt: firstAttempt, files: files, db) }
        }
    }

    private static func check(_ queued: QueuedPackage) throws {
        let package = queued.package, body = queued.body, recipients = queued.recipients
        guard (package.path == nil) != (body == nil), body.map({ Int64($0.count) == package.size && $0.count <= Self.maximumInlineBytes }) ?? true else {
            throw StoreError(.invalidArgument, "package \(package.id) must be stored in exactly one place: a file or the database")
        }
        guard !recipients.isEmpty else {
            throw StoreError(.invalidArgument, "package \(package.id) has no recipients; name at least one peer")
        }
        guard !recipients.contains("") else {
            throw StoreError(.invalidArgument, "package \(package.id) names an empty recipient")
        }
        guard Set(recipients).count == recipients.count else {
            throw StoreError(.invalidArgument, "package \(package.id) names a recipient more than once")
        }
    }

    private static func insert(_ queued: QueuedPackage, firstAttempt: Int64?, files: PackageFilePaths, _ db: Database) throws {
        let package = queued.package
        let id = package.id.description
        if try Bool.fetchOne(try db.cachedStatement(sql: "SELECT 1 FROM outbox_package WHERE id = ?"), arguments: [id]) == true {
            throw StoreError(.duplicate, "package \(id) is already in the outbox")
        }
        try db.cachedStatement(sql: """
            INSERT INTO outbox_package (id, path, body, size, created, expires, tlp, markings, sha)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, files.stored(package.path), queued.body.map { Data($0) }, package.size, package.created, package.expires,
                             package.tlp.label, package.markings, package.sha256])
        let statement = try db.cachedStatement(sql: """
            INSERT INTO delivery (package_id, peer, state, attempts, next_attempt, recipient, package_expires) VALUES (?, ?, 'queued', 0, ?, ?, ?)
            """)
        for delivery in queued.recipients.map({ queued.delivery(to: $0, firstAttempt: firstAttempt) }) {
            try statement.execute(arguments: [id, delivery.peer, delivery.nextAttempt, queued.recipientNodes[delivery.peer]?.description,
                                              package.expires])
        }
    }

    /// The outbox package with this id, or `nil`.
    public func outboxPackage(id: PackageID) throws -> OutboxPackage? {
        try readStatement("read package \(id)") { db in
            try Row.fetchOne(try db.cachedStatement(sql: "SELECT \(OutboxPackage.columns) FROM outbox_package WHERE id = ?"), arguments: [id.description])
                .map { try OutboxPackage(row: $0, files: files) }
        }
    }

    /// The sealed bytes of an outbox package kept in the database, or `nil` if it
    /// is kept in a file (or unknown).
    public func outboxBody(id: PackageID) throws -> [UInt8]? {
        try readStatement("read the sealed bytes of package \(id)") { db in
            try Data.fetchOne(try db.cachedStatement(sql: "SELECT body FROM outbox_package WHERE id = ?"), arguments: [id.description]).map { [UInt8]($0) }
        }
    }

    /// Queued deliveries whose next attempt is due at `now` and whose package has
    /// not expired, most overdue first (then in queueing order); at most `limit`.
    public func dueDeliveries(now: Int64, limit: Int) throws -> [Delivery] {
        try due(peer: nil, now: now, limit: limit)
    }

    /// Like ``dueDeliveries(now:limit:)``, for one peer (e.g. while a session to it is open).
    public func dueDeliveries(peer: String, now: Int64, limit: Int = 100) throws -> [Delivery] {
        try due(peer: peer, now: now, limit: limit)
    }

    /// The deliveries of one package, by peer (empty for an unknown package).
    public func deliveries(packageID: PackageID) throws -> [Delivery] {
        try readStatement("read the deliveries of package \(packageID)") { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT \(Delivery.columns) FROM delivery WHERE package_id = ? ORDER BY peer"),
                             arguments: [packageID.description]).map(Delivery.init(row:))
        }
    }

    /// What a sender to `peer` takes next, in one read: its due deliveries other
    /// than those of `excluded` packages (answered and being recorded), in the
    /// order of ``dueDeliveries(peer:now:limit:)``, each with its package and the
    /// sealed bytes kept in the database; at most `limit`.
    public func duePackages(peer: String, now: Int64, excluding excluded: Set<PackageID>, limit: Int,
                            node: NodeFingerprint? = nil) throws -> [DuePackage] {
        Self.checkPage(limit: limit)
        // The excluded ids as one JSON array: one cached statement whatever their number.
        let excludedIDs = "[" + excluded.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        return try readStatement("read the packages due to \(peer)") { db in
            try Row.fetchAll(try db.cachedStatement(sql: Self.duePackagesSQL),
                             arguments: ["now": now, "peer": peer, "limit": limit, "excluded": excludedIDs,
                                         "node": node?.description]).map { row in
                DuePackage(delivery: try Delivery(row: row), package: try OutboxPackage(row: row, files: files), body: (row["body"] as Data?).map { [UInt8]($0) })
            }
        }
    }

    /// Due deliveries, most overdue first and then in the order they were queued
    /// (rowid): the order of the `delivery_due` and `delivery_peer_due` indexes, so
    /// the query walks one index and sorts nothing (a sender asks after every batch).
    private func due(peer: String?, now: Int64, limit: Int) throws -> [Delivery] {
        Self.checkPage(limit: limit)
        return try readStatement("list due deliveries") { db in
            if let peer {
                return try Row.fetchAll(try db.cachedStatement(sql: Self.dueToPeerSQL), arguments: ["now": now, "peer": peer, "limit": limit])
                    .map(Delivery.init(row:))
            }
            return try Row.fetchAll(try db.cachedStatement(sql: Self.dueSQL), arguments: ["now": now, "limit": limit]).map(Delivery.init(row:))
        }
    }

    /// A due delivery's conditions and order, shared by the queries below and the
    /// scheduler's looks (NodeStore+Housekeeping.swift): the order of the
    /// `delivery_due` and `delivery_peer_due` indexes. The conditions read the
    /// delivery alone (it carries its package's expiry), so only a query that
    /// returns the packages joins them. (No column name is in both tables, so the
    /// rows' own column lists serve unqualified.)
    static let dueWhere = "d.state = 'queued' AND d.next_attempt <= :now AND (d.package_expires IS NULL OR d.package_expires > :now)"
    private static let dueOrder = "ORDER BY d.next_attempt, d.rowid LIMIT :limit"

    private static let dueSQL = "SELECT \(Delivery.columns) FROM delivery d WHERE \(dueWhere) \(dueOrder)"
    private static let dueToPeerSQL = "SELECT \(Delivery.columns) FROM delivery d WHERE d.peer = :peer AND \(dueWhere) \(dueOrder)"
    private static let duePackagesSQL = """
        SELECT \(Delivery.columns), \(OutboxPackage.columns), p.body FROM delivery d JOIN outbox_package p ON p.id = d.package_id
        WHERE d.peer = :peer AND \(dueWhere) AND d.package_id NOT IN (SELECT value FROM json_each(:excluded))
          AND (d.recipient IS NULL OR :node IS NULL OR d.recipient = :node) \(dueOrder)
        """

    /// Claims a queued delivery for an attempt (`queued` → `sending`).
    ///
    /// - Returns: `false` if the delivery is no longer queued (another sender claimed it,
    ///   it expired, or it was delivered); the caller then leaves it alone.
    /// - Throws: ``StoreError/Code/notFound`` if there is no such delivery.
    @discardableResult
    public func markSending(packageID: PackageID, peer: String) async throws -> Bool {
        try await commit("start sending package \(packageID) to \(peer)") { db in
            _ = try Self.currentState(db, packageID, peer)
            try db.cachedStatement(sql: "UPDATE delivery SET state = 'sending' WHERE package_id = ? AND peer = ? AND state = 'queued'").execute(
                           arguments: [packageID.description, peer])
            return db.changesCount == 1
        }
    }

    /// Records a failed attempt: `attempts` + 1, back to `queued`, due again at `nextAttempt`.
    ///
    /// - Throws: ``StoreError/Code/notFound`` if there is no such delivery,
    ///   ``StoreError/Code/conflict`` if it is no longer queued or sending.
    public func recordFailure(packageID: PackageID, peer: String, error: String, nextAttempt: Int64) async throws {
        try await commit("record a failed attempt for package \(packageID) to \(peer)") { db in
            try Self.requireOpen(db, packageID, peer)
            try db.cachedStatement(sql: """
                UPDATE delivery SET state = 'queued', attempts = attempts + 1, next_attempt = ?, last_error = ?
                WHERE package_id = ? AND peer = ?
                """).execute(arguments: [nextAttempt, Self.bounded(error), packageID.description, peer])
        }
    }

    /// Gives up on a delivery for good (`failed`), e.g. when the recipient refused the package.
    ///
    /// - Throws: ``StoreError/Code/notFound`` if there is no such delivery,
    ///   ``StoreError/Code/conflict`` if it is no longer queued or sending.
    public func markFailed(packageID: PackageID, peer: String, error: String) async throws {
        try await commit("mark package \(packageID) to \(peer) as failed") { db in
            try Self.requireOpen(db, packageID, peer)
            try db.cachedStatement(sql: "UPDATE delivery SET state = 'failed', last_error = ? WHERE package_id = ? AND peer = ?").execute(
                           arguments: [Self.bounded(error), packageID.description, peer])
        }
    }

    /// The packages with an open (queued or sending) delivery to the peer called
    /// `peer`, due or not, at most `limit` of them; with `notFor`, only those queued
    /// for another node than that one (an earlier holder of the name).
    public func openDeliveries(peer: String, notFor node: NodeFingerprint? = nil, limit: Int) throws -> [PackageID] {
        try readStatement("list the open deliveries to \(peer)") { db in
            try String.fetchAll(try db.cachedStatement(sql: """
                SELECT package_id FROM delivery
                WHERE peer = :peer AND state IN ('queued', 'sending') AND (:node IS NULL OR (recipient IS NOT NULL AND recipient <> :node))
                ORDER BY package_id LIMIT :limit
                """), arguments: ["peer": peer, "node": node?.description, "limit": limit]).map { try PackageID(parsing: $0) }
        }
    }

    /// How many open (queued or sending) deliveries to the peer called `peer` the store
    /// at `path` holds, read without creating, migrating or writing anything (for the
    /// CLI working beside a stopped daemon); 0 if there is no store yet.
    public static func openDeliveryCount(path: String, peer: String) throws -> Int {
        try readIfPresent(path, "read the queue of \(peer) in \(path)") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery WHERE peer = ? AND state IN ('queued', 'sending')", arguments: [peer]) ?? 0
        } ?? 0
    }

    /// The peer names with at least one open (queued or sending) delivery.
    public func peersWithOpenDeliveries() throws -> [String] {
        try readStatement("list the peers with open deliveries") { db in
            try String.fetchAll(try db.cachedStatement(sql: "SELECT DISTINCT peer FROM delivery WHERE state IN ('queued', 'sending')"))
        }
    }

    /// Fails the delivery of `packageID` to `peer` if it is still open, with
    /// `events` journaled in the same commit only if it was; one that closed
    /// meanwhile is left as it is and records nothing.
    ///
    /// - Returns: whether the delivery was failed.
    @discardableResult
    public func failIfOpen(packageID: PackageID, peer: String, error: String, auditing events: [AuditEvent]) async throws -> Bool {
        let id = packageID.description
        let message = Self.bounded(error)
        return try await commit("fail the open delivery of \(id) to \(peer)", auditing: events, journalingIf: { $0 }) { db in
            try db.cachedStatement(sql: """
                UPDATE delivery SET state = 'failed', last_error = ? WHERE package_id = ? AND peer = ? AND state IN ('queued', 'sending')
                """).execute(arguments: [message, id, peer])
            return db.changesCount == 1
        }
    }

    /// Closes a delivery with the receipt its recipient returned: the delivery
    /// (`receipt.packageID` to `receipt.peer`) becomes `delivered` at `at` — this
    /// node's clock, or the receipt's time if `nil` — and the receipt is stored, in
    /// one transaction. The caller has verified the receipt.
    ///
    /// A delivery the expiry sweep closed meanwhile is delivered all the same: the
    /// receipt proves the recipient accepted the package (which it does only
    /// before the package expires), so the store does not keep calling it expired.
    ///
    /// - Returns: `false` if the delivery was already delivered (the first receipt is kept).
    /// - Throws: ``StoreError/Code/notFound`` if there is no such delivery,
    ///   ``StoreError/Code/conflict`` if it failed (this node gave up on it).
    ///
    /// `events`, the audit events recording it, are journaled in the same commit
    /// (``AuditJournal``), whether it was delivered before or not.
    @discardableResult
    public func markDelivered(_ receipt: StoredReceipt, at: Int64? = nil, auditing events: [AuditEvent] = []) async throws -> Bool {
        try await markDelivered(packageID: receipt.packageID, peer: receipt.peer, receipt: receipt, at: at ?? receipt.receivedAt,
                                auditing: events)
    }

    /// Like ``markDelivered(_:at:)``, naming the delivery explicitly.
    ///
    /// - Throws: as ``markDelivered(_:at:)``, and ``StoreError/Code/invalidArgument`` if
    ///   `receipt` is for another package or peer.
    @discardableResult
    public func markDelivered(packageID: PackageID, peer: String, receipt: StoredReceipt, at: Int64,
                              auditing events: [AuditEvent] = []) async throws -> Bool {
        let id = packageID.description
        guard receipt.packageID == packageID, receipt.peer == peer else {
            throw StoreError(.invalidArgument, "the receipt for package \(receipt.packageID) from \(receipt.peer) does not belong to package \(id) to \(peer)")
        }
        return try await commit("record the receipt for package \(id) from \(peer)", auditing: events, durable: false) { db in
            switch try Self.currentState(db, packageID, peer) {
            case .delivered:
                return false
            case .failed:
                throw StoreError(.conflict, "package \(id) to \(peer) failed and is no longer being delivered; its receipt was not stored")
            case .queued, .sending, .expired:
                break
            }
            try db.cachedStatement(sql: """
                UPDATE delivery SET state = 'delivered', delivered_at = ?, last_error = NULL WHERE package_id = ? AND peer = ?
                """).execute(arguments: [at, id, peer])
            try db.cachedStatement(sql: """
                INSERT INTO receipt (package_id, peer, signed_by, received_at, signature, body) VALUES (?, ?, ?, ?, ?, ?)
                """).execute(arguments: [id, peer, receipt.signedBy.description, receipt.receivedAt,
                                 Data(receipt.signature), Data(receipt.body)])
            return true
        }
    }


    /// At daemon start: every `sending` delivery goes back to `queued` (its attempt
    /// was cut off by a stop or crash), keeping its due time so it is retried.
    ///
    /// - Returns: how many deliveries were reset.
    @discardableResult
    public func resetInterrupted() async throws -> Int {
        try await commit("reset interrupted deliveries") { db in
            try db.cachedStatement(sql: "UPDATE delivery SET state = 'queued' WHERE state = 'sending'").execute()
            return db.changesCount
        }
    }

    /// A page of the outbox, newest package first (within a second, the last queued
    /// first), each with its deliveries: every
    /// package, or only those with a delivery to `peer` and/or in one of `states`.
    public func outbox(limit: Int, offset: Int = 0, peer: String? = nil, states: [DeliveryState] = []) throws -> [OutboxEntry] {
        Self.checkPage(limit: limit, offset: offset)
        var conditions: [String] = [], arguments: [(any DatabaseValueConvertible)?] = []
        if let peer { conditions.append("peer = ?"); arguments.append(peer) }
        if !states.isEmpty {
            conditions.append("state IN (\(databaseQuestionMarks(count: states.count)))")
            arguments += states.map(\.rawValue)
        }
        let filter = conditions.isEmpty ? "" : "WHERE id IN (SELECT package_id FROM delivery WHERE \(conditions.joined(separator: " AND ")))"
        return try read("list the outbox") { db in
            let packages = try Row.fetchAll(try db.cachedStatement(sql: "SELECT \(OutboxPackage.columns) FROM outbox_package \(filter) ORDER BY created DESC, rowid DESC LIMIT ? OFFSET ?"),
                                            arguments: StatementArguments(arguments + [limit, offset])).map { try OutboxPackage(row: $0, files: files) }
            guard !packages.isEmpty else { return [] }
            let ids = packages.map(\.id.description)
            let placeholders = databaseQuestionMarks(count: ids.count)
            var deliveries: [PackageID: [Delivery]] = [:]
            for row in try Row.fetchAll(try db.cachedStatement(sql: """
                SELECT \(Delivery.columns) FROM delivery WHERE package_id IN (\(placeholders)) ORDER BY peer
                """), arguments: StatementArguments(ids)) {
                let delivery = try Delivery(row: row)
                deliveries[delivery.packageID, default: []].append(delivery)
            }
            return packages.map { OutboxEntry(package: $0, deliveries: deliveries[$0.id] ?? []) }
        }
    }

    /// The newest receipts first (within a second, the last stored first); at most
    /// `limit`, and with `peer` only those from that peer (walked newest first through
    /// the time index until `limit` are found).
    public func receipts(limit: Int, peer: String? = nil) throws -> [StoredReceipt] {
        Self.checkPage(limit: limit)
        return try read("list receipts") { db in
            guard let peer else {
                return try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM receipt ORDER BY received_at DESC, rowid DESC LIMIT ?"),
                                        arguments: [limit]).map(StoredReceipt.init(row:))
            }
            return try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM receipt WHERE peer = ? ORDER BY received_at DESC, rowid DESC LIMIT ?"),
                                    arguments: [peer, limit]).map(StoredReceipt.init(row:))
        }
    }

    /// The receipts for one package, one per recipient that returned one, by peer name.
    public func receipts(packageID: PackageID) throws -> [StoredReceipt] {
        try read("read the receipts for \(packageID)") { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM receipt WHERE package_id = ? ORDER BY peer"),
                             arguments: [packageID.description]).map(StoredReceipt.init(row:))
        }
    }

    /// Deliveries per recipient and state, for a per-peer status view (states with none are absent).
    public func deliveryCountsByPeer() throws -> [String: [DeliveryState: Int]] {
        try read("count deliveries per peer") { db in
            var counts: [String: [DeliveryState: Int]] = [:]
            for row in try Row.fetchAll(try db.cachedStatement(sql: "SELECT peer, state, count(*) AS n FROM delivery GROUP BY peer, state")) {
                guard let state = DeliveryState(rawValue: try row.value("state", in: "delivery")) else {
                    throw StoreError.corruptRow("delivery", "an unknown state")
                }
                counts[try row.value("peer", in: "delivery"), default: [:]][state] = try row.value("n", in: "delivery")
            }
            return counts
        }
    }

    // MARK: - Helpers

    /// The delivery's state, or ``StoreError/Code/notFound``.
    private static func currentState(_ db: Database, _ packageID: PackageID, _ peer: String) throws -> DeliveryState {
        guard let name = try String.fetchOne(try db.cachedStatement(sql: "SELECT state FROM delivery WHERE package_id = ? AND peer = ?"),
                                             arguments: [packageID.description, peer]) else {
            throw StoreError(.notFound, "there is no delivery of package \(packageID) to \(peer)")
        }
        guard let state = DeliveryState(rawValue: name) else { throw StoreError.corruptRow("delivery", "an unknown state") }
        return state
    }

    /// Throws unless the delivery exists and is still queued or sending.
    private static func requireOpen(_ db: Database, _ packageID: PackageID, _ peer: String) throws {
        let state = try currentState(db, packageID, peer)
        guard state == .queued || state == .sending else {
            throw StoreError(.conflict, "package \(packageID) to \(peer) is \(state), no longer being delivered")
        }
    }

    /// The packages this node queued whose markings carry `caveat` (a forward's origin
    /// caveat, `FWD/…`), with each peer they went or are going to (delivered, queued or
    /// being sent): what `forward` already did with a received package. Reads every
    /// outbox row's markings: for an operator's command, not a hot path.
    public func forwardsCarrying(caveat: String) throws -> [(packageID: PackageID, peer: String, state: DeliveryState)] {
        try read("look for earlier forwards") { db in
            try Row.fetchAll(db, sql: """
                SELECT d.package_id, d.peer, d.state FROM outbox_package p JOIN delivery d ON d.package_id = p.id
                WHERE instr(p.markings, ?) > 0 AND d.state IN ('queued', 'sending', 'delivered')
                """, arguments: [caveat]).compactMap { row in
                guard let id = try? PackageID(parsing: try row.value("package_id", in: "delivery")),
                      let state = DeliveryState(rawValue: try row.value("state", in: "delivery")) else { return nil }
                return (id, try row.value("peer", in: "delivery"), state)
            }
        }
    }
}
