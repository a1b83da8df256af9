import GRDB
import LiaisonCore

extension NodeStore {
    /// Ids of packages this node queued or received (only received, with
    /// `receivedOnly`) that start with `prefix` (lower-case hex), at most `limit`, in
    /// order: what a shortened id (as the audit table prints them) stands for. A
    /// range read on each table's key.
    public func packageIDs(startingWith prefix: String, limit: Int = 2, receivedOnly: Bool = false) throws -> [String] {
        precondition(!prefix.isEmpty && prefix.count < PackageFormat.packageIDByteCount * 2, "a prefix is shorter than an id")
        // Every id of 32 hex digits that starts with `prefix` sorts in [prefix, prefix + "g").
        let upper = prefix + "g"
        return try read("look up package ids by prefix") { db in
            var ids = Set<String>()
            for table in receivedOnly ? ["inbox"] : ["outbox_package", "inbox"] {
                ids.formUnion(try String.fetchAll(db, sql: "SELECT DISTINCT id FROM \(table) WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                                                  arguments: [prefix, upper, limit]))
            }
            return Array(ids.sorted().prefix(limit))
        }
    }
}
