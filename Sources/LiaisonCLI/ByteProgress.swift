import Foundation

/// A progress line on standard error while bytes stream to the daemon (a large
/// `send`): only on a terminal, first after a quarter of a second (short work
/// shows nothing), then at most four times a second, with the total and the
/// share done when the size is known.
final class ByteProgress {
    private let total: Int64?
    private let label: String
    private let enabled: Bool
    private let interval: Duration
    private let write: (String) -> Void
    private var done: Int64 = 0
    private var lastShown: ContinuousClock.Instant
    private var shown = false

    /// Progress towards `total` bytes (nil when unknown, e.g. standard input).
    init(total: Int64?, label: String, enabled: Bool = isatty(STDERR_FILENO) == 1, interval: Duration = .milliseconds(250),
         write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.total = total
        self.label = label
        self.enabled = enabled
        self.interval = interval
        self.write = write
        lastShown = ContinuousClock.now
    }

    /// Counts `n` more bytes and redraws the line if it is time to.
    func advance(by n: Int) {
        done += Int64(n)
        guard enabled else { return }
        let now = ContinuousClock.now
        guard now - lastShown >= interval else { return }
        lastShown = now
        shown = true
        write("\r" + line)
    }

    /// Ends the line, if one was drawn.
    func finish() {
        if enabled && shown { write("\r" + line + "\n") }
    }

    /// What the line says now, e.g. `sending: 512.0 MiB of 1.0 GiB (50 %)`.
    var line: String {
        guard let total, total > 0 else { return "\(label): \(ByteCount.format(done))" }
        return "\(label): \(ByteCount.format(done)) of \(ByteCount.format(total)) (\(done * 100 / total) %)"
    }
}
