import NIOConcurrencyHelpers

/// Wakes the audit checkpointer for a round of cosignature requests to the
/// witnesses, and lets whoever asked wait for the round that takes the ask. Every
/// request to a witness goes through the checkpointer, one round at a time: two
/// rounds at once would ask a witness for two sizes in either order, and it refuses
/// the smaller once it has cosigned the larger.
///
/// Asks that come while a round runs are merged into the next one that takes asks
/// (for the largest size asked); the checkpointer takes them within a budget
/// (``AuditCheckpointer``), so an ask may wait for a later round than the next.
final class WitnessRounds: Sendable {
    private struct State {
        /// The largest checkpoint size asked for and not yet taken by a round.
        var asked: Int?
        /// Rounds that took asks, and have ended.
        var served: UInt64 = 0
        /// The round running now took asks.
        var serving = false
    }

    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let state = NIOLockedValueBox(State())

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a round for the checkpoint of `size` entries (already signed) and
    /// returns the count of served rounds that means the round taking this ask has
    /// ended, for ``waitForRound(_:timeout:)``.
    func ask(size: Int) -> UInt64 {
        let awaited = state.withLockedValue { state -> UInt64 in
            state.asked = max(state.asked ?? size, size)
            // A round serving asks now took those made before it: this one is the next one's.
            return state.served &+ (state.serving ? 2 : 1)
        }
        continuation.yield()
        return awaited
    }

    /// Wakes the checkpointer to look at its clock (its ticker).
    func tick() { continuation.yield() }

    /// A round begins: the size asked for since the last round that took asks, if
    /// any and if `admit` lets this round take it (it stays asked otherwise).
    func beginRound(admit: () -> Bool) -> Int? {
        state.withLockedValue { state in
            guard let asked = state.asked, admit() else { return nil }
            state.asked = nil
            state.serving = true
            return asked
        }
    }

    /// The round ended (whatever its outcome).
    func endRound() {
        state.withLockedValue { state in
            guard state.serving else { return }
            state.serving = false
            state.served &+= 1
        }
    }

    /// Returns once `awaited` rounds that took asks have ended (the count
    /// ``ask(size:)`` returned: the round that took that ask has ended), or after `timeout`.
    func waitForRound(_ awaited: UInt64, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        // Bounded by the deadline: a round's requests have their own deadlines, and
        // a caller waits no longer than this whatever they do.
        while state.withLockedValue({ $0.served < awaited }), ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// No more rounds: the checkpointer's loop ends.
    func finish() { continuation.finish() }
}
