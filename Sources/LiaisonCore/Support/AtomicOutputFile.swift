#if canImport(Glibc)
import Glibc
#endif

/// A file that appears at its final path only once it is complete: bytes go to
/// a private temporary file beside it, which is fsynced and put in place on
/// ``commit()`` and removed if the writer is abandoned. Used wherever "write
/// nothing unless everything verifies" must hold.
///
/// Unless told to overwrite, it never replaces anything: an existing `path` is
/// refused when the writer is made (before any work is done), and one that
/// appears meanwhile makes ``commit()`` fail rather than be replaced.
public final class AtomicOutputFile: ByteSink {
    /// The final path.
    public let path: String
    private let temporaryPath: String
    private let overwrite: Bool
    private var stream: FileDescriptorStream
    private var writeBehind = WriteBehind()
    private var committed = false
    /// The temporary file, tracked so that an interrupted process removes it.
    private let tracked: InterruptCleanup.Registration

    /// Starts writing towards `path`: creates the temporary file beside it now, so
    /// an unwritable directory fails here. Refuses an existing `path` (a symbolic
    /// link included, even one that points nowhere) unless `overwrite`.
    public init(path: String, overwrite: Bool = false, mode: mode_t = 0o600) throws {
        var status = stat()
        if !overwrite, lstat(path, &status) == 0 { throw Self.alreadyExists(path) }
        var template = Array((path + ".partial-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Self.cannotCreate(path, errno) }
        fchmod(fd, mode)
        self.path = path
        self.overwrite = overwrite
        self.temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        self.stream = FileDescriptorStream(descriptor: fd)
        self.tracked = InterruptCleanup.register(temporaryPath)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!committed, "write after commit")
        try stream.write(bytes)
        writeBehind.wrote(bytes.count, to: stream.descriptor)
    }

    /// Makes the file durable and visible at ``path``. If it throws, the temporary
    /// file is gone and — unless overwriting — nothing is left at ``path``.
    public func commit() throws {
        precondition(!committed, "commit twice")
        guard fsync(stream.descriptor) == 0 else {
            throw CoreError(.io, "cannot sync \(path): \(String(cString: strerror(errno)))")
        }
        close(stream.descriptor)
        committed = true
        try placeTemporaryFile()
        // The new name is only durable once the directory entry is on disk.
        do {
            try Self.syncDirectory(Self.directory(of: path))
        } catch {
            // A file this writer created is not left behind half-committed.
            if !overwrite { unlink(path) }
            throw error
        }
    }

    /// Gives the temporary file its final name: `rename` when overwriting, else a
    /// hard link, which (unlike `rename`) fails on any existing entry, a symbolic
    /// link included, instead of replacing it. On a file system without hard links
    /// (FAT on removable media, some network file systems) it looks for an existing
    /// entry and renames, as it did before. The temporary name is gone afterwards,
    /// whether it worked or not.
    private func placeTemporaryFile() throws {
        var placed = overwrite ? rename(temporaryPath, path) : link(temporaryPath, path)
        var failure = errno
        if !overwrite, placed != 0, failure == EPERM || failure == EOPNOTSUPP || failure == ENOTSUP {
            var status = stat()
            if lstat(path, &status) == 0 {
                failure = EEXIST
            } else {
                placed = rename(temporaryPath, path)
                failure = errno
            }
        }
        if placed != 0 || !overwrite { unlink(temporaryPath) }
        InterruptCleanup.remove(tracked)
        guard placed == 0 else {
            if failure == EEXIST { throw Self.alreadyExists(path) }
            throw CoreError(.io, "cannot move the output into place at \(path): \(String(cString: strerror(failure)))")
        }
    }

    /// Why nothing can be written at `path`, said for the directory it names.
    private static func cannotCreate(_ path: String, _ reason: Int32) -> CoreError {
        let directory = path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        switch reason {
        case ENOENT, ENOTDIR:
            return CoreError(.inputUnreadable, "cannot write \(path): the directory \(directory) does not exist; create it, or choose another --out")
        case EACCES, EPERM, EROFS:
            return CoreError(.io, "cannot write \(path): the directory \(directory) is not writable here (\(String(cString: strerror(reason)))); choose another --out")
        default:
            return CoreError(.io, "cannot create a temporary file beside \(path): \(String(cString: strerror(reason)))")
        }
    }

    private static func alreadyExists(_ path: String) -> CoreError {
        CoreError(.invalidArgument, "\(path) already exists; choose another --out or remove it first")
    }

    deinit {
        if !committed {
            close(stream.descriptor)
            unlink(temporaryPath)
            InterruptCleanup.remove(tracked)
        }
    }
}

extension AtomicOutputFile {
    /// Renames `from` over `to` and fsyncs the directory, so the rename survives a crash.
    public static func renameDurably(_ from: String, to: String) throws {
        guard rename(from, to) == 0 else {
            throw CoreError(.io, "cannot move \(from) into place at \(to): \(String(cString: strerror(errno)))")
        }
        try syncDirectory(directory(of: to))
    }

    /// fsyncs `directory`, making the renames and new entries in it durable.
    public static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0, fsync(fd) == 0 else {
            if fd >= 0 { close(fd) }
            throw CoreError(.io, "cannot sync the directory \(directory): \(String(cString: strerror(errno)))")
        }
        close(fd)
    }

    /// The directory holding `path`.
    static func directory(of path: String) -> String {
        let slash = path.lastIndex(of: "/")
        return slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    /// Writes `bytes` to `path` atomically (replacing an existing file), with `mode`.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws {
        let file = try AtomicOutputFile(path: path, overwrite: true, mode: mode)
        try bytes.withUnsafeBytes { try file.write($0) }
        try file.commit()
    }
}
