#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few POSIX file operations export bundles need, each turning a failed
/// call into an ``AuditError`` that names the file and the system's reason.
///
/// Plain POSIX rather than Foundation keeps `LiaisonAudit` free of Foundation
/// and gives exact control over modes, exclusive creation, bounded reads and
/// `fsync`.
enum BundleFileSystem {
    /// Mode of every file a bundle writer creates: the owner's only. A bundle names
    /// peers, packages, markings, addresses and local users; whoever exports it
    /// decides whom to hand it to.
    static let fileMode: mode_t = 0o600
    /// Mode of the directories a bundle writer creates.
    static let directoryMode: mode_t = 0o700

    /// Opens a regular file for reading. Anything else (a directory, a FIFO
    /// that would block forever, a device) is refused.
    static func openRegularFile(_ path: String) throws -> Int32 {
        // O_NONBLOCK keeps a FIFO from blocking the open; it does nothing to regular files.
        let fd = try openFile(path, flags: O_RDONLY | O_NONBLOCK)
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            _ = close(fd)
            throw AuditError(.malformedBundle, "\(path) is not a regular file; it is not part of a Liaison audit bundle")
        }
        return fd
    }

    /// Reads a whole regular file, refusing one larger than `limit` bytes.
    static func readAll(_ path: String, limit: Int) throws -> [UInt8] {
        let fd = try openRegularFile(path)
        defer { _ = close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = try chunk.withUnsafeMutableBytes { try readChunk(fd, into: $0, path: path) }
            if count == 0 { return bytes }
            guard bytes.count + count <= limit else {
                throw AuditError(
                    .malformedBundle,
                    "\(path) is larger than the \(limit) bytes such a file may have; it is not part of a Liaison audit bundle"
                )
            }
            bytes += chunk[..<count]
        }
    }

    /// Opens an existing file; `O_CLOEXEC` is always added.
    static func openFile(_ path: String, flags: Int32) throws -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            let reason = lastError()
            throw AuditError(.bundleIO, "cannot open \(path) (\(reason)); check that the bundle is complete and readable")
        }
    }

    /// Creates a new file with ``fileMode`` for writing; fails if it exists.
    static func createExclusive(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fileMode)
        guard fd >= 0 else {
            throw ioError("create", path)
        }
        // The umask may have cleared bits of the mode asked for.
        guard fchmod(fd, fileMode) == 0 else {
            let error = ioError("set the mode of", path)
            _ = close(fd)
            throw error
        }
        return fd
    }

    /// Reads up to `buffer.count` bytes into raw memory; 0 at end of file.
    static func readChunk(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String) throws -> Int {
        while true {
            let count = read(fd, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw ioError("read", path)
        }
    }

    /// Writes all of `bytes`, retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let count = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path)
            }
            offset += count
        }
    }

    /// Flushes a file's data to stable storage.
    static func syncFile(_ fd: Int32, path: String) throws {
        guard fsync(fd) == 0 else { throw ioError("sync", path) }
    }

    /// Flushes a directory, so that entries created or renamed in it survive a crash.
    static func syncDirectory(_ path: String) throws {
        let fd = try openFile(path, flags: O_RDONLY | O_DIRECTORY)
        defer { _ = close(fd) }
        try syncFile(fd, path: path)
    }

    /// Creates a new file holding `bytes`, synced, with ``fileMode``.
    static func writeNewFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = try createExclusive(path)
        defer { _ = close(fd) }
        try bytes.withUnsafeBytes { try writeAll(fd, $0, path: path) }
        try syncFile(fd, path: path)
    }

    /// Renames a file, replacing any file at `to`.
    static func renameFile(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else { throw ioError("rename \(from) to", to) }
    }

    /// Creates a directory with ``directoryMode``; an existing empty directory
    /// is accepted, anything else at `path` is refused.
    static func makeEmptyDirectory(_ path: String) throws {
        if mkdir(path, directoryMode) == 0 {
            guard chmod(path, directoryMode) == 0 else { throw ioError("set the mode of", path) }
            return
        }
        guard errno == EEXIST else { throw ioError("create the directory", path) }
        try refuseUnlessEmptyOrAbsent(path)
    }

    /// Refuses `path` as a place to create a bundle in, unless nothing is there or it
    /// is an empty directory.
    static func refuseUnlessEmptyOrAbsent(_ path: String) throws {
        guard exists(path) else { return }
        guard isDirectory(path) else {
            throw AuditError(.bundleExists, "\(path) exists and is not a directory; choose a new directory for the export")
        }
        guard try entries(of: path).isEmpty else {
            throw AuditError(
                .bundleExists,
                "\(path) is not empty; export into a new or empty directory so that no earlier bundle is overwritten"
            )
        }
    }

    /// The names in a directory, without `.` and `..`, sorted.
    static func entries(of path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw ioError("list", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private static func ioError(_ action: String, _ path: String) -> AuditError {
        AuditError(.bundleIO, "cannot \(action) \(path) (\(lastError())); check the path, its permissions and free space")
    }

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
