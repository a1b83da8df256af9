import Foundation

/// How `liaison.db` names the file of a package too large for its row: relative to
/// the node's home (`outbox/<id>.lpkg`, `inbox/<sender>-<id>.lpkg`), the directory
/// that holds the database. A home copied, moved or restored under another path
/// therefore still finds its files. Callers see whole paths: a file in the home's
/// outbox or inbox is named from the home when a row is written, and the home is
/// put back in front when it is read; any other file is named by its whole path.
struct PackageFilePaths: Sendable {
    /// The directories that hold package files, in the home.
    static let directories = ["outbox", "inbox"]

    /// The directory holding the database, with its trailing `/`; empty for a
    /// database opened by a bare file name.
    private let prefix: String

    /// The paths of the store whose database file is `databasePath`.
    init(databasePath: String) {
        // Cut as written, not normalized: callers name files under the home as they
        // name the home itself.
        prefix = databasePath.lastIndex(of: "/").map { String(databasePath[...$0]) } ?? ""
    }

    /// What a row holds for the file at `path`.
    func stored(_ path: String?) -> String? {
        guard let path else { return nil }
        if !prefix.isEmpty, path.hasPrefix(prefix), Self.isHomeRelative(path.dropFirst(prefix.count)) {
            return String(path.dropFirst(prefix.count))
        }
        return path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The file a row's `stored` path names. A relative path is only ever
    /// `outbox/<name>` or `inbox/<name>`: anything else (`../`, say) was not written
    /// by Liaison, and is refused rather than followed. A whole path is taken as
    /// written (whoever can write the database can do worse).
    func resolved(_ stored: String?, in table: String) throws -> String? {
        guard let stored else { return nil }
        if stored.hasPrefix("/") { return stored }
        guard Self.isHomeRelative(Substring(stored)) else {
            throw StoreError.corruptRow(table, "a package file path that is neither whole nor in the home's outbox or inbox")
        }
        return prefix + stored
    }

    /// `outbox/<name>` or `inbox/<name>`, the name a plain file name.
    private static func isHomeRelative(_ path: Substring) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && directories.contains(String(parts[0])) && !["", ".", ".."].contains(parts[1])
    }

    /// The home-relative form of a path written before paths were relative
    /// (migration `v8`), whole or relative to where the daemon ran: a file directly
    /// in an `outbox` or `inbox` directory, where the daemon keeps them, is that
    /// directory's in this home; any other path has none and is kept.
    static func relativeForm(ofLegacy path: String) -> String? {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        guard components.count >= 2, directories.contains(String(components[components.count - 2])),
              !["", ".", ".."].contains(components[components.count - 1]) else {
            return nil
        }
        return components.suffix(2).joined(separator: "/")
    }
}
