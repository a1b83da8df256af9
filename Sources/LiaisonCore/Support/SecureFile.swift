#if canImport(Glibc)
import Glibc
#endif

/// File operations for private files (key files, decrypted outputs): created
/// 0600 with `O_EXCL`, read only when not a symlink and not readable by others.
public enum SecureFile {
    /// Creates `path` with mode 0600, writes `bytes`, fsyncs. Fails if it exists.
    public static func writeNew(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CoreError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var stream = FileDescriptorStream(descriptor: fd)
        try bytes.withUnsafeBytes { try stream.write($0) }
        guard fsync(fd) == 0 else { throw CoreError(.io, "cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    /// Reads a private file, refusing symlinks and group/other permissions with a
    /// message that says how to fix them.
    public static func readPrivate(_ path: String, maximumByteCount: Int) throws -> [UInt8] {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { throw CoreError(.keyFileMissing, "\(path) does not exist; create the node with `liaison init`") }
            throw CoreError(.io, "cannot inspect \(path): \(String(cString: strerror(errno)))")
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            throw CoreError(.keyFileSymlink, "\(path) is a symbolic link; key files must be regular files. Replace the link with the file itself")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw CoreError(.keyFileMalformed, "\(path) is not a regular file")
        }
        let loose = info.st_mode & 0o077
        guard loose == 0 else {
            throw CoreError(.keyFileInsecurePermissions,
                            "\(path) has mode \(String(info.st_mode & 0o777, radix: 8)), readable by others; run `chmod 600 \(path)` and keep it private")
        }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw CoreError(.io, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // What was opened is checked again: the path may have been swapped since the look above.
        var opened = stat()
        guard fstat(fd, &opened) == 0, opened.st_mode & S_IFMT == S_IFREG, opened.st_mode & 0o077 == 0,
              opened.st_dev == info.st_dev, opened.st_ino == info.st_ino else {
            throw CoreError(.keyFileInsecurePermissions, "\(path) changed while it was being opened; check who else writes to its directory, then retry")
        }
        var stream = FileDescriptorStream(descriptor: fd)
        var bytes = [UInt8](repeating: 0, count: maximumByteCount + 1)
        let n = try bytes.withUnsafeMutableBytes { try stream.readFully(into: $0) }
        return Array(bytes[0..<n])
    }
}
