#if canImport(Glibc)
import Glibc
#endif
import LiaisonCrypto

/// Where a key file's passphrase comes from, in order of precedence: an explicit
/// file (`--passphrase-file`), the `LIAISON_PASSPHRASE` environment variable, or
/// the systemd credentials directory (`$CREDENTIALS_DIRECTORY/liaison-passphrase`,
/// set by `LoadCredential=` in the unit).
///
/// The passphrase goes straight from the file or environment into secure memory;
/// it never passes through a Swift `String`.
public struct PassphraseSource: Sendable {
    /// Explicit passphrase file, if given.
    public var file: String?

    /// Name of the environment variable read.
    public static let environmentVariable = "LIAISON_PASSPHRASE"
    /// Name of the systemd credential read.
    public static let credentialName = "liaison-passphrase"
    /// Longest passphrase accepted.
    static let maximumByteCount = 4096

    /// A source that uses `file` if given, else the environment, else systemd.
    public init(file: String? = nil) { self.file = file }

    /// Reads the passphrase. Trailing newlines (from `echo` or editors) are removed.
    public func read() throws -> SecureBytes {
        if let file { return try Self.readFile(file) }
        if let value = getenv(Self.environmentVariable) {
            let count = strlen(value)
            guard count > 0 else {
                throw CoreError(.passphraseUnavailable, "\(Self.environmentVariable) is set but empty")
            }
            return Self.trimmed(UnsafeRawBufferPointer(start: value, count: count))
        }
        if let directory = getenv("CREDENTIALS_DIRECTORY") {
            return try Self.readCredential(in: String(cString: directory))
        }
        throw CoreError(.passphraseUnavailable,
                        "no passphrase: pass --passphrase-file FILE, set \(Self.environmentVariable), or provide the systemd credential \"\(Self.credentialName)\"")
    }

    /// Reads the systemd credential in `directory` (`$CREDENTIALS_DIRECTORY`). systemd
    /// writes it owned by root or the service's user, and may give the service's user
    /// access through an ACL, which `stat` shows as group bits (0440): only bits for
    /// others are refused here, because systemd's directory is private to the service.
    /// A directory that is not (the variable set by hand to some other place) gets the
    /// rule of an explicit passphrase file.
    static func readCredential(in directory: String) throws -> SecureBytes {
        var info = stat()
        let isPrivate = stat(directory, &info) == 0 && info.st_mode & 0o007 == 0
        return try readFile(directory + "/" + credentialName, isCredential: isPrivate)
    }

    /// Wipes `LIAISON_PASSPHRASE`'s bytes where the process keeps its environment
    /// (which `/proc/<pid>/environ` shows), then removes the variable: for once the
    /// keys are decrypted. `unsetenv` alone leaves the bytes in place. Every entry of
    /// that name is wiped (an environment may hold two; `getenv` finds the first).
    public static func scrubEnvironment() {
        let prefix = environmentVariable + "="
        var entry = environ
        while let variable = entry.pointee {
            if strncmp(variable, prefix, prefix.utf8.count) == 0 {
                let value = variable + prefix.utf8.count
                Sodium.wipe(UnsafeMutableRawBufferPointer(start: value, count: strlen(value)))
            }
            entry += 1
        }
        unsetenv(environmentVariable)
    }

    private static func readFile(_ path: String, isCredential: Bool = false) throws -> SecureBytes {
        // Opened first, then checked: the file read is the file whose mode was looked at.
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CoreError(.passphraseUnavailable, "cannot open the passphrase file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        // A regular file, or a pipe (`--passphrase-file <(pass show liaison)`).
        guard fstat(fd, &info) == 0, [S_IFREG, S_IFIFO].contains(info.st_mode & S_IFMT) else {
            throw CoreError(.passphraseUnavailable, "the passphrase file \(path) is neither a regular file nor a pipe")
        }
        if isCredential {
            guard info.st_mode & 0o007 == 0, info.st_uid == 0 || info.st_uid == geteuid() else {
                throw CoreError(.keyFileInsecurePermissions,
                                "the credential \(path) is readable by others or owned by another user (mode \(String(info.st_mode & 0o777, radix: 8)), uid \(info.st_uid)); check LoadCredential= in the unit")
            }
        } else {
            guard info.st_mode & 0o077 == 0 else {
                throw CoreError(.keyFileInsecurePermissions,
                                "the passphrase file \(path) is readable by others (mode \(String(info.st_mode & 0o777, radix: 8))); run `chmod 600 \(path)`")
            }
        }
        var length = 0
        let buffer = try SecureBytes(count: maximumByteCount + 3, protection: .wiped) { out in
            var stream = FileDescriptorStream(descriptor: fd)
            length = try stream.readFully(into: out)
        }
        let passphrase = buffer.withUnsafeBytes { trimmed(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        guard passphrase.count <= maximumByteCount else {
            throw CoreError(.passphraseUnavailable, "the passphrase file \(path) is longer than \(maximumByteCount) bytes")
        }
        guard passphrase.count > 0 else {
            throw CoreError(.passphraseUnavailable, "the passphrase file \(path) is empty")
        }
        return passphrase
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> SecureBytes {
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return SecureBytes(copying: UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
    }
}
