import Foundation
import LiaisonCore

/// Package files in the inbox directory that no inbox row names. A received
/// package's file is moved into the inbox before its row is committed; if that
/// commit fails, or the move is not made durable, the file is left behind with
/// nothing pointing to it. They are removed at start, before any transfer can be
/// under way (a file being received is never one of them then).
enum InboxOrphans {
    /// Removes every `*.lpkg` file in `directory` whose package id has no inbox row
    /// naming a file of that name (by name, not whole path: a home moved elsewhere
    /// loses nothing); files not named like a package are left alone.
    /// Returns how many files and bytes were removed.
    static func sweep(directory: String, rowsNaming: (PackageID) throws -> [String]) rethrows -> (files: Int, bytes: UInt64) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return (0, 0) }
        var removed = (files: 0, bytes: UInt64(0))
        for name in names where name.hasSuffix(".lpkg") {
            // `<sender prefix>-<id>.lpkg`, or `<id>.lpkg` from before files were named per sender.
            let stem = name.dropLast(".lpkg".count)
            guard let id = try? PackageID(parsing: String(stem.split(separator: "-").last ?? stem)) else { continue }
            let path = directory + "/" + name
            guard try !rowsNaming(id).contains(where: { $0 == name || $0.hasSuffix("/" + name) }) else { continue }
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, unlink(path) == 0 else { continue }
            removed.files += 1
            removed.bytes += UInt64(max(0, info.st_size))
        }
        return removed
    }
}
