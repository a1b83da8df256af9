import LiaisonCore
import ServiceLifecycle

/// Says, the moment a stop is asked for (SIGTERM, SIGINT), what the daemon still
/// waits for and how long it may: between the signal and "liaisond stopped" the
/// control socket no longer answers, and an operator should see why.
struct ShutdownNotice: Service {
    let context: DaemonContext

    func run() async throws {
        do { try await gracefulShutdown() } catch { return }
        let sessions = context.liveSessions.total
        let receiving = context.activeTransfers.withLockedValue { $0.count }
        let drain = context.settings.drainTimeout.nanoseconds / 1_000_000_000
        context.logger.notice("liaisond stopping: \(sessions.sessions) session(s) with \(sessions.peers) peer(s) open, \(receiving) package(s) being received; what is in flight gets up to \(drain) s to finish, and no new connection or control request is taken")
    }
}

extension ShutdownNotice: CustomStringConvertible {
    var description: String { "ShutdownNotice" }
}
