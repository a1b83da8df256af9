import NIOConcurrencyHelpers
import NIOCore

/// The sessions open with each peer right now, inbound and outbound, so that
/// revoking or blocking a peer ends them at once instead of at their next timeout.
final class LiveSessions: Sendable {
    private let channels = NIOLockedValueBox([String: [ObjectIdentifier: Channel]]())

    /// Registers `channel` as a session with the peer `fingerprint`; call ``remove(_:peer:)`` when it ends.
    func add(_ channel: Channel, peer fingerprint: String) {
        _ = add(channel, peer: fingerprint, limit: .max)
    }

    /// Registers `channel` as ``add(_:peer:)`` does, unless the peer already has
    /// `limit` sessions open; false (and nothing registered) then.
    func add(_ channel: Channel, peer fingerprint: String, limit: Int) -> Bool {
        channels.withLockedValue { all in
            guard all[fingerprint, default: [:]].count < limit else { return false }
            all[fingerprint, default: [:]][ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: Channel, peer fingerprint: String) {
        channels.withLockedValue { all in
            all[fingerprint]?[ObjectIdentifier(channel)] = nil
            if all[fingerprint]?.isEmpty == true { all[fingerprint] = nil }
        }
    }

    /// How many sessions are open with the peer.
    func count(peer fingerprint: String) -> Int {
        channels.withLockedValue { $0[fingerprint]?.count ?? 0 }
    }

    /// How many sessions are open with all peers, and with how many peers.
    var total: (sessions: Int, peers: Int) {
        channels.withLockedValue { all in (all.values.reduce(0) { $0 + $1.count }, all.count) }
    }

    /// Closes every session with the peer; returns how many there were.
    @discardableResult
    func cut(peer fingerprint: String) -> Int {
        let open = channels.withLockedValue { $0.removeValue(forKey: fingerprint) ?? [:] }
        for channel in open.values { channel.close(promise: nil) }
        return open.count
    }
}
