import Dispatch
import LiaisonCore
import NIOConcurrencyHelpers

/// Tells waiting senders that something new was queued, without polling: a
/// generation number that ``announce()`` bumps, and waiters woken by it.
final class OutboxSignal: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var nextWaiter: UInt64 = 0
        /// Waits in progress, registered or not yet.
        var active: Set<UInt64> = []
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        /// Waits released before they had registered (a timeout or a cancellation that won the race).
        var released: Set<UInt64> = []
    }

    private let state = NIOLockedValueBox(State())

    /// The current generation; pass it to ``wait(past:timeout:)``.
    var generation: UInt64 { state.withLockedValue { $0.generation } }

    /// Something new was queued: wakes every waiter.
    func announce() {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Void, Never>] in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Returns once the generation differs from `seen`, after `timeout`, or at
    /// once if the task is cancelled. One continuation and one timer: a wake-up
    /// resumes the waiter directly, with no child tasks to start and cancel.
    func wait(past seen: UInt64, timeout: Duration) async {
        let id = state.withLockedValue { state -> UInt64 in
            state.nextWaiter &+= 1
            state.active.insert(state.nextWaiter)
            return state.nextWaiter
        }
        let timer = DispatchWorkItem { [self] in release(id) }
        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, timeout.seconds), execute: timer)
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLockedValue { state -> Bool in
                    if state.generation != seen || state.released.remove(id) != nil { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            release(id)
        }
        timer.cancel()
        state.withLockedValue { state in
            state.active.remove(id)
            state.released.remove(id)
        }
    }

    /// Ends wait `id`: resumes it if it is waiting, or makes it return as soon as it registers.
    private func release(_ id: UInt64) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            if state.active.contains(id) { state.released.insert(id) }
            return nil
        }
        waiter?.resume()
    }
}
