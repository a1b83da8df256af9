import LiaisonCore
import NIOConcurrencyHelpers

/// What each sender delivered in the last 24 hours, counted by the minute, for the
/// `bytes-per-day` limit.
///
/// Summing the inbox for every package offered cost in proportion to the day's
/// traffic from that peer (8.7 ms a push at 200,000 packages a day), so a limited
/// peer could make each of its pushes dearer by sending more. Now a sender's
/// minutes are read from the store once, the first time its volume is asked for,
/// and every package the daemon stores afterwards is added (``add(_:from:at:)``).
///
/// The daemon is the inbox's only writer, so the two agree, except that a package
/// stored while its sender's minutes were being read may be counted twice: too
/// much, never too little, so the limit still fails closed. The window starts at
/// the beginning of the minute 24 hours ago: up to a minute more than a day counts.
final class InboundVolume: Sendable {
    /// The limit's window, and the unit it is counted in, in seconds.
    static let window: Int64 = 86_400
    static let minute: Int64 = 60

    /// Per sender fingerprint, bytes per minute (Unix time / 60) of the window.
    private let senders = NIOLockedValueBox([NodeFingerprint: [Int64: Int64]]())

    /// Bytes received from `sender` in the 24 hours up to `now` (from the start of
    /// that minute). The first call for a sender reads its minutes with `seed`
    /// (given the window's first second), holding the others back meanwhile: a
    /// package stored then is in what `seed` reads or added after it.
    func bytes(from sender: NodeFingerprint, now: Int64, seed: (_ since: Int64) throws -> [Int64: Int64]) throws -> Int64 {
        let first = Self.minuteOf(now - Self.window)
        return try senders.withLockedValue { senders in
            var minutes = try senders[sender] ?? seed(first * Self.minute)
            // Minutes that left the window go once they outnumber those in it.
            if minutes.count > Int(Self.window / Self.minute) + 1 { minutes = minutes.filter { $0.key >= first } }
            senders[sender] = minutes
            var total: Int64 = 0
            for (minute, bytes) in minutes where minute >= first {
                let (sum, overflowed) = total.addingReportingOverflow(bytes)
                total = overflowed ? .max : sum
            }
            return total
        }
    }

    /// Counts `bytes` stored from `sender` at `time`. A sender not yet asked about
    /// is left to its first ``bytes(from:now:seed:)``, which reads it from the store.
    func add(_ bytes: Int64, from sender: NodeFingerprint, at time: Int64) {
        senders.withLockedValue { senders in
            guard senders[sender] != nil else { return }
            let (sum, overflowed) = senders[sender]![Self.minuteOf(time), default: 0].addingReportingOverflow(bytes)
            senders[sender]![Self.minuteOf(time)] = overflowed ? .max : sum
        }
    }

    /// The minute `time` falls in (rounded down, also before 1970).
    static func minuteOf(_ time: Int64) -> Int64 {
        time >= 0 ? time / minute : -((-time + minute - 1) / minute)
    }
}
