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

    /// The whole id a package id as an operator typed it stands for (``PackageIDText``):
    /// a whole id as it is; a shortened one, the one package of this node's (only
    /// received ones, with `receivedOnly`) whose id starts so. Throws
    /// ``CoreError/Code/invalidArgument`` for text that is neither or starts several,
    /// ``CoreError/Code/unknownPackage`` for a start no package has.
    public func packageID(typed text: String, receivedOnly: Bool = false) throws -> PackageID {
        let prefix: String
        switch try PackageIDText.parse(text) {
        case .whole(let id): return id
        case .prefix(let start): prefix = start
        }
        let matches = try packageIDs(startingWith: prefix, receivedOnly: receivedOnly)
        guard matches.count == 1 else {
            throw CoreError(matches.isEmpty ? .unknownPackage : .invalidArgument, matches.isEmpty
                            ? "no package this node \(receivedOnly ? "received" : "sent or received") has an id starting with \(prefix); check it against `liaison \(receivedOnly ? "inbox" : "outbox") list`\(receivedOnly ? "" : " or `liaison inbox list`")"
                            : "\(prefix) starts more than one package's id (\(matches.joined(separator: ", ")), …); give more of it")
        }
        return try PackageID(parsing: matches[0])
    }
}
