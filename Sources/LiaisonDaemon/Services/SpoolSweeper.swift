import LiaisonCore
import ServiceLifecycle

/// Removes partial packages nobody wrote for a day (``SpoolFiles``): at start, then
/// every hour, until the daemon shuts down. A sender that gave up on a transfer, or
/// a peer that abandons transfers on purpose, cannot fill the disk for good.
struct SpoolSweeper: Service {
    let context: DaemonContext
    /// How often to look.
    var interval = Duration.seconds(3600)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            sweep()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    func sweep() {
        // The spool is listed outside the claims' lock (every offer and push takes it);
        // the few stale ones are checked again and removed under it: a transfer that
        // resumes a partial claims it first.
        let spool = SpoolFiles(directory: context.spoolDirectory)
        let stale = spool.stale(now: Timestamp.now())
        guard !stale.isEmpty else { return }
        let removed = context.activeTransfers.withLockedValue { claims in
            spool.remove(stale, now: Timestamp.now(), receiving: Set(claims.keys.map(\.id)))
        }
        if removed.files > 0 {
            context.logger.notice("removed \(removed.files) unfinished package(s) untouched for a day from the spool (\(removed.bytes) bytes)")
        }
    }
}

extension SpoolSweeper: CustomStringConvertible {
    var description: String { "SpoolSweeper" }
}
