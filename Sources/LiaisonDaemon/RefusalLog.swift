import Logging
import NIOConcurrencyHelpers

/// Log lines for connections refused before anyone is authenticated (rate limit,
/// full slots, undecryptable or unknown handshakes): anyone who can reach the port
/// causes them, so they are limited like their audit entries, to bursts of 60 and
/// one every 10 s after, the rest counted and said with the next line that goes
/// out. Otherwise a flood of connections would flood the journal (which then drops
/// real warnings) or a container's log file.
final class RefusalLog: Sendable {
    /// One budget per level, so a flood of notices cannot hide a warning.
    private let budgets = NIOLockedValueBox([Logger.Level: RefusalBudget]())
    private let logger: Logger
    private let now: @Sendable () -> Double

    /// Lines go to `logger`; `now` (seconds) times the budget.
    init(logger: Logger, now: @escaping @Sendable () -> Double = SecureSession.now) {
        self.logger = logger
        self.now = now
    }

    /// Logs `message` at `level` (through `logger`, with its metadata, if given) if the
    /// budget allows, with how many were left out since.
    func log(_ level: Logger.Level, _ message: @autoclosure () -> String, via logger: Logger? = nil) {
        let target = logger ?? self.logger
        // A line the level filters out takes nothing from the budget.
        guard level >= target.logLevel else { return }
        let suppressed = budgets.withLockedValue { budgets in
            budgets[level, default: RefusalBudget(rate: 0.1, burst: 60)].admit(now: now())
        }
        guard let suppressed else { return }
        let note = suppressed > 0 ? " (\(suppressed) more such refusals not logged since the last one)" : ""
        target.log(level: level, "\(message())\(note)")
    }
}
