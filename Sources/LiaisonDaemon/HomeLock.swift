import Foundation
import LiaisonControl
import LiaisonCore

/// One daemon per node: an exclusive `flock` on `<home>/liaisond.lock`, taken
/// before the daemon touches anything and held for the life of the process (the
/// kernel lets go of it when the process ends, however it ends).
///
/// A second daemon on the same home would take over the control socket and sweep
/// the first one's files in flight (sends not yet queued, transfers being received)
/// as left by a crash.
final class HomeLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock of `home`, writing this process's id into the file.
    ///
    /// - Throws: ``CoreError`` `node.running` if another process holds it.
    init(home: NodeHome) throws {
        let path = ControlFraming.lockPath(home: home.path)
        let fd = try HomeLockFile.open(home: home)
        // The CLI looks whether a daemon runs by taking the lock shared for a moment
        // (`DaemonLock`): a daemon starting in that moment waits it out rather than
        // taking it for another daemon. One that holds the lock does not let go.
        var locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        let deadline = ContinuousClock.now + .seconds(2)
        while !locked, errno == EWOULDBLOCK, ContinuousClock.now < deadline {
            usleep(10_000)
            locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        }
        guard locked else {
            let reason = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            close(fd)
            guard reason == EWOULDBLOCK else { throw CoreError(.io, "cannot lock \(path): \(String(cString: strerror(reason)))") }
            throw CoreError(.nodeRunning, "liaisond is already running for \(home.path)\(holder.isEmpty ? "" : " (pid \(holder))"); "
                            + "stop it first (`systemctl stop liaisond`, or SIGTERM)")
        }
        let pid = Array("\(getpid())\n".utf8)
        if ftruncate(fd, 0) == 0 { _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
        descriptor = fd
    }

    deinit { close(descriptor) }
}
