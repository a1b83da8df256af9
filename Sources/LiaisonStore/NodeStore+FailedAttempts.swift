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
}
