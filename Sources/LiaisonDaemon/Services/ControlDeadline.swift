import Logging
import NIOConcurrencyHelpers
import NIOCore

/// How long a control client may keep the daemon waiting (`control-timeout-seconds`):
/// for each frame of its request, and for room to write each frame of the reply.
/// A client past it is cut off, its connection closed, which ends the request just
/// as the client hanging up would: a send not yet complete queues nothing.
///
/// One timer per connection, firing every quarter of the timeout, looks at how long
/// the daemon has been waiting on the client (so a client is cut off between 1 and
/// 1.25 timeouts); a read or write only notes when it began to wait. A short
/// request sets one timer and cancels it (``stop()``), as a single deadline would.
final class ControlDeadline: Sendable {
    let timeout: TimeAmount
    private let channel: any Channel
    private let caller: PeerCredentials?
    private let logger: Logger
    /// When the daemon began to wait on the client, and for what; nil while it is not waiting.
    private let waiting = NIOLockedValueBox<(since: NIODeadline, stall: String)?>(nil)
    /// The pending check, or nil once stopped.
    private let check = NIOLockedValueBox<(scheduled: Scheduled<Void>?, stopped: Bool)>((nil, false))

    /// Starts watching `channel` until ``stop()``; `caller` names the client in the log.
    init(timeout: TimeAmount, channel: any Channel, caller: PeerCredentials?, logger: Logger) {
        self.timeout = timeout
        self.channel = channel
        self.caller = caller
        self.logger = logger
        arm()
    }

    /// Runs `body`, a wait on the client, cutting the client off if it takes longer
    /// than `timeout`; `stall` says, for the log, what the client did not do meanwhile.
    func bounding<T>(_ stall: String, _ body: () async throws -> T) async throws -> T {
        waiting.withLockedValue { $0 = (NIODeadline.now(), stall) }
        defer { waiting.withLockedValue { $0 = nil } }
        return try await body()
    }

    /// Stops watching (the connection is done).
    func stop() {
        check.withLockedValue { check in
            check.scheduled?.cancel()
            check = (nil, true)
        }
    }

    private func arm() {
        let quarter = TimeAmount.nanoseconds(max(1, timeout.nanoseconds / 4))
        check.withLockedValue { check in
            guard !check.stopped else { return }
            check.scheduled = channel.eventLoop.scheduleTask(in: quarter) { self.fire() }
        }
    }

    private func fire() {
        guard let (since, stall) = waiting.withLockedValue({ $0 }), NIODeadline.now() - since >= timeout else {
            arm()
            return
        }
        logger.warning("control: cut off \(caller?.description ?? "unknown caller"): \(stall) for \(timeout.nanoseconds / 1_000_000_000) s (control-timeout-seconds)")
        stop()
        channel.close(promise: nil)
    }
}
