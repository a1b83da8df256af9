import LiaisonCore

/// The times `audit query --since/--until` take: a UTC time (2026-11-26T09:40:00Z),
/// a day (2026-11-26: its start, UTC), or a duration back from now (90s, 45m, 12h,
/// 30d, 2w), turned into the UTC time the daemon takes. Found in an operator's trial:
/// only the first was accepted, and "the last ten minutes" needed a clock at hand.
enum AuditQueryTime {
    /// `text` as a UTC time, `now` being the current Unix time; nil if it is none of the three forms.
    static func resolve(_ text: String, now: Int64 = Timestamp.now()) -> String? {
        if let seconds = Timestamp.parse(text) { return Timestamp.iso8601(seconds) }
        if text.count == 10, let seconds = Timestamp.parse(text + "T00:00:00Z") { return Timestamp.iso8601(seconds) }
        if let back = try? Timestamp.parseDuration(text) { return Timestamp.iso8601(now - back) }
        return nil
    }

    /// What the options take, for their help and errors.
    static let forms = "a UTC time (2026-11-26T09:40:00Z), a day (2026-11-26), or a duration back from now (45m, 12h, 7d)"
}
