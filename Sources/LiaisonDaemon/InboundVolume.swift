import LiaisonCore
import NIOConcurrencyHelpers

/// What each sender delivered in the last 24 hours, counted by the minute, for the
/// `bytes-per-day` limit. A sender is the fingerprint that names it for life
/// (`PeerRecord.logFingerprint`, the inbox's `sender_key`): what it sent under keys
/// it has rotated away still counts.
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
/// (A clock set back by more than a day after the read would leave minutes out
/// that the read never took; the window is then short until the next start. And a
/// question asked while another reads the same sender's day reads it too rather
/// than wait: right after a start under load, a limited peer's first few pushes may
/// each read its day once.)
final class InboundVolume: Sendable {
    /// The limit's window, and the unit it is counted in, in seconds.
    static let window: Int64 = 86_400
    static let minute: Int64 = 60
    /// Most minutes kept per sender before those out of the window are dropped.
    static let keptMinutes = Int(window / minute) + 1

    private enum Sender {
        /// Its minutes are being read from the store; what is stored meanwhile waits here.
        case reading(stored: [Int64: Int64])
        /// Bytes per minute (Unix time / 60).
        case known([Int64: Int64])
    }

    private let senders = NIOLockedValueBox([NodeFingerprint: Sender]())

    /// Bytes received from `sender` in the 24 hours up to `now` (from the start of
    /// that minute). The first call for a sender reads its minutes with `seed`
    /// (given the window's first second), outside the lock every sender shares; a
    /// package stored meanwhile is in what `seed` reads or added after it (or both).
    func bytes(from sender: NodeFingerprint, now: Int64, seed: (_ since: Int64) throws -> [Int64: Int64]) throws -> Int64 {
        let first = Self.minuteOf(now - Self.window)
        let known = senders.withLockedValue { senders -> [Int64: Int64]? in
            switch senders[sender] {
            case .known(let minutes): return minutes
            case .reading: return nil
            case nil:
                senders[sender] = .reading(stored: [:])
                return nil
            }
        }
        if let known { return Self.total(known, from: first) }
        let read: [Int64: Int64]
        do {
            read = try seed(first * Self.minute)
        } catch {
            // The next question reads again; what was stored meanwhile is in the store.
            senders.withLockedValue { senders in if case .reading = senders[sender] { senders[sender] = nil } }
            throw error
        }
        let minutes = senders.withLockedValue { senders -> [Int64: Int64] in
            switch senders[sender] {
            case .known(let minutes):
                // Another question read them first: its count, kept up since, stands.
                return minutes
            case .reading(let stored):
                let minutes = Self.merged(read, stored)
                senders[sender] = .known(minutes)
                return minutes
            case nil:
                // Another read failed meanwhile: this one answers, and the next question reads again.
                return read
            }
        }
        return Self.total(minutes, from: first)
    }

    /// Counts `bytes` stored from `sender` at `time`. A sender not yet asked about
    /// is left to its first ``bytes(from:now:seed:)``, which reads it from the store.
    func add(_ bytes: Int64, from sender: NodeFingerprint, at time: Int64) {
        let minute = Self.minuteOf(time)
        senders.withLockedValue { senders in
            // Taken out while it changes, so that its minutes are changed in place, not copied.
            switch senders.removeValue(forKey: sender) {
            case .reading(var stored):
                stored[minute, default: 0] = stored[minute, default: 0].saturatingAdd(bytes)
                senders[sender] = .reading(stored: stored)
            case .known(var minutes):
                minutes[minute, default: 0] = minutes[minute, default: 0].saturatingAdd(bytes)
                // Minutes that left the window go once they outnumber those in it.
                if minutes.count > Self.keptMinutes { minutes = minutes.filter { $0.key >= Self.minuteOf(time - Self.window) } }
                senders[sender] = .known(minutes)
            case nil:
                break
            }
        }
    }

    /// The minute `time` falls in (rounded down, also before 1970).
    static func minuteOf(_ time: Int64) -> Int64 {
        time >= 0 ? time / minute : -((-time + minute - 1) / minute)
    }

    private static func total(_ minutes: [Int64: Int64], from first: Int64) -> Int64 {
        minutes.reduce(0) { total, entry in entry.key >= first ? total.saturatingAdd(entry.value) : total }
    }

    /// Both counts added, minute by minute: a package stored during the read may be
    /// in both, and is then counted twice (too much, never too little).
    private static func merged(_ a: [Int64: Int64], _ b: [Int64: Int64]) -> [Int64: Int64] {
        a.merging(b) { $0.saturatingAdd($1) }
    }
}
