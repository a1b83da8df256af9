import Foundation
import LiaisonCore

/// Who may write a node's audit log file outside the daemon: a command working
/// without it (`package seal`, `peers import`, `backup` …) holds `<log>.lock`
/// shared while it has the log open; `liaison audit new-log`, which puts another
/// file in the log's place, holds it exclusively. (The daemon is kept out by its
/// own lock, which `new-log` holds too.)
enum AuditFileLock {
    /// Takes the lock of the log at `path` shared, waiting up to `seconds` for a
    /// `new-log` to finish. Returns the descriptor to close when done with the log.
    static func shared(for path: String, seconds: Double = 10) throws -> Int32 {
        let fd = try open(path)
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while true {
            let reason = lock(fd, LOCK_SH)
            if reason == 0 { return fd }
            guard reason == EWOULDBLOCK, ContinuousClock.now < deadline else {
                close(fd)
                guard reason == EWOULDBLOCK else { throw CoreError(.io, "cannot lock \(path).lock: \(String(cString: strerror(reason))); nothing was done") }
                throw CoreError(.nodeRunning, "a new audit log is being begun (`liaison audit new-log`); retry once it is done; nothing was done")
            }
            usleep(20_000)
        }
    }

    /// Takes the lock of the log at `path` exclusively, or refuses at once.
    static func exclusive(for path: String) throws -> Int32 {
        let fd = try open(path)
        let reason = lock(fd, LOCK_EX)
        guard reason == 0 else {
            close(fd)
            guard reason == EWOULDBLOCK else { throw CoreError(.io, "cannot lock \(path).lock: \(String(cString: strerror(reason))); nothing was changed") }
            throw CoreError(.nodeRunning, "a liaison command is writing the audit log without the daemon (package seal or open, peers import, backup …); retry once it is done; nothing was changed")
        }
        return fd
    }

    /// `flock(fd, operation | LOCK_NB)`, retried if a signal cut it short: 0, or the errno.
    private static func lock(_ fd: Int32, _ operation: Int32) -> Int32 {
        while flock(fd, operation | LOCK_NB) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }

    /// The lock file, opened read-only (enough for `flock`) and readable by all: one
    /// made by another user (root running a command) still serves the node's own.
    private static func open(_ path: String) throws -> Int32 {
        let lockPath = path + ".lock"
        let fd = Foundation.open(lockPath, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw CoreError(.io, "cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        return fd
    }
}
