import Logging
import NIOConcurrencyHelpers
@testable import LiaisonDaemon
import Testing

/// Refusals anyone can cause are logged within a budget, and what was left out is said.
@Suite("RefusalLog: a flood of refused connections is not a flood of log lines")
struct RefusalLogTests {
    /// Collects the messages logged.
    struct Collector: LogHandler {
        let lines: NIOLockedValueBox<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            lines.withLockedValue { $0.append(event.message.description) }
        }
    }

    @Test("a burst of 60, then one every 10 s that says how many were left out")
    func budget() {
        let lines = NIOLockedValueBox<[String]>([])
        let clock = NIOLockedValueBox(1000.0)
        let log = RefusalLog(logger: Logger(label: "test") { _ in Collector(lines: lines) }, now: { clock.withLockedValue { $0 } })
        for n in 0..<1000 { log.log(.notice, "refused \(n)") }
        #expect(lines.withLockedValue { $0.count } == 60)
        clock.withLockedValue { $0 += 10 }
        log.log(.notice, "refused after")
        #expect(lines.withLockedValue { $0.last } == "refused after (940 more such refusals not logged since the last one)")
        clock.withLockedValue { $0 += 10 }
        log.log(.notice, "refused later")
        #expect(lines.withLockedValue { $0.last } == "refused later")
    }
}
