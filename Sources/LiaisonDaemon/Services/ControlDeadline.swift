import Logging
import NIOConcurrencyHelpers
import NIOCore

/// How long a control client may keep the daemon waiting (`control-timeout-seconds`):
/// for each frame of its request, and for room to write each frame of the reply.
/// A client past it is cut off, its connection closed, which ends the request just
/// as the client hanging up would: a send not yet complete queues nothing.
///
/// A ``ChannelWatch`` looks every quarter of the timeout at how long the daemon has
/// been waiting on the client (so a client is cut off between 1 and 1.25 timeouts);
/// a read or write only notes when it began to wait.
final class ControlDeadline: Sendable {
    let timeout: TimeAmount
    /// When the daemon began to wait on the client, and for what; nil while it is not waiting.
    private let waiting = NIOLockedValueBox<(since: NIODeadline, stall: String)?>(nil)
    private let watch: ChannelWatch

    /// Starts watching `channel` until ``stop()``; `caller` names the client in the log.
    init(timeout: TimeAmount, channel: any Channel, caller: PeerCredentials?, logger: Logger) {
        self.timeout = timeout
        let waiting = self.waiting
        let quarter = TimeAmount.nanoseconds(max(1, timeout.nanoseconds / 4))
        watch = ChannelWatch(channel, first: .now() + quarter) {
            guard let (since, stall) = waiting.withLockedValue({ $0 }), NIODeadline.now() - since >= timeout else {
                return .now() + quarter
            }
            logger.warning("control: cut off \(caller?.description ?? "unknown caller"): \(stall) for \(timeout.nanoseconds / 1_000_000_000) s (control-timeout-seconds)")
            return nil
        }
    }

    /// Runs `body`, a wait on the client, cutting the client off if it takes longer
    /// than `timeout`; `stall` says, for the log, what the client did not do meanwhile.
    func bounding<T>(_ stall: String, _ body: () async throws -> T) async throws -> T {
        waiting.withLockedValue { $0 = (NIODeadline.now(), stall) }
        defer { waiting.withLockedValue { $0 = nil } }
        return try await body()
    }

    /// Stops watching (the connection is done).
    func stop() { watch.stop() }
}
