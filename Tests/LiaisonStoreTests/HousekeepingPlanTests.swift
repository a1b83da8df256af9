import GRDB
@testable import LiaisonStore
import Testing

/// The looks the daemon takes once a second whatever its load (the expiry sweep,
/// the queue gauge, the peers with due work) go through an index to the rows they
/// are about: none scans every delivery ever made, nor joins every queued one with
/// its package. SQLite's own query plans say so; a plan, unlike a timing, does not
/// depend on the machine.
@Suite("Once-a-second looks go through their indexes")
struct HousekeepingPlanTests {
    /// The plan's steps for `sql` with `arguments` (`EXPLAIN QUERY PLAN`'s details).
    private static func plan(_ sql: String, _ arguments: StatementArguments = [], _ store: NodeStore) async throws -> [String] {
        try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] as String }
        }
    }

    /// A step that walks a whole table or index (`SCAN delivery`, `SCAN d`), as
    /// opposed to `SCAN CONSTANT ROW` (the `SELECT EXISTS` around a look).
    private static func scansATable(_ step: String) -> Bool {
        step.hasPrefix("SCAN ") && step != "SCAN CONSTANT ROW"
    }

    @Test("the expiry sweep's look and its update search the index of queued deliveries with an expiry")
    func expirySweep() async throws {
        let store = try StoreFixture().store
        for (sql, arguments) in [(NodeStore.hasExpiredSQL, [0] as StatementArguments), (NodeStore.expireSQL, [0, 1] as StatementArguments)] {
            let steps = try await Self.plan(sql, arguments, store)
            #expect(steps.contains { $0.hasPrefix("SEARCH ") && $0.contains("delivery_expiring") }, "\(steps)")
            // Taken in the index's order (expiry, then queueing), nothing sorted, no package read.
            #expect(!steps.contains { Self.scansATable($0) || $0.contains("outbox_package") || $0.contains("TEMP B-TREE") }, "\(steps)")
        }
    }

    @Test("the queue gauge and the looks for due work read deliveries only, through the due indexes")
    func queueLooks() async throws {
        let store = try StoreFixture().store
        for (sql, arguments, index) in [(NodeStore.openDeliveryCountSQL, [] as StatementArguments, "delivery_due (state=?)"),
                                        (NodeStore.duePeersSQL, ["now": 0] as StatementArguments, "delivery_due (state=? AND next_attempt<?)"),
                                        (NodeStore.hasDueSQL, ["peer": "bob", "now": 0] as StatementArguments, "delivery_peer_due (peer=? AND state=? AND next_attempt<?)")] {
            let steps = try await Self.plan(sql, arguments, store)
            #expect(steps.contains { $0.contains(index) }, "\(sql): \(steps)")
            #expect(!steps.contains { Self.scansATable($0) || $0.contains("outbox_package") }, "\(sql): \(steps)")
        }
    }
}
