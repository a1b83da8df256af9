import LiaisonAudit
import LiaisonCore
import LiaisonStore
import LiaisonWire
import Logging
import ServiceLifecycle

/// Signs a checkpoint of the audit log at start, every `[audit]
/// checkpoint-interval-seconds` when it grew, and a last one on graceful shutdown, then asks the witnesses
/// to cosign it. A refusal to sign (a smaller or forked tree) is logged at
/// critical level and retried each period: it needs the operator.
///
/// It also runs the rounds others ask for (``WitnessRounds``): a checkpoint signed
/// on request (`audit checkpoint`, an export, a live verify, a proof) is taken to
/// the witnesses at once, within the budget ``WitnessRounds`` keeps. A witness that did
/// not answer (not reachable, say) is asked again after ``firstRetry``, then twice
/// as long each time, up to the period, rather than only at the next period; one
/// that answered with a refusal is not, and after a witness's proof of a rollback
/// (the witness alarm) none is. SIGTERM cuts a round short.
struct AuditCheckpointer: Service {
    let context: DaemonContext
    let witnessing: WitnessClient

    /// How soon a witness that did not answer is asked again.
    static let firstRetry = Duration.seconds(15)
    /// How often the checkpointer looks at its clock.
    static let tick = Duration.seconds(1)

    func run() async throws {
        let interval = Duration.seconds(context.configuration.audit.checkpointIntervalSeconds)
        let rounds = context.witnessRounds
        // At start: whatever the last run appended (even if it was killed) gets signed now.
        var unanswered = await checkpoint()
        var lastSigned = ContinuousClock.now, lastAsked = lastSigned, retry = Self.firstRetry
        await withDiscardingTaskGroup { tasks in
            // A ticker feeds the wake-up stream, so one loop serves the period, the
            // retries and the rounds asked for.
            tasks.addTask {
                while !Task.isCancelled && !Task.isShuttingDownGracefully {
                    try? await Task.sleep(for: Self.tick)
                    rounds.tick()
                }
            }
            // Ends at once on SIGTERM: the last checkpoint must not wait out the period.
            for await _ in rounds.stream.cancelOnGracefulShutdown() {
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                let now = ContinuousClock.now
                let asked = rounds.beginRound()
                defer { rounds.endRound() }
                // What was asked for first: its caller waits for this round, and expects
                // that checkpoint cosigned, not only a later one the period signs.
                if let asked {
                    unanswered = await cutOnShutdown { await cosign(size: asked) }
                    (lastAsked, retry) = (now, Self.firstRetry)
                }
                if now - lastSigned >= interval {
                    unanswered = await cutOnShutdown { await checkpoint() }
                    (lastSigned, lastAsked, retry) = (now, now, Self.firstRetry)
                } else if asked == nil, unanswered, now - lastAsked >= retry {
                    unanswered = await cutOnShutdown { await cosignNewest() }
                    (lastAsked, retry) = (now, min(retry * 2, interval))
                }
            }
            tasks.cancelAll()
        }
        rounds.finish()
        _ = await checkpoint()
    }

    /// `round`, cancelled on SIGTERM (its requests then end at once); false if cut.
    private func cutOnShutdown(_ round: @escaping @Sendable () async -> Bool) async -> Bool {
        (try? await cancelWhenGracefulShutdown { await round() }) ?? false
    }

    /// Signs (if the log grew) and collects cosignatures for the newest checkpoint;
    /// true if a witness did not answer.
    func checkpoint() async -> Bool {
        do {
            let stored = try context.signCheckpoint()
            context.checkpointRefusal.withLockedValue { $0 = nil }
            guard !Task.isShuttingDownGracefully else { return false }
            return await witnessing.collectCosignatures(for: stored)
        } catch {
            context.logger.critical("audit checkpoint refused: \(error)")
            context.checkpointRefusal.withLockedValue { $0 = "\(error)" }
            return false
        }
    }

    /// Collects cosignatures for the checkpoint of `size` entries (signed on
    /// request), then for the newest if it is another; true if a witness did not answer.
    private func cosign(size: Int) async -> Bool {
        guard !alarmed, let stored = try? context.auditLog.checkpoint(size: size) else { return await cosignNewest() }
        let unanswered = await witnessing.collectCosignatures(for: stored)
        guard let newest = try? context.auditLog.newestCheckpoint(), newest.size != size else { return unanswered }
        return await witnessing.collectCosignatures(for: newest) || unanswered
    }

    /// Asks again the witnesses that have not cosigned the newest checkpoint.
    private func cosignNewest() async -> Bool {
        guard !alarmed, let newest = try? context.auditLog.newestCheckpoint() else { return false }
        return await witnessing.collectCosignatures(for: newest)
    }

    /// A witness proved this log rolled back, forked or closed: nothing more is asked of any.
    private var alarmed: Bool { context.witnessAlarm.withLockedValue { $0 } != nil }
}

extension AuditCheckpointer: CustomStringConvertible {
    var description: String { "AuditCheckpointer" }
}
