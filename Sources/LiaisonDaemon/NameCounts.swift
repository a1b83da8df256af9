/// Counts per name (senders running or waiting, per peer), with no entry for a count of zero.
extension Dictionary where Key == String, Value == Int {
    /// One more for `name`.
    mutating func countUp(_ name: String) {
        self[name, default: 0] += 1
    }

    /// One fewer for `name` (never below zero), dropping its entry at zero; returns what is left.
    mutating func countDown(_ name: String) -> Int {
        let left = Swift.max((self[name] ?? 0) - 1, 0)
        self[name] = left > 0 ? left : nil
        return left
    }
}
