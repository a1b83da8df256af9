/// One budget for handshakes from sources that have not authenticated lately.
///
/// The per-source limit (``HandshakeRateLimiter``) bounds what one address can cost;
/// it does not bound what many can: each message 1 costs the responder two X25519
/// operations before it knows who sent it, so thousands of sources, each within its
/// share, could take the daemon's CPU. This bucket bounds them all together — but
/// only the sources that have not completed a handshake with this node in the last
/// ``memorySeconds``: a partner's usual address keeps getting in while strangers
/// queue for the budget (TCP has proved each source address, so it cannot be
/// borrowed). Pure: the caller passes the time.
public struct NewSourceBudget: Sendable {
    private var bucket: TokenBucket
    /// Source → when a handshake from it last succeeded (seconds).
    private var known: [String: Double] = [:]
    /// How long a source stays known after its last successful handshake.
    public let memorySeconds: Double
    /// Most sources remembered; past it the longest unseen is forgotten.
    public let maximumKnown: Int

    /// A budget of `ratePerSecond` handshakes from new sources, bursts of `burst`.
    public init(ratePerSecond: Double, burst: Double, memorySeconds: Double = 86_400, maximumKnown: Int = 4096) {
        bucket = TokenBucket(rate: ratePerSecond, burst: burst)
        self.memorySeconds = memorySeconds
        self.maximumKnown = maximumKnown
    }

    /// Whether a connection from `source` may start a handshake at `now`: always for a
    /// known source, else if the bucket has a token (taken).
    public mutating func allow(source: String, now: Double) -> Bool {
        if let seen = known[source], now - seen < memorySeconds { return true }
        return bucket.take(now: now)
    }

    /// Records that a handshake from `source` succeeded at `now`.
    public mutating func authenticated(source: String, now: Double) {
        if known[source] == nil, known.count >= maximumKnown {
            known = known.filter { now - $0.value < memorySeconds }
            if known.count >= maximumKnown, let oldest = known.min(by: { $0.value < $1.value }) { known[oldest.key] = nil }
        }
        known[source] = now
    }

    /// Whether `source` is known at `now`.
    public func isKnown(_ source: String, now: Double) -> Bool {
        known[source].map { now - $0 < memorySeconds } ?? false
    }
}
