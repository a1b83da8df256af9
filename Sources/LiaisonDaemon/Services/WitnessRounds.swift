import NIOConcurrencyHelpers

/// Wakes the audit checkpointer for a round of cosignature requests to the
/// witnesses, and lets whoever asked wait for that round to end. Every request to
/// a witness goes through the checkpointer, one round at a time: two rounds at
/// once would ask a witness for two sizes in either order, and it refuses the
/// smaller once it has cosigned the larger.
///
/// Asks that come while a round runs are merged into the next one (for the
/// largest size asked).
final class WitnessRounds: Sendable {
    private struct State {
        /// The largest checkpoint size asked for since the last round began.
        var asked: Int?
        /// Rounds ended so far.
        var ended: UInt64 = 0
        /// A round is running (it took the asks made before it began).
        var running = false
    }

    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let state = NIOLockedValueBox(State())

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a round for the checkpoint of `size` entries (already signed) and
    /// returns the count of ended rounds that means the round taking this ask has
    /// ended, for ``waitForRound(_:timeout:)``.
    func ask(size: Int) -> UInt64 {
        let awaited = state.withLockedValue { state -> UInt64 in
            state.asked = max(state.asked ?? size, size)
            // A round running now took what was asked before it: this ask is the next one's.
            return state.ended &+ (state.running ? 2 : 1)
        }
        continuation.yield()
        return awaited
    }

    /// Wakes the checkpointer to look at its clock (its ticker).
    func tick() { continuation.yield() }

    /// A round begins: the size asked for since the last one (cleared), if any.
    func beginRound() -> Int? {
        state.withLockedValue { state in
            defer { state.asked = nil }
            state.running = true
            return state.asked
        }
    }

    /// The round ended (whatever its outcome).
    func endRound() {
        state.withLockedValue { state in
            state.running = false
            state.ended &+= 1
        }
    }

    /// Returns once `awaited` rounds have ended (the count ``ask(size:)`` returned:
    /// the round that took that ask has ended), or after `timeout`.
    func waitForRound(_ awaited: UInt64, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        // Bounded by the deadline: a round's requests have their own deadlines, and
        // a caller waits no longer than this whatever they do.
        while state.withLockedValue({ $0.ended < awaited }), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// No more rounds: the checkpointer's loop ends.
    func finish() { continuation.finish() }
}
