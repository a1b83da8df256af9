import Foundation
import LiaisonCore

/// Package files in the inbox directory that no inbox row names. A received
/// package's file is moved into the inbox before its row is committed; if that
/// commit fails, or the move is not made durable, the file is left behind with
/// nothing pointing to it. So may a `liaison.db` restored from a backup leave the
/// files of packages received since — packages whose senders hold receipts.
/// They are therefore never deleted: at start, before any transfer can be under
/// way, they are moved aside into `inbox/orphans/`, where `liaison package open`
/// still opens them (they are sealed to this node), and the log says so.
enum InboxOrphans {
    /// The directory inside the inbox that orphans are moved to.
    static let directoryName = "orphans"

    /// Moves every `*.lpkg` file in `directory` that is named like a package and that
    /// no inbox row names (`known`: the rows' file names, not whole paths, so a home
    /// moved elsewhere loses nothing) into `directory/orphans/`; other files are left
    /// alone. A file that cannot be moved (a full disk, which is how most orphans come
    /// about) stays where it is, named in `unmoved`: setting files aside never stops
    /// the daemon from starting. Returns how many files and bytes were moved.
    static func setAside(directory: String, known: Set<String>, unmoved: (String, String) -> Void = { _, _ in }) -> (files: Int, bytes: UInt64) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return (0, 0) }
        let aside = directory + "/" + directoryName
        var moved = (files: 0, bytes: UInt64(0))
        for name in names where name.hasSuffix(".lpkg") && !known.contains(name) {
            // `<sender prefix>-<id>.lpkg`, or `<id>.lpkg` from before files were named per sender.
            let stem = name.dropLast(".lpkg".count)
            guard (try? PackageID(parsing: String(stem.split(separator: "-").last ?? stem))) != nil else { continue }
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            do {
                try FileManager.default.createDirectory(atPath: aside, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                unmoved(name, "\(error)")
                continue
            }
            guard rename(path, aside + "/" + name) == 0 else {
                unmoved(name, String(cString: strerror(errno)))
                continue
            }
            moved.files += 1
            moved.bytes += UInt64(max(0, info.st_size))
        }
        if moved.files > 0 {
            try? AtomicOutputFile.syncDirectory(aside)
            try? AtomicOutputFile.syncDirectory(directory)
        }
        return moved
    }
}
