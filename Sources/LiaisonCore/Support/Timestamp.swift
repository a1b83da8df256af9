import Foundation

/// Time helpers: Liaison stores Unix seconds and shows RFC 3339 UTC.
public enum Timestamp {
    /// The current Unix time in seconds.
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// `2026-11-26T09:40:00Z`.
    public static func iso8601(_ seconds: Int64) -> String {
        Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }

    /// Parses `2026-11-26T09:40:00Z`.
    public static func parse(_ text: String) -> Int64? {
        guard let date = try? Date(text, strategy: .iso8601) else { return nil }
        return Int64(date.timeIntervalSince1970)
    }

    /// Parses a duration such as `90s`, `45m`, `12h`, `30d`, `2w`.
    public static func parseDuration(_ text: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        guard let unit = text.last, let multiplier = units[unit], let value = Int64(text.dropLast()), value > 0,
              value <= Int64.max / multiplier / 2
        else {
            throw CoreError(.invalidArgument, "\"\(text.prefix(32))\" is not a duration; use a number and a unit: 90s, 45m, 12h, 30d, 2w")
        }
        return value * multiplier
    }
}
