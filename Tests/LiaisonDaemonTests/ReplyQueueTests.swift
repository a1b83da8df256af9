import LiaisonWire
import Testing
@testable import LiaisonDaemon

/// Waits run with time limits: an answer that is never let go fails its test by the limit.
@Suite("Reply queue: a session's answers, written in order and in batches, and nobody left waiting")
struct ReplyQueueTests {
    /// Collects what the writer was handed, batch by batch.
    final class Written: @unchecked Sendable {
        var batches: [[SessionMessage]] = []
    }

    static func answer(_ n: Int) -> SessionMessage { .close(reason: n.isMultiple(of: 2) ? .timeout : .shutdown) }

    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("answers are written in the order they were queued, several to a write when they wait together", .timeLimit(.minutes(10)))
    func orderAndBatches() async {
        let queue = ReplyQueue(), written = Written()
        async let writer: Void = queue.drain { messages in written.batches.append(messages) }
        // Queued one after another, each waiting for its write: all are let go.
        await withTaskGroup(of: Void.self) { group in
            for n in 0..<20 { group.addTask { await queue.answer(.close(reason: n.isMultiple(of: 2) ? .timeout : .shutdown)) } }
        }
        for n in 0..<5 { await queue.answer(Self.answer(n)) }
        queue.finish()
        await writer
        #expect(written.batches.joined().count == 25)
        #expect(Array(written.batches.joined().suffix(5)) == (0..<5).map(Self.answer), "in queueing order")
    }

    @Test("after a failed write nothing more is written, and every answer is still let go", .timeLimit(.minutes(10)))
    func failedWrite() async {
        struct Broken: Error {}
        let queue = ReplyQueue(), written = Written()
        async let writer: Void = queue.drain { messages in
            written.batches.append(messages)
            throw Broken()
        }
        await queue.answer(Self.answer(1))
        await queue.answer(Self.answer(2))
        queue.finish()
        await writer
        #expect(written.batches.count == 1, "one write was tried; the next answer was let go unwritten")
    }

    @Test("a writer cancelled (the drain timed out) lets go of what waits and of anything queued after it", .timeLimit(.minutes(10)))
    func cancelledWriter() async {
        let queue = ReplyQueue()
        let writer = Task { await queue.drain { _ in } }
        await queue.answer(Self.answer(1))
        writer.cancel()
        await writer.value
        // No writer now: this returns at once instead of waiting forever.
        await queue.answer(Self.answer(2))
        await queue.answer(Self.answer(3))
    }
}
