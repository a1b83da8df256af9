import Foundation
import LiaisonCore
@testable import LiaisonDaemon
import LiaisonTestSupport
import Testing

/// The verifier threads themselves: bounded in number, stopped by a cancel even
/// with bytes left to read, and never reading past what was reported written.
@Suite("Spool verifiers: bounded, cancellable, never ahead of the writer", .serialized)
struct SpoolVerifierTests {
    /// A file of `count` bytes in a fresh directory.
    private static func file(_ count: Int) -> (TemporaryDirectory, String) {
        let directory = TemporaryDirectory()
        return (directory, directory.write("spool.partial", [UInt8](repeating: 7, count: count)))
    }

    /// Waits (up to 10 s) until `counter` reaches `count`, then a little more, and returns what it reads.
    private static func settle(_ counter: ReadCounter, at count: Int) async throws -> Int {
        for _ in 0..<500 where counter.count < count { try await Task.sleep(for: .milliseconds(20)) }
        try await Task.sleep(for: .milliseconds(50))
        return counter.count
    }

    /// A verification that reads everything it is given, then fails (there is
    /// no package here): what matters is how far it read and when it stopped.
    private final class ReadCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var total = 0
        var count: Int { lock.lock(); defer { lock.unlock() }; return total }
        func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
    }

    /// With a `gate`, the verification waits at it after its first read, until the test opens it.
    private static func reading(into counter: ReadCounter, gate: DispatchSemaphore? = nil) -> SpoolVerifier.Verification {
        { input in
            var buffer = [UInt8](repeating: 0, count: 4096)
            var first = true
            while true {
                let n = try buffer.withUnsafeMutableBytes { try input.read(into: $0) }
                if n == 0 { throw CoreError(.truncated, "read to the end") }
                counter.add(n)
                if first, let gate { gate.wait() }
                first = false
            }
        }
    }

    @Test("reads only what was reported written, and to the end once complete")
    func followsTheWriter() async throws {
        let (directory, path) = Self.file(100_000)
        _ = directory
        let counter = ReadCounter()
        let verifier = try #require(SpoolVerifier.start(path: path, available: 10_000, peer: "p", verify: Self.reading(into: counter)))
        #expect(try await Self.settle(counter, at: 10_000) == 10_000)
        verifier.advance(to: 60_000)
        #expect(try await Self.settle(counter, at: 60_000) == 60_000)
        verifier.advance(to: 100_000)
        let verdict = await verifier.complete()
        #expect(counter.count == 100_000)
        #expect(throws: CoreError.self) { try verdict.get() }
    }

    @Test("at most maximumLive run at once; a cancelled one stops even with bytes left, and frees its place")
    func bounded() async throws {
        let (directory, path) = Self.file(4 << 20)
        _ = directory
        var running: [SpoolVerifier] = []
        let counters = (0..<SpoolVerifier.maximumLive).map { _ in ReadCounter() }
        let gate = DispatchSemaphore(value: 0)
        for (index, counter) in counters.enumerated() {
            // Nothing reported written yet: each thread waits.
            running.append(try #require(SpoolVerifier.start(path: path, available: 0, peer: "p\(index)",
                                                            verify: Self.reading(into: counter, gate: index == 0 ? gate : nil))))
        }
        #expect(SpoolVerifier.start(path: path, available: 0, peer: "another", verify: Self.reading(into: ReadCounter())) == nil)

        // A verifier told of 4 MiB and cancelled after its first read (held there, so
        // the test does not race it) stops at its next read, not at the end.
        running[0].advance(to: 4 << 20)
        for _ in 0..<500 where counters[0].count == 0 { try await Task.sleep(for: .milliseconds(10)) }
        running[0].cancel()
        gate.signal()
        let verdict = await running[0].complete()
        #expect(throws: CoreError.self) { try verdict.get() }
        #expect(counters[0].count > 0 && counters[0].count < 4 << 20, "read \(counters[0].count) bytes")

        // Its place is free again once its thread has ended.
        var replacement: SpoolVerifier?
        for _ in 0..<100 where replacement == nil {
            replacement = SpoolVerifier.start(path: path, available: 0, peer: "p0", verify: Self.reading(into: ReadCounter()))
            if replacement == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(replacement != nil)
        for verifier in running.dropFirst() + [replacement].compactMap({ $0 }) { verifier.cancel() }
        for verifier in running.dropFirst() + [replacement].compactMap({ $0 }) { _ = await verifier.complete() }
    }

    @Test("one peer gets at most maximumPerPeer verifiers; another peer still gets one")
    func perPeer() async throws {
        let (directory, path) = Self.file(1 << 20)
        _ = directory
        var running: [SpoolVerifier] = []
        for _ in 0..<SpoolVerifier.maximumPerPeer {
            running.append(try #require(SpoolVerifier.start(path: path, available: 0, peer: "greedy", verify: Self.reading(into: ReadCounter()))))
        }
        #expect(SpoolVerifier.start(path: path, available: 0, peer: "greedy", verify: Self.reading(into: ReadCounter())) == nil)
        running.append(try #require(SpoolVerifier.start(path: path, available: 0, peer: "other", verify: Self.reading(into: ReadCounter()))))
        for verifier in running { verifier.cancel() }
        for verifier in running { _ = await verifier.complete() }
    }
}
