import LiaisonWire
import NIOConcurrencyHelpers
import NIOCore

/// The daemon's inbound connection slots (`max-connections`), shared by every
/// listen address: ``ConnectionAdmission`` over real channels. A connection
/// still in its handshake is one of at most `max-handshakes-per-source` from its
/// source, and the oldest of them is closed when a newcomer needs its slot.
final class InboundAdmission: Sendable {
    private struct State {
        var slots: ConnectionAdmission<ObjectIdentifier>
        var channels: [ObjectIdentifier: Channel] = [:]
    }

    private let state: NIOLockedValueBox<State>

    init(capacity: Int, perSource: Int) {
        state = NIOLockedValueBox(State(slots: ConnectionAdmission(capacity: capacity, perSource: perSource)))
    }

    /// Admits `channel` from `source` (``source(of:)``), closing the connection
    /// whose slot it takes, if any; otherwise says why not. An admitted channel
    /// must be let go with ``leave(_:)``.
    func admit(_ channel: Channel, source: String) -> ConnectionAdmission<ObjectIdentifier>.Decision {
        let (decision, evicted) = state.withLockedValue { state -> (ConnectionAdmission<ObjectIdentifier>.Decision, Channel?) in
            let decision = state.slots.arrive(ObjectIdentifier(channel), source: source)
            switch decision {
            case .admit:
                state.channels[ObjectIdentifier(channel)] = channel
                return (decision, nil)
            case .admitEvicting(let oldest):
                state.channels[ObjectIdentifier(channel)] = channel
                return (decision, state.channels.removeValue(forKey: oldest))
            case .refuseSourceBusy, .refuseFull:
                return (decision, nil)
            }
        }
        evicted?.close(promise: nil)
        return decision
    }

    /// `channel` finished its handshake: it keeps its slot until it closes.
    func authenticate(_ channel: Channel) {
        state.withLockedValue { $0.slots.authenticate(ObjectIdentifier(channel)) }
    }

    /// `channel` closed: its slot is free (nothing, if it was closed to free it).
    func leave(_ channel: Channel) {
        state.withLockedValue { state in
            guard state.channels.removeValue(forKey: ObjectIdentifier(channel)) != nil else { return }
            state.slots.leave(ObjectIdentifier(channel))
        }
    }

    /// The source per-source limits count a connection from `address` against
    /// (``SourceAddress``): an IPv4 address or an IPv6 /64.
    static func source(of address: SocketAddress?) -> String {
        let bytes: [UInt8]
        switch address {
        case .v4(let ip)?: bytes = withUnsafeBytes(of: ip.address.sin_addr) { Array($0) }
        case .v6(let ip)?: bytes = withUnsafeBytes(of: ip.address.sin6_addr) { Array($0) }
        default: return "unknown"
        }
        return SourceAddress.key(bytes) ?? "unknown"
    }
}
