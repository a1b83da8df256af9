import CLinux
import Glibc

/// Which signals stop liaisond cleanly (drained, audited, checkpointed): SIGTERM,
/// SIGINT, and SIGHUP — the terminal it ran in closed; it has no reload — unless it
/// was started with SIGHUP ignored (`nohup liaisond …`), which it then leaves ignored.
enum ShutdownSignals {
    /// Whether SIGHUP stops the daemon: it was not ignored when the process started.
    static var hangUpStops: Bool { liaison_signal_is_ignored(SIGHUP) == 0 }
}
