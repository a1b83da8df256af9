import CoreMetrics

/// The daemon's metrics, through swift-metrics (exported by the Prometheus
/// endpoint when `[daemon] metrics-listen` is set). Labels never carry secrets or
/// package contents: at most a peer name and a reason code.
enum DaemonMetrics {
    /// Creates the series operators alert on, at zero, so that a scrape shows them
    /// (and an alert on their rate works) before their first increment.
    static func registerAlertSeries() {
        _ = Counter(label: "liaison_audit_failures_total")
        _ = Counter(label: "liaison_audit_refusals_suppressed_total")
    }

    static func handshake(accepted: Bool, reason: String) {
        Counter(label: "liaison_handshakes_total", dimensions: [("result", accepted ? "accepted" : "rejected"), ("reason", reason)]).increment()
    }

    static func received(peer: String, bytes: Int) {
        Counter(label: "liaison_packages_received_total", dimensions: [("peer", peer)]).increment()
        Counter(label: "liaison_received_bytes_total", dimensions: [("peer", peer)]).increment(by: bytes)
    }

    static func refused(peer: String, reason: String) {
        Counter(label: "liaison_packages_refused_total", dimensions: [("peer", peer), ("reason", reason)]).increment()
    }

    static let deliverySecondsLabel = "liaison_delivery_seconds"
    /// From an idle link's milliseconds to a partner away for a day: queued → receipt.
    static let deliverySecondsBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(300), .seconds(900), .seconds(3600), .seconds(6 * 3600), .seconds(86_400),
    ]

    /// A delivery closed by its receipt, `secondsSinceQueued` after it was queued.
    static func delivered(peer: String, bytes: Int64, secondsSinceQueued: Double) {
        Counter(label: "liaison_packages_delivered_total", dimensions: [("peer", peer)]).increment()
        Counter(label: "liaison_sent_bytes_total", dimensions: [("peer", peer)]).increment(by: Int(bytes))
        Timer(label: deliverySecondsLabel, dimensions: [("peer", peer)])
            .recordNanoseconds(Int64(min(max(0, secondsSinceQueued), 1e9) * 1e9))
    }

    static func deliveryFailed(peer: String) {
        Counter(label: "liaison_delivery_failures_total", dimensions: [("peer", peer)]).increment()
    }

    static func queued(_ count: Int) {
        Gauge(label: "liaison_outbox_queued").record(count)
    }

    static func auditSuppressed() {
        Counter(label: "liaison_audit_refusals_suppressed_total").increment()
    }

    static func auditFailure() {
        Counter(label: "liaison_audit_failures_total").increment()
    }

    static func controlRequest(_ command: String) {
        Counter(label: "liaison_control_requests_total", dimensions: [("command", command)]).increment()
    }
}
