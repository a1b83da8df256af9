import LiaisonWire

/// A token bucket that counts what it turns away: refusals someone else causes
/// (audit entries, log lines) are let through within a budget, and the next one
/// let through says how many were left out since.
struct RefusalBudget: Sendable {
    private var bucket: TokenBucket
    private var suppressed = 0

    /// `rate` a second in the long run, `burst` at once.
    init(rate: Double, burst: Double) {
        bucket = TokenBucket(rate: rate, burst: burst)
    }

    /// How many were turned away since the last one admitted, if this one is admitted
    /// at `now` (seconds); nil, and counted, if it is over the budget.
    mutating func admit(now: Double) -> Int? {
        guard bucket.take(now: now) else {
            suppressed += 1
            return nil
        }
        defer { suppressed = 0 }
        return suppressed
    }
}
