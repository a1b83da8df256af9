import LiaisonAudit
import LiaisonCore
import LiaisonStore
import Logging
import ServiceLifecycle

/// Signs a checkpoint of the audit log at start, every `[audit]
/// checkpoint-interval-seconds` when it grew, and a last one on graceful shutdown, then asks the witnesses
/// to cosign it. A refusal to sign (a smaller or forked tree) is logged at
/// critical level and retried each period: it needs the operator.
struct AuditCheckpointer: Service {
    let context: DaemonContext
    let witnessing: WitnessClient

    func run() async throws {
        let interval = Duration.seconds(context.configuration.audit.checkpointIntervalSeconds)
        // At start: whatever the last run appended (even if it was killed) gets signed now.
        await checkpoint()
        while true {
            // Wake at once on SIGTERM: the last checkpoint must not wait out the period.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await checkpoint()
        }
        await checkpoint()
    }

    /// Signs (if the log grew) and collects cosignatures for the newest checkpoint.
    func checkpoint() async {
        do {
            let stored = try context.signCheckpoint()
            context.checkpointRefusal.withLockedValue { $0 = nil }
            if !Task.isShuttingDownGracefully { await witnessing.collectCosignatures(for: stored) }
        } catch {
            context.logger.critical("audit checkpoint refused: \(error)")
            context.checkpointRefusal.withLockedValue { $0 = "\(error)" }
        }
    }
}

extension AuditCheckpointer: CustomStringConvertible {
    var description: String { "AuditCheckpointer" }
}
