/// The `[daemon]` section of `liaison.toml`: timers and limits of `liaisond`.
/// Every key is optional; the defaults suit a production node.
public struct DaemonTunables: Sendable, Equatable {
    /// Seconds a handshake may take before the connection is dropped.
    public var handshakeTimeoutSeconds: Int64 = 5
    /// Seconds without traffic before a connection is closed.
    public var idleTimeoutSeconds: Int64 = 60
    /// Most simultaneous inbound connections.
    public var maximumConnections: Int64 = 256
    /// Most simultaneous connections to the control socket; one more is refused
    /// with `control.busy`.
    public var maximumControlConnections: Int64 = 64
    /// Most of them one user (uid) may hold, so that one user of the socket cannot
    /// take every slot; nil for ``controlConnectionsPerUser``'s default.
    public var maximumControlConnectionsPerUser: Int64?
    /// Seconds the daemon waits on a control client, for each frame of its request
    /// and for room to write each frame of the reply, before cutting it off.
    public var controlTimeoutSeconds: Int64 = 30
    /// Most inbound connections from one source (an IPv4 address or an IPv6 /64)
    /// still in their handshakes.
    public var maximumHandshakesPerSource: Int64 = 8
    /// Most sessions open with one peer, inbound and outbound.
    public var maximumSessionsPerPeer: Int64 = 16
    /// Largest package accepted from a peer, in bytes.
    public var maximumPackageBytes: Int64 = 8 << 30
    // Key paths are immutable values; the array is never mutated.
    /// First retry delay and its ceiling, in seconds (doubling, jittered).
    public var retryInitialSeconds: Int64 = 1
    public var retryMaximumSeconds: Int64 = 300
    /// Handshakes per second per source address, and the burst allowed.
    public var handshakesPerSecond: Int64 = 20
    public var handshakeBurst: Int64 = 50
    /// Handshakes per minute from one peer, whatever its source (a quarter of it at once).
    public var peerHandshakesPerMinute: Int64 = 120
    /// Handshakes per second from sources that completed none in the last day, all of
    /// them together, and the burst allowed (``NewSourceBudget``).
    public var newSourceHandshakesPerSecond: Int64 = 100
    public var newSourceHandshakeBurst: Int64 = 200
    /// Rekey a session direction after this many seconds or messages.
    public var rekeySeconds: Int64 = 120
    public var rekeyMessages: Int64 = 1 << 20
    /// A sender ends a session this old after its current batch and dials again (a
    /// fresh key agreement); a receiver ends one twice as old.
    public var sessionLifetimeSeconds: Int64 = 600
    /// MiB of the home volume that packages never take: incoming packages and new
    /// sends are refused for now while they would leave less free, so the store and
    /// the audit log keep room to record (0 turns it off).
    public var diskReserveMiB: Int64 = 256
    /// Seconds after a partner's key rotation's overlap ends before this node takes
    /// another rotation from it (none is taken while that overlap is open): each one
    /// rewrites the keyring and adds to the audit log and `keys/peer-rotations.txt`.
    public var peerRotationIntervalSeconds: Int64 = 3600

    /// Where to serve Prometheus metrics (`host:port`), or nil for nowhere.
    public var metricsListen: String?

    /// The defaults.
    public init() {}

    /// The control connections one user may hold: as set, or three quarters of
    /// ``maximumControlConnections`` and never all of them (one, when there is one),
    /// so that one user alone cannot take every slot.
    public var controlConnectionsPerUser: Int64 {
        if let set = maximumControlConnectionsPerUser { return set }
        let total = maximumControlConnections
        return total < 2 ? total : min(total - 1, total - total / 4)
    }

    nonisolated(unsafe) static let keys: [(String, WritableKeyPath<DaemonTunables, Int64>, ClosedRange<Int64>)] = [
        ("handshake-timeout-seconds", \.handshakeTimeoutSeconds, 1...120),
        ("idle-timeout-seconds", \.idleTimeoutSeconds, 1...86_400),
        ("max-connections", \.maximumConnections, 1...100_000),
        ("max-control-connections", \.maximumControlConnections, 1...10_000),
        ("control-timeout-seconds", \.controlTimeoutSeconds, 1...3600),
        ("max-handshakes-per-source", \.maximumHandshakesPerSource, 1...100_000),
        ("max-sessions-per-peer", \.maximumSessionsPerPeer, 1...100_000),
        ("max-package-bytes", \.maximumPackageBytes, 1024...(1 << 40)),
        ("retry-initial-seconds", \.retryInitialSeconds, 1...3600),
        ("retry-maximum-seconds", \.retryMaximumSeconds, 1...86_400),
        ("handshakes-per-second", \.handshakesPerSecond, 1...10_000),
        ("handshake-burst", \.handshakeBurst, 1...100_000),
        ("peer-handshakes-per-minute", \.peerHandshakesPerMinute, 4...100_000),
        ("new-source-handshakes-per-second", \.newSourceHandshakesPerSecond, 1...100_000),
        ("new-source-handshake-burst", \.newSourceHandshakeBurst, 1...1_000_000),
        ("rekey-seconds", \.rekeySeconds, 1...86_400),
        ("rekey-messages", \.rekeyMessages, 16...(1 << 40)),
        ("session-lifetime-seconds", \.sessionLifetimeSeconds, 1...86_400),
        ("disk-reserve-mib", \.diskReserveMiB, 0...(1 << 30)),
        ("peer-rotation-interval-seconds", \.peerRotationIntervalSeconds, 60...2_592_000),
    ]

    init(table: TOMLTable) throws {
        try table.rejectUnknownKeys(allowed: Set(Self.keys.map(\.0) + ["metrics-listen", "max-control-connections-per-user"]))
        if let metrics = try table.string("metrics-listen") {
            try table.checked("metrics-listen") { try NetworkAddress.validate(metrics) }
            metricsListen = metrics
        }
        for (key, path, range) in Self.keys {
            guard let value = try table.integer(key) else { continue }
            guard range.contains(value) else {
                throw table.error(forKey: key, "\(table.keyPath(key)) must be within \(range.lowerBound)…\(range.upperBound)")
            }
            self[keyPath: path] = value
        }
        if let perUser = try table.integer("max-control-connections-per-user") {
            let key = "max-control-connections-per-user"
            guard (1...maximumControlConnections).contains(perUser) else {
                throw table.error(forKey: key, "\(table.keyPath(key)) must be within 1…\(maximumControlConnections) (max-control-connections)")
            }
            maximumControlConnectionsPerUser = perUser
        }
    }
}
