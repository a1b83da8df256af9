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
}

/// A token bucket per source address that limits how many handshakes a source
/// may start (each costs the responder two X25519 operations).
///
/// It remembers at most `capacity` sources, in two generations: sources seen
/// lately, and those seen before them. When the first fills half the capacity it
/// becomes the second and the second is forgotten, so a source that keeps coming
/// stays remembered (and throttled) while sources that stopped coming are
/// dropped. A newcomer is never refused for want of room: a flood from more
/// sources than the limiter remembers makes it forget the oldest, which start
/// again with a full bucket (what all such sources cost together is bounded
/// elsewhere: ``NewSourceBudget``). Refusing newcomers instead, as it did before,
/// let a flood from that many addresses lock out a partner dialling from one that
/// was not remembered. Each call costs the same whatever the table holds.
public struct HandshakeRateLimiter: Sendable {
    private var recent: [String: TokenBucket] = [:]
    private var earlier: [String: TokenBucket] = [:]
    /// Handshakes per second allowed in the long run.
    public let ratePerSecond: Double
    /// How many may arrive at once.
    public let burst: Double
    /// Most sources remembered at once (both generations together).
    public let capacity: Int

    /// A limiter allowing `ratePerSecond` with bursts of `burst`, for each of up to
    /// `capacity` sources remembered at once (at least 2).
    public init(ratePerSecond: Double = 5, burst: Double = 20, capacity: Int = 10_000) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.capacity = max(2, capacity)
    }

    /// How many sources are remembered now.
    public var rememberedSources: Int { recent.count + earlier.count }

    /// Takes a token for `source` at time `now` (seconds); false when over the limit.
    public mutating func allow(source: String, now: Double) -> Bool {
        var bucket = recent.removeValue(forKey: source) ?? earlier.removeValue(forKey: source)
            ?? TokenBucket(rate: ratePerSecond, burst: burst)
        let allowed = bucket.take(now: now)
        if recent.count >= capacity / 2 {
            earlier = recent
            recent = [:]
        }
        recent[source] = bucket
        return allowed
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
