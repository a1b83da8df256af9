import GRDB
import LiaisonCore

extension NodeStore {
    /// Records failed attempts for many deliveries to `peer` in one commit: each that
    /// is still open (`queued` or `sending`) goes back to `queued` with `attempts` + 1,
    /// due again at its own `nextAttempt`; one no longer open is left as it is.
    /// Returns how many were recorded.
    ///
    /// Not made durable on its own (the next durable commit takes it along): a
    /// failure lost to a power cut only brings the retry forward.
    @discardableResult
    public func recordFailures(_ failures: [(packageID: PackageID, nextAttempt: Int64)], peer: String, error: String) async throws -> Int {
        guard !failures.isEmpty else { return 0 }
        let reason = Self.bounded(error)
        return try await commit("record \(failures.count) failed attempts to \(peer)", durable: false) { db in
            let statement = try db.cachedStatement(sql: """
                UPDATE delivery SET state = 'queued', attempts = attempts + 1, next_attempt = ?, last_error = ?
                WHERE package_id = ? AND peer = ? AND state IN ('queued', 'sending')
                """)
            var recorded = 0
            for failure in failures {
                try statement.execute(arguments: [failure.nextAttempt, reason, failure.packageID.description, peer])
                recorded += db.changesCount
            }
            return recorded
        }
    }

    /// Makes due at `now` every queued delivery to `peer` that waits out a backoff
    /// recorded with an error starting with `prefix` (the peer could not be reached),
    /// and returns how many. For when the peer is reached again: its whole backlog
    /// goes on that session instead of trickling in, each package at its own timer.
    ///
    /// Usually there is none, and that costs one indexed read, no commit. Not made
    /// durable on its own: lost to a power cut, the packages wait out their backoff.
    @discardableResult
    public func bringForward(peer: String, failedWith prefix: String, now: Int64) async throws -> Int {
        let arguments: StatementArguments = ["peer": peer, "now": now, "prefix": prefix]
        let postponed = try read("look for \(peer)'s postponed deliveries") { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM delivery WHERE \(Self.postponedWhere))", arguments: arguments) ?? false
        }
        guard postponed else { return 0 }
        return try await commit("bring \(peer)'s postponed deliveries forward", durable: false) { db in
            try db.execute(sql: "UPDATE delivery SET next_attempt = :now WHERE \(Self.postponedWhere)", arguments: arguments)
            return db.changesCount
        }
    }

    /// Queued deliveries to `:peer` not due before `:now` whose last error starts with
    /// `:prefix`: a range of `delivery_peer_due`.
    static let postponedWhere = """
        peer = :peer AND state = 'queued' AND next_attempt > :now AND substr(last_error, 1, length(:prefix)) = :prefix
        """

    /// The newest error among `peer`'s queued deliveries that were tried, if any:
    /// why its queue waits (a refusal for now, an unreachable peer). An indexed
    /// range of `delivery_peer_due`, newest retry first.
    /// When the first of `peer`'s queued deliveries is next tried (Unix seconds), or
    /// nil if none is queued. A time past means it is due now.
    public func nextAttempt(peer: String) throws -> Int64? {
        try read("read when \(peer)'s queue is tried next") { db in
            try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt) FROM delivery WHERE peer = ? AND state = 'queued'", arguments: [peer])
        }
    }

    public func queuedError(peer: String) throws -> String? {
        try read("read why \(peer)'s queue waits") { db in
            try String.fetchOne(db, sql: """
                SELECT last_error FROM delivery
                WHERE peer = ? AND state = 'queued' AND last_error IS NOT NULL
                ORDER BY next_attempt DESC LIMIT 1
                """, arguments: [peer])
        }
    }
}
