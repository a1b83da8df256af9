/// One budget for handshakes from sources that no partner has used lately.
///
/// The per-source limit (``HandshakeRateLimiter``) bounds what one address can cost;
/// it does not bound what many can: each message 1 costs the responder two X25519
/// operations before it knows who sent it, so thousands of sources, each within its
/// share, could take the daemon's CPU. This bucket bounds them all together — but
/// not the few addresses each partner in good standing used in the last
/// ``memorySeconds``: a partner's usual address keeps getting in while strangers
/// queue for the budget. TCP has proved each source address, so none can be
/// borrowed; the caller marks one only once a session from it carried a message
/// that decrypted (a replayed message 1 never does), and at most
/// ``sourcesPerPeer`` per partner, so one partner (or a thief of its keys) cannot
/// make thousands of addresses known. Pure: the caller passes the time.
public struct NewSourceBudget: Sendable {
    private struct Known {
        /// The partner that used it (its lifelong fingerprint).
        var peer: String
        var seen: Double
    }

    private var bucket: TokenBucket
    private var known: [String: Known] = [:]
    /// How long a source stays known after it was last used.
    public let memorySeconds: Double
    /// Most sources remembered for one partner; past it its longest unseen is forgotten.
    public let sourcesPerPeer: Int
    /// Most sources remembered in all; past it the longest unseen is forgotten.
    public let maximumKnown: Int

    /// A budget of `ratePerSecond` handshakes from new sources, bursts of `burst`.
    public init(ratePerSecond: Double, burst: Double, memorySeconds: Double = 86_400, sourcesPerPeer: Int = 4, maximumKnown: Int = 4096) {
        bucket = TokenBucket(rate: ratePerSecond, burst: burst)
        self.memorySeconds = memorySeconds
        self.sourcesPerPeer = sourcesPerPeer
        self.maximumKnown = maximumKnown
    }

    /// Whether a connection from `source` may start a handshake at `now`: always for a
    /// source a partner still `inGoodStanding` (asked of its lifelong fingerprint) used
    /// lately, else if the bucket has a token (taken).
    public mutating func allow(source: String, now: Double, inGoodStanding: (String) -> Bool) -> Bool {
        if let entry = known[source], now - entry.seen < memorySeconds, inGoodStanding(entry.peer) { return true }
        return bucket.take(now: now)
    }

    /// Records that `peer` used `source` for a session at `now`.
    public mutating func used(source: String, by peer: String, now: Double) {
        if known[source]?.peer != peer {
            let theirs = known.filter { $0.value.peer == peer }
            if theirs.count >= sourcesPerPeer, let oldest = theirs.min(by: { $0.value.seen < $1.value.seen }) { known[oldest.key] = nil }
        }
        if known[source] == nil, known.count >= maximumKnown {
            known = known.filter { now - $0.value.seen < memorySeconds }
            if known.count >= maximumKnown, let oldest = known.min(by: { $0.value.seen < $1.value.seen }) { known[oldest.key] = nil }
        }
        known[source] = Known(peer: peer, seen: now)
    }

    /// The partner `source` is known for at `now`, if any.
    public func partner(of source: String, now: Double) -> String? {
        known[source].flatMap { now - $0.seen < memorySeconds ? $0.peer : nil }
    }
}
