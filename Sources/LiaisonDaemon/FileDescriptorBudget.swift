#if canImport(Glibc)
import Glibc
#endif

/// The open-file limit against what the connection limits may need: each partner
/// session can hold a socket and a spool file, each control connection a socket
/// and a package file, and the databases, listeners and event loops take their own.
enum FileDescriptorBudget {
    /// What the settings may need at once, roughly: two per partner connection and
    /// control connection, plus a fixed share.
    static func needed(_ settings: DaemonSettings) -> UInt64 {
        UInt64(2 * (settings.maximumConnections + settings.maximumControlConnections) + 256)
    }

    /// Raises the soft limit towards the hard one (up to 65,536) and returns a
    /// warning if it is still below what the settings may need; nil when it is not.
    /// Under the systemd unit the limit is its `LimitNOFILE=`, as raising it is a
    /// system call the unit's filter refuses.
    static func raise(for settings: DaemonSettings) -> String? {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let wanted = min(limit.rlim_max, 65_536)
        if limit.rlim_cur < wanted {
            var raised = limit
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let need = needed(settings)
        guard limit.rlim_cur < need else { return nil }
        return "the open-file limit is \(limit.rlim_cur), below the \(need) that max-connections (\(settings.maximumConnections)) and max-control-connections (\(settings.maximumControlConnections)) may need: raise it (LimitNOFILE= in the unit, `ulimit -n` in a shell, --ulimit nofile= for a container) or lower those limits"
    }
}
