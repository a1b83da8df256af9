import Foundation
import GRDB

/// A consistent copy of a live SQLite database (`liaison.db`, `audit.db`), taken
/// while the daemon writes to it: what `liaison backup` keeps.
///
/// Copying a database file and its `-wal` with `cp` while the daemon runs can
/// catch a checkpoint half way and yield a damaged copy. A snapshot is taken
/// through SQLite instead (`VACUUM INTO`, on a read-only connection): one read
/// transaction, so the copy holds exactly the commits made before it began,
/// without blocking the writer. The copy is compacted, in rollback-journal mode
/// (a daemon opening it puts it back in WAL mode, as it does any database), so
/// it is one file with nothing beside it, readable by its owner only, and
/// fsynced before it is reported written.
public enum DatabaseSnapshot {
    /// Writes a snapshot of the database at `source` to `destination`, which must
    /// not exist. Throws ``StoreError`` naming the file when either cannot be used.
    public static func write(from source: String, to destination: String) throws {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw StoreError(.invalidArgument, "\(destination) exists already; a snapshot is written to a new file")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "snapshot reader"
        configuration.busyMode = .timeout(NodeStore.busyTimeoutSeconds)
        do {
            let reader = try DatabaseQueue(path: source, configuration: configuration)
            try reader.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [destination]) }
            try reader.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw StoreError.wrapping(error, while: "snapshot \(source) into \(destination)", in: source)
        }
        // The owner's only, as the node's own files; SQLite made it by the umask.
        guard chmod(destination, 0o600) == 0 else {
            throw StoreError(.io, "cannot restrict \(destination) to its owner (\(String(cString: strerror(errno))))")
        }
        try syncFile(destination)
    }

    /// SQLite's own check of a snapshot's pages and indexes: nil when it is sound,
    /// else SQLite's first complaints.
    public static func problems(in path: String) throws -> String? {
        do {
            var configuration = Configuration()
            configuration.readonly = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            let lines = try queue.read { db in try String.fetchAll(db, sql: "PRAGMA quick_check(5)") }
            return lines == ["ok"] ? nil : lines.joined(separator: "; ")
        } catch {
            throw StoreError.wrapping(error, while: "check the snapshot \(path)", in: path)
        }
    }

    private static func syncFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            if descriptor >= 0 { close(descriptor) }
            throw StoreError(.io, "cannot make the snapshot \(path) durable (\(reason))")
        }
        close(descriptor)
    }
}
