import ServiceLifecycle

/// The loop of a service that retries something in rounds (telling partners of a
/// revocation or a rotation): a round every `retry-maximum-seconds`, until the
/// daemon shuts down.
enum RetryRounds {
    /// Runs `round` every `context.settings.retryMaximum` seconds (at least one)
    /// until graceful shutdown or cancellation; the wait ends at once on shutdown.
    static func run(_ context: DaemonContext, _ round: () async -> Void) async {
        let interval = Duration.seconds(max(1, context.settings.retryMaximum))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await round()
        }
    }
}
