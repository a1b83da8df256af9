import Foundation
import LiaisonCore

/// The lock file a running daemon holds with `flock` in a node's home
/// (``ControlFraming/lockPath(home:)``), opened for locking: by the daemon for its
/// life, and by a CLI command that must run while no daemon does.
public enum HomeLockFile {
    /// Opens (creating, owner-only) the lock file of `home`.
    ///
    /// - Throws: ``CoreError`` `node.missing` if there is no such home, `io` otherwise.
    public static func open(home: NodeHome) throws -> Int32 {
        let path = ControlFraming.lockPath(home: home.path)
        let fd = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            let reason = errno
            if reason == ENOENT { throw CoreError(.nodeMissing, "no node at \(home.path); create it with `liaison init`") }
            throw CoreError(.io, "cannot open \(path): \(String(cString: strerror(reason)))")
        }
        return fd
    }
}
