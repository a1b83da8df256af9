import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Testing
@testable import LiaisonDaemon

@Suite("Handshake turns: one handshake at a time per peer")
struct HandshakeTurnsTests {
    @Test("handshakes with one peer never overlap, and each draws a timestamp newer than the one before it finished")
    func oneAtATime() async throws {
        let turns = HandshakeTurns()
        let inside = NIOLockedValueBox(0)
        let overlaps = NIOLockedValueBox(0)
        // What the responder saw, in the order it saw it: each handshake's timestamp.
        let seen = NIOLockedValueBox([Int]())
        let clock = NIOLockedValueBox(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    try await turns.take(peer: "bravo") {
                        let now = inside.withLockedValue { $0 += 1; return $0 }
                        if now > 1 { overlaps.withLockedValue { $0 += 1 } }
                        let timestamp = clock.withLockedValue { $0 += 1; return $0 }
                        try await Task.sleep(for: .milliseconds(2))   // message 1 in flight
                        seen.withLockedValue { $0.append(timestamp) }
                        inside.withLockedValue { $0 -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(overlaps.withLockedValue { $0 } == 0)
        let order = seen.withLockedValue { $0 }
        #expect(order.count == 24)
        #expect(order == order.sorted(), "a responder would have refused an older timestamp as a replay")
    }

    @Test("different peers do not wait for each other, and a failed handshake passes its turn on")
    func peersAreIndependent() async throws {
        let turns = HandshakeTurns()
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await turns.take(peer: "bravo") { throw Refused() }
        }
        // bravo's turn was passed on: a second handshake with bravo starts.
        let second = try await turns.take(peer: "bravo") { 2 }
        #expect(second == 2)
        // While bravo's turn is held, charlie's handshake still runs.
        let held = AsyncStream<Void>.makeStream()
        let release = AsyncStream<Void>.makeStream()
        async let holder: Void = turns.take(peer: "bravo") {
            held.continuation.yield()
            for await _ in release.stream { break }
        }
        for await _ in held.stream { break }
        let charlie = try await turns.take(peer: "charlie") { "charlie" }
        #expect(charlie == "charlie")
        release.continuation.yield()
        try await holder
    }

    @Test("a dial cancelled while it waits leaves at once; the turn stays with its holder and then goes to the next in line")
    func cancelledWhileWaiting() async throws {
        let turns = HandshakeTurns()
        let holding = try await turns.begin(peer: "bravo")
        let waiter = Task { try await turns.begin(peer: "bravo") }
        let next = Task { try await turns.begin(peer: "bravo") }
        try await Task.sleep(for: .milliseconds(50))   // both queued behind the holder
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        // Cancelled before it even started to wait: it never queues.
        let early = Task { () async throws -> HandshakeTurns.Turn in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await turns.begin(peer: "bravo")
        }
        await #expect(throws: CancellationError.self) { _ = try await early.value }
        holding.end()
        let passed = try await next.value   // the turn skipped the cancelled dial
        passed.end()
        // And the peer is free again.
        try await turns.begin(peer: "bravo").end()
    }
    @Test("a dial still waiting at its deadline leaves with DeadlinePassed; one whose turn came in time keeps it")
    func deadlineWhileWaiting() async throws {
        let turns = HandshakeTurns()
        let holding = try await turns.begin(peer: "bravo")
        await #expect(throws: DeadlinePassed.self) {
            _ = try await turns.begin(peer: "bravo", until: NIODeadline.now() + .milliseconds(100))
        }
        // A deadline already past when the dial starts: it does not queue either.
        await #expect(throws: DeadlinePassed.self) {
            _ = try await turns.begin(peer: "bravo", until: NIODeadline.now() - .seconds(1))
        }
        // The holder kept its turn throughout; the next dial gets it when it ends.
        let next = Task { try await turns.begin(peer: "bravo", until: NIODeadline.now() + .seconds(60)) }
        try await Task.sleep(for: .milliseconds(50))
        holding.end()
        let passed = try await next.value
        // Held by the dial that got it: a short deadline passes while waiting.
        await #expect(throws: DeadlinePassed.self) {
            _ = try await turns.begin(peer: "bravo", until: NIODeadline.now() + .milliseconds(50))
        }
        passed.end()
        // A free peer's turn comes at once, whatever the deadline.
        try await turns.begin(peer: "bravo", until: NIODeadline.now() + .milliseconds(50)).end()
    }
}

private extension HandshakeTurns {
    /// Runs `handshake` in a turn of its own with `peer`, as `PeerDialer` does from connecting to message 2.
    func take<T>(peer: String, _ handshake: () async throws -> T) async throws -> T {
        let turn = try await begin(peer: peer)
        defer { turn.end() }
        return try await handshake()
    }
}
