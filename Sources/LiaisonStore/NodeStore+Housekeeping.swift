import GRDB
import LiaisonAudit

/// The looks the daemon's scheduler takes every second or on every wake-up,
/// whatever its load: the peers with due work, the expired deliveries, the size
/// of the queue. Each goes through an index to the rows it is about, so none
/// grows with the history, and only the gauge grows with the queue
/// (`HousekeepingPlanTests` holds the plans).
extension NodeStore {
    /// The peers that have at least one delivery due at `now`, so the scheduler can
    /// hand each peer's queue to one sender. It reads every due delivery (not those
    /// waiting out a backoff, nor their packages): the
    /// scheduler uses it once a second (it also finds peers no longer in the
    /// keyring), and ``hasDueDeliveries(peer:now:)`` on every wake-up.
    public func duePeers(now: Int64) throws -> [String] {
        try readStatement("list peers with due deliveries") { db in
            try String.fetchAll(try db.cachedStatement(sql: Self.duePeersSQL), arguments: ["now": now])
        }
    }

    /// Whether `peer` has a delivery due at `now` whose package has not expired: an
    /// indexed look at that peer's queue, cheap however long the queues are (the
    /// scheduler asks on every wake-up).
    public func hasDueDeliveries(peer: String, now: Int64) throws -> Bool {
        try readStatement("look for deliveries due to \(peer)") { db in
            try Bool.fetchOne(try db.cachedStatement(sql: Self.hasDueSQL), arguments: ["peer": peer, "now": now]) ?? false
        }
    }

    /// The peers with a due delivery (``dueWhere``): the due range of `delivery_due`.
    static let duePeersSQL = "SELECT DISTINCT peer FROM delivery d WHERE \(dueWhere)"
    /// Whether `:peer` has a due delivery: the due range of `delivery_peer_due` for that peer.
    static let hasDueSQL = "SELECT EXISTS (SELECT 1 FROM delivery d WHERE d.peer = :peer AND \(dueWhere))"

    /// Whether some queued delivery's package has expired at `now`: a read, so the
    /// expiry sweep commits (and journals) only when there is something to expire.
    public func hasExpiredDue(now: Int64) throws -> Bool {
        try readStatement("look for expired deliveries") { db in
            try Bool.fetchOne(try db.cachedStatement(sql: Self.hasExpiredSQL), arguments: [now]) ?? false
        }
    }

    /// Moves queued deliveries whose package expired at `now` to `expired`, at most
    /// `limit` (those that expired first, first), and returns them. `auditing` gives the
    /// audit events recording those it expired, journaled in the same commit
    /// (``AuditJournal``): a crash cannot leave an expired delivery without its
    /// entry. A call that returns `limit` deliveries may have left more.
    @discardableResult
    public func expireDue(now: Int64, limit: Int = AuditLog.maximumBatch,
                          auditing events: (@Sendable ([Delivery]) -> [AuditEvent])? = nil) async throws -> [Delivery] {
        precondition(limit > 0 && (events == nil || limit <= AuditLog.maximumBatch), "expire 1 to AuditLog.maximumBatch deliveries at a time")
        return try await commit("expire deliveries", auditingResult: events) { db in
            try Row.fetchAll(try db.cachedStatement(sql: Self.expireSQL), arguments: [now, limit]).map(Delivery.init(row:))
                .sorted { ($0.packageID, $0.peer) < ($1.packageID, $1.peer) }
        }
    }

    /// The queued deliveries whose package expired at `?`, through the
    /// `delivery_expiring` index of queued deliveries with an expiry: a look at the
    /// expired ones alone, however long the queues. Named, because SQLite's planner
    /// (without statistics) would rather walk every queued delivery in `delivery_due`.
    static let expiredFromWhere = """
        FROM delivery INDEXED BY delivery_expiring WHERE state = 'queued' AND package_expires IS NOT NULL AND package_expires <= ?
        """
    /// Whether any queued delivery has expired at `?`.
    static let hasExpiredSQL = "SELECT EXISTS (SELECT 1 \(expiredFromWhere))"
    /// Expires at most `?` (the second argument) of those, the first to expire first, returning them.
    static let expireSQL = """
        UPDATE delivery SET state = 'expired'
        WHERE rowid IN (SELECT rowid \(expiredFromWhere) ORDER BY package_expires, rowid LIMIT ?)
        RETURNING \(Delivery.columns)
        """

    /// How many deliveries are open (queued or sending): a walk over the open
    /// ones in the `delivery_due` index, not over every delivery ever made as
    /// ``counts()`` is. It still grows with the queue (a million take about 40 ms),
    /// so the daemon's queue gauge reads it every 10 s.
    public func openDeliveryCount() throws -> Int {
        try readStatement("count the open deliveries") { db in
            try Int.fetchOne(try db.cachedStatement(sql: Self.openDeliveryCountSQL)) ?? 0
        }
    }

    /// The open deliveries' count: the `queued` and `sending` ranges of `delivery_due`.
    static let openDeliveryCountSQL = "SELECT count(*) FROM delivery WHERE state IN ('queued', 'sending')"
}
