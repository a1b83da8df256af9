import Foundation
import LiaisonCore

/// A progress line on standard error for long work — entries exported or
/// verified, bytes streamed to the daemon: only on a terminal, first after a
/// quarter of a second (short work shows nothing), then at most four times a
/// second, with the total and the share done when the total is known.
final class ProgressLine {
    /// What is counted, and how a count is shown.
    enum Unit {
        case entries
        case bytes

        func format(_ count: Int64) -> String {
            switch self {
            case .entries: "\(count)"
            case .bytes: ByteCount.format(count)
            }
        }
    }

    private let total: Int64?
    private let label: String
    private let unit: Unit
    private let enabled: Bool
    private let interval: Duration
    private let write: (String) -> Void
    private var done: Int64 = 0
    private var lastShown: ContinuousClock.Instant
    private var shown = false

    /// Progress towards `total` (nil when unknown, e.g. standard input).
    init(total: Int64?, label: String, unit: Unit, enabled: Bool = isatty(STDERR_FILENO) == 1, interval: Duration = .milliseconds(250),
         write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        self.label = label
        self.unit = unit
        self.enabled = enabled
        self.interval = interval
        self.write = write
        lastShown = ContinuousClock.now
    }

    /// Counts `n` more and redraws the line if it is time to.
    func advance(by n: Int = 1) {
        reached(done + Int64(n))
    }

    /// Sets the count done so far and redraws the line if it is time to.
    func reached(_ count: Int64) {
        done = count
        guard enabled else { return }
        let now = ContinuousClock.now
        guard now - lastShown >= interval else { return }
        lastShown = now
        shown = true
        write("\r" + line)
    }

    /// Ends the line, if one was drawn (once).
    func finish() {
        guard enabled && shown else { return }
        write("\r" + line + "\n")
        shown = false
    }

    /// What the line says now, e.g. `sending: 512.0 MiB of 1.0 GiB (50 %)` or
    /// `verifying: 65536 of 1000000 entries (6 %)`.
    var line: String {
        let noun = unit == .entries ? " entries" : ""
        guard let total, total > 0 else { return "\(label): \(unit.format(done))\(noun)" }
        return "\(label): \(unit.format(done)) of \(unit.format(total))\(noun) (\(done * 100 / total) %)"
    }
}
