import Foundation
import LiaisonControl
import LiaisonCore

/// What the CLI can tell from a node's `liaisond.lock`, which the daemon takes
/// before anything else and holds until its process ends: whether a daemon runs
/// there even when its control socket does not answer (it is starting, or
/// stopping while transfers in flight finish).
enum DaemonLock {
    /// The pid written in the lock file if a process holds the lock ("" if it wrote
    /// none yet), or nil if none does. `otherwise` ends the error thrown when that
    /// cannot be told (the lock file is not readable to this user).
    static func holder(of home: NodeHome, otherwise: String) throws -> String? {
        let path = ControlFraming.lockPath(home: home.path)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            // No lock file: no daemon ever ran here. Any other reason: it cannot be told.
            guard errno == ENOENT else {
                throw ControlFailure(code: "control.permission-denied",
                                     message: "cannot tell whether liaisond runs for this node (\(path): \(String(cString: strerror(errno)))); "
                                        + otherwise)
            }
            return nil
        }
        defer { close(fd) }
        guard flock(fd, LOCK_SH | LOCK_NB) != 0 else {
            flock(fd, LOCK_UN)
            return nil
        }
        guard errno == EWOULDBLOCK else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        let count = read(fd, &bytes, bytes.count)
        let text = String(decoding: bytes.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.allSatisfy(\.isNumber) ? text : ""
    }
}

extension DaemonLock {
    /// Takes the daemon's lock of `home` for a command that must run while no daemon
    /// does (a daemon that starts meanwhile finds it held and stops). Returns the
    /// descriptor to close when done.
    ///
    /// - Throws: ``CoreError`` `node.running` if a daemon holds it.
    static func holdWhileStopped(_ home: NodeHome) throws -> Int32 {
        let path = ControlFraming.lockPath(home: home.path)
        let fd = try HomeLockFile.open(home: home)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            close(fd)
            guard reason == EWOULDBLOCK else { throw CoreError(.io, "cannot lock \(path): \(String(cString: strerror(reason)))") }
            throw CoreError(.nodeRunning, "liaisond is running for \(home.path): stop it first (`systemctl stop liaisond`, or SIGTERM), then run this again")
        }
        // A daemon that tries to start meanwhile names this process as the holder.
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        return fd
    }
}
