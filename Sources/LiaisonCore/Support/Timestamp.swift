#if canImport(Glibc)
import Glibc
#endif

/// Time helpers: Liaison stores Unix seconds and shows RFC 3339 UTC
/// (`2026-11-26T09:40:00Z`). Formatting and parsing use the C library directly:
/// Foundation's date formatting loads ICU, which costs milliseconds per CLI run.
public enum Timestamp {
    /// The current Unix time in seconds.
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec)
    }

    /// The current Unix time in milliseconds (audit events).
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// `2026-11-26T09:40:00Z`. Times a peer may control can be absurd: years past
    /// 9999 (or before 1) are shown clamped, never trapped on.
    public static func iso8601(_ seconds: Int64) -> String {
        // 0001-01-01 .. 9999-12-31T23:59:59Z
        var time = time_t(min(max(seconds, -62_135_596_800), 253_402_300_799))
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "invalid-time" }
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))T"
            + "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))Z"
    }

    /// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (UTC, no fractions, no offsets), the
    /// form Liaison writes. Returns `nil` for anything else or an impossible date.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard b.count == 20, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T"),
              b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"), b[19] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int32? {
            var value: Int32 = 0
            for i in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b[i]) else { return nil }
                value = value * 10 + Int32(b[i] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60, year >= 1970
        else { return nil }
        var parts = tm()
        parts.tm_year = year - 1900
        parts.tm_mon = month - 1
        parts.tm_mday = day
        parts.tm_hour = hour
        parts.tm_min = minute
        parts.tm_sec = second
        let seconds = Int64(timegm(&parts))
        // timegm normalises 31 February into March: refuse dates that moved.
        guard iso8601(seconds) == text else { return nil }
        return seconds
    }

    /// The shortest exact text for a duration: `30d`, `36h`, `90m`, `45s`.
    public static func durationText(_ seconds: Int64) -> String {
        for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)] where seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }

    /// Parses a duration such as `90s`, `45m`, `12h`, `30d`, `2w`.
    public static func parseDuration(_ text: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let unit = text.last, units[unit] != nil, let value = Int64(text.dropLast()), value <= 0 {
            throw CoreError(.invalidArgument, "\"\(text.prefix(32))\" is no time at all; a duration must be positive: 90s, 45m, 12h, 30d, 2w")
        }
        guard let unit = text.last, let multiplier = units[unit], let value = Int64(text.dropLast()), value > 0,
              value <= Int64.max / multiplier / 2
        else {
            throw CoreError(.invalidArgument, "\"\(text.prefix(32))\" is not a duration; use a number and a unit: 90s, 45m, 12h, 30d, 2w")
        }
        return value * multiplier
    }
}
