/// A token bucket: `rate` tokens per second up to `burst`. Pure: the caller passes
/// the time, so tests use a manual clock.
public struct TokenBucket: Sendable {
    /// Tokens added per second.
    public let rate: Double
    /// The most tokens held (and so the largest burst).
    public let burst: Double
    private var tokens: Double
    private var updated: Double?

    /// A full bucket.
    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
        self.tokens = burst
    }

    /// Takes a token at time `now` (seconds); false when none is left.
    public mutating func take(now: Double) -> Bool {
        if let updated { tokens = min(burst, tokens + max(0, now - updated) * rate) }
        updated = now
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// Whether the bucket would be full again at `now` (it then carries no history).
    func isFull(at now: Double) -> Bool {
        guard let updated else { return true }
        return tokens + (now - updated) * rate >= burst
    }
}

/// A token bucket per source address that limits how many handshakes a source
/// may start (each costs the responder two X25519 operations).
public struct HandshakeRateLimiter: Sendable {
    private var buckets: [String: TokenBucket] = [:]
    /// Handshakes per second allowed in the long run.
    public let ratePerSecond: Double
    /// How many may arrive at once.
    public let burst: Double
    private let maximumSources = 10_000

    /// A limiter allowing `ratePerSecond` with bursts of `burst`.
    public init(ratePerSecond: Double = 5, burst: Double = 20) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }

    /// Takes a token for `source` at time `now` (seconds); false when over the limit.
    public mutating func allow(source: String, now: Double) -> Bool {
        if buckets.count >= maximumSources && buckets[source] == nil {
            // Forget sources whose buckets have refilled completely.
            buckets = buckets.filter { !$0.value.isFull(at: now) }
            if buckets.count >= maximumSources { return false }
        }
        var bucket = buckets[source] ?? TokenBucket(rate: ratePerSecond, burst: burst)
        defer { buckets[source] = bucket }
        return bucket.take(now: now)
    }
}

/// When a session should switch keys (WireGuard rekeys every 2 minutes; Noise
/// nonces must never wrap). Pure: the caller passes the time.
public struct RekeyPolicy: Sendable {
    /// Rekey after this many messages in one direction.
    public let messageLimit: UInt64
    /// Rekey after this many seconds.
    public let secondsLimit: Double
    private var messages: UInt64 = 0
    private var since: Double

    /// A policy starting at `now`.
    public init(messageLimit: UInt64 = 1 << 20, secondsLimit: Double = 120, now: Double) {
        self.messageLimit = messageLimit
        self.secondsLimit = secondsLimit
        self.since = now
    }

    /// Counts one sent message; true when a `rekey` should be sent before the next.
    public mutating func recordMessage(now: Double) -> Bool {
        messages += 1
        guard messages >= messageLimit || now - since >= secondsLimit else { return false }
        messages = 0
        since = now
        return true
    }
}
