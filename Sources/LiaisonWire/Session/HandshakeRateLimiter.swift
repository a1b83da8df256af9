/// A token bucket per source address that limits how many handshakes a source
/// may start (each costs the responder two X25519 operations). Pure: the caller
/// passes the time, so tests use a manual clock.
public struct HandshakeRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    private var buckets: [String: Bucket] = [:]
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
            // Forget sources that have refilled completely; they carry no history.
            buckets = buckets.filter { now - $0.value.updated < burst / ratePerSecond }
            if buckets.count >= maximumSources { return false }
        }
        var bucket = buckets[source] ?? Bucket(tokens: burst, updated: now)
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * ratePerSecond)
        bucket.updated = now
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[source] = bucket
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
