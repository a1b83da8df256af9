extension Duration {
    /// The duration in seconds, as a `Double` (for rates, timeouts given to
    /// Foundation, and figures).
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
