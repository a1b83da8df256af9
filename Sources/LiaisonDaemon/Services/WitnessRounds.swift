import LiaisonWire
import NIOConcurrencyHelpers

/// Wakes the audit checkpointer for a round of cosignature requests to the
/// witnesses, and lets whoever asked wait for the round that takes the ask. Every
/// request to a witness goes through the checkpointer, one round at a time: two
/// rounds at once would ask a witness for two sizes in either order, and it refuses
/// the smaller once it has cosigned the larger.
///
/// Asks that come while a round runs are merged into the next one (for the largest
/// size asked). Asks are taken within a budget (``askedRounds``): an auditor may ask
/// as often as it likes, and each round dials every witness, whose handshake budget
/// for this node its deliveries share. One past the budget is not taken, and its
/// caller does not wait: the next period's round, or a retry, takes the newest
/// checkpoint to the witnesses.
final class WitnessRounds: Sendable {
    private struct State {
        /// The largest checkpoint size asked for and not yet taken by a round.
        var asked: Int?
        /// Rounds that took asks, and have ended.
        var served: UInt64 = 0
        /// The round running now took asks.
        var serving = false
        /// Rounds asked for: five at once, then one every 10 s (a witness then sees at
        /// most six of this node's handshakes a minute from them, of the 120 it allows).
        var budget = TokenBucket(rate: 0.1, burst: 5)
    }

    let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let state = NIOLockedValueBox(State())

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a round for the checkpoint of `size` entries (already signed) and
    /// returns the count of served rounds that means the round taking this ask has
    /// ended, for ``waitForRound(_:timeout:)``; nil, asking nothing, past the budget
    /// (`now`: monotonic seconds) unless an ask is pending already (this one joins it).
    func ask(size: Int, now: Double) -> UInt64? {
        let awaited = state.withLockedValue { state -> UInt64? in
            guard state.asked != nil || state.budget.take(now: now) else { return nil }
            state.asked = max(state.asked ?? size, size)
            // A round serving asks now took those made before it: this one is the next one's.
            return state.served &+ (state.serving ? 2 : 1)
        }
        if awaited != nil { continuation.yield() }
        return awaited
    }

    /// Wakes the checkpointer to look at its clock (its ticker).
    func tick() { continuation.yield() }

    /// A round begins: the size asked for since the last round that took asks, if any.
    func beginRound() -> Int? {
        state.withLockedValue { state in
            guard let asked = state.asked else { return nil }
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
