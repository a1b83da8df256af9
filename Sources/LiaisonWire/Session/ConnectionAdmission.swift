/// Who holds a responder's connection slots. A connection still in its handshake
/// is one of at most `perSource` from its source; once it authenticates it keeps
/// its slot and no longer counts against the source. When every slot is taken, a
/// connection still in its handshake gives its slot to a newcomer: the oldest of
/// the source with the most of them.
///
/// So a source that opens connections and stays silent holds a few slots, and only
/// until newer connections need them, and it gives them up before a partner (one
/// handshake from its address, finished in milliseconds) gives up its own. Pure:
/// the caller closes what it is told to.
public struct ConnectionAdmission<Ticket: Hashable & Sendable>: Sendable {
    /// What to do with an arriving connection.
    public enum Decision: Equatable, Sendable {
        /// Serve it.
        case admit
        /// Serve it, and close `ticket` (the oldest connection still in its handshake
        /// of the source with the most), whose slot it takes.
        case admitEvicting(Ticket)
        /// Close it: its source already has `perSource` connections in their handshakes.
        case refuseSourceBusy
        /// Close it: every slot is held by an authenticated session.
        case refuseFull
    }

    /// Most connections at once.
    public let capacity: Int
    /// Most connections in their handshakes from one source.
    public let perSource: Int

    private var pending: [Ticket: (source: String, arrival: UInt64)] = [:]
    private var pendingBySource: [String: Int] = [:]
    private var authenticated: Set<Ticket> = []
    private var arrivals: UInt64 = 0

    /// Slots for `capacity` connections, at most `perSource` of them in their handshakes from one source.
    public init(capacity: Int, perSource: Int) {
        self.capacity = max(1, capacity)
        self.perSource = max(1, perSource)
    }

    /// Connections holding a slot.
    public var count: Int { pending.count + authenticated.count }

    /// Decides on `ticket`, arriving from `source` (see ``SourceAddress``).
    public mutating func arrive(_ ticket: Ticket, source: String) -> Decision {
        guard pendingBySource[source, default: 0] < perSource else { return .refuseSourceBusy }
        var evicted: Ticket?
        if count >= capacity {
            guard let busiest = pendingBySource.max(by: { $0.value < $1.value })?.value,
                  let oldest = pending.filter({ pendingBySource[$0.value.source] == busiest })
                      .min(by: { $0.value.arrival < $1.value.arrival })?.key else { return .refuseFull }
            leave(oldest)
            evicted = oldest
        }
        arrivals += 1
        pending[ticket] = (source, arrivals)
        pendingBySource[source, default: 0] += 1
        return evicted.map(Decision.admitEvicting) ?? .admit
    }

    /// `ticket` finished its handshake: it keeps its slot and can no longer be evicted.
    public mutating func authenticate(_ ticket: Ticket) {
        guard pending[ticket] != nil else { return }
        leave(ticket)
        authenticated.insert(ticket)
    }

    /// `ticket` closed (or was evicted: then this does nothing).
    public mutating func leave(_ ticket: Ticket) {
        authenticated.remove(ticket)
        guard let (source, _) = pending.removeValue(forKey: ticket) else { return }
        let left = pendingBySource[source, default: 1] - 1
        pendingBySource[source] = left > 0 ? left : nil
    }
}
