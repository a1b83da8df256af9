import Foundation

/// How `liaison.db` names the file of a package too large for its row: relative to
/// the node's home (`outbox/<id>.lpkg`, `inbox/<sender>-<id>.lpkg`), the directory
/// that holds the database. A home copied, moved or restored under another path
/// therefore still finds its files. Callers see whole paths: a path under the home
/// is shortened when a row is written and completed when it is read; any other
/// path is kept as given.
struct PackageFilePaths: Sendable {
    /// The directory holding the database, with its trailing `/`; empty for a
    /// database opened by a bare file name (whose paths are then kept as given).
    private let prefix: String

    /// The paths of the store whose database file is `databasePath`.
    init(databasePath: String) {
        // Cut as written, not normalized: callers name files under the home as they
        // name the home itself.
        prefix = databasePath.lastIndex(of: "/").map { String(databasePath[...$0]) } ?? ""
    }

    /// What a row holds for the file at `path`.
    func stored(_ path: String?) -> String? {
        guard let path, !prefix.isEmpty, path.hasPrefix(prefix), path.count > prefix.count else { return path }
        return String(path.dropFirst(prefix.count))
    }

    /// The file a row's `stored` path names.
    func resolved(_ stored: String?) -> String? {
        guard let stored, !stored.hasPrefix("/"), !prefix.isEmpty else { return stored }
        return prefix + stored
    }

    /// The home-relative form of a whole path written before paths were relative
    /// (migration `v8`): a file directly in an `outbox` or `inbox` directory, where
    /// the daemon keeps them, is that directory's in this home; any other path has
    /// none and is kept.
    static func relativeForm(ofLegacy path: String) -> String? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard path.hasPrefix("/"), components.count >= 2, ["outbox", "inbox"].contains(components[components.count - 2]) else {
            return nil
        }
        return components.suffix(2).joined(separator: "/")
    }
}
