import Foundation

/// A small tmpfs mounted on a fresh directory, for disk-full tests; unmounted on deinit.
///
/// Mounting needs root (or CAP_SYS_ADMIN); ``isAvailable`` says whether this
/// machine allows it, so a test can say why it did not run.
public final class SmallFilesystem: @unchecked Sendable {
    /// The mount point.
    public let path: String
    private let directory: TemporaryDirectory

    /// Mounts a tmpfs of `bytes` bytes.
    public init(bytes: Int) throws {
        directory = TemporaryDirectory(prefix: "liaison-tmpfs")
        path = directory.path
        let status = Self.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(bytes),mode=0700", "tmpfs", path])
        guard status == 0 else { throw CocoaError(.fileWriteNoPermission) }
    }

    /// Whether tmpfs can be mounted here (the test runs as root).
    public static var isAvailable: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/mount") }

    /// Fills the remaining space with a file named `name`; returns its path.
    @discardableResult
    public func fill(_ name: String = "filler") -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create \(file)")
        let chunk = [UInt8](repeating: 0xAA, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
        close(fd)
        return file
    }

    deinit {
        _ = Self.run("/usr/bin/umount", ["-l", path])
    }

    private static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
