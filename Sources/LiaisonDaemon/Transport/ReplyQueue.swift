import LiaisonWire
import NIOConcurrencyHelpers

/// A session's answers on their way to its one writer task: queued by the tasks
/// that took the peer's messages, and written as many at once as are waiting
/// (one write to the socket for a commit's worth of receipts, not one each).
/// Whoever queues an answer waits until it is written, or could not be.
final class ReplyQueue: Sendable {
    private struct Pending {
        let message: SessionMessage
        let written: CheckedContinuation<Void, Never>
    }

    private let state = NIOLockedValueBox<(waiting: [Pending], finished: Bool)>(([], false))
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() {
        (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues `message` for the writer and returns once it was written (or the
    /// connection failed, or the queue was finished).
    func answer(_ message: SessionMessage) async {
        await withCheckedContinuation { written in
            let queued = state.withLockedValue { state -> Bool in
                guard !state.finished else { return false }
                state.waiting.append(Pending(message: message, written: written))
                return true
            }
            if queued { wake.yield() } else { written.resume() }
        }
    }

    /// No more answers: the writer ends once it has written what is queued.
    func finish() {
        state.withLockedValue { $0.finished = true }
        wake.finish()
    }

    /// The writer: hands every batch of waiting answers, in order, to `write` until
    /// the queue is finished, then the last ones. After `write` throws, nothing more
    /// is written, but everyone waiting is still let go. When it returns (finished,
    /// or its task cancelled) the queue is finished: an answer queued later is let
    /// go at once, unwritten, rather than waiting for a writer that is gone.
    func drain(_ write: ([SessionMessage]) async throws -> Void) async {
        var failed = false
        func writeWaiting(finishing: Bool = false) async {
            let batch = state.withLockedValue { state -> [Pending] in
                defer { state.waiting = [] }
                if finishing { state.finished = true }
                return state.waiting
            }
            guard !batch.isEmpty else { return }
            if !failed, !Task.isCancelled {
                do { try await write(batch.map(\.message)) } catch { failed = true }
            }
            for pending in batch { pending.written.resume() }
        }
        for await _ in wakeups { await writeWaiting() }
        await writeWaiting(finishing: true)
    }
}
