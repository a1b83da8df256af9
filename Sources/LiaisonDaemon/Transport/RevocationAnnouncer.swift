import LiaisonControl
import LiaisonCore
import LiaisonWire
import NIOCore

/// Tells partners that this node revoked its own identity key: dials each one,
/// sends the signed statement in a `revocation` message, and counts it told once
/// the partner closes the session with `revoked` (its acknowledgement).
struct RevocationAnnouncer {
    let context: DaemonContext
    let group: EventLoopGroup

    /// What one round of telling achieved.
    struct Outcome {
        /// Names of the peers that acknowledged the statement.
        var told: [String] = []
        /// Peers that could not be told, with why.
        var unreached: [RevocationReport.UnreachedPeer] = []
        /// Fingerprints of the unreached peers (to retry later).
        var unreachedFingerprints: [String] = []
    }


    /// Tells every one of `peers`, at most ``PartnerFanOut/maximumConcurrent`` at a
    /// time; each attempt is bounded by the dialer's connect and handshake timeouts
    /// and the session's idle timeout.
    func announce(_ statement: RevocationStatement, to peers: [PeerRecord]) async -> Outcome {
        let results = await PartnerFanOut.tellEach(peers) { peer in await tell(peer, statement) }
        var outcome = Outcome()
        for (peer, failure) in results {
            if let failure {
                outcome.unreached.append(.init(peer: peer.name, reason: failure))
                outcome.unreachedFingerprints.append(peer.fingerprint.description)
            } else {
                outcome.told.append(peer.name)
            }
        }
        return outcome
    }

    /// nil once `peer` acknowledged the statement, otherwise why not. One message
    /// and its answer, given the idle timeout in all (a peer answering a byte at a
    /// time cannot hold the announcement).
    private func tell(_ peer: PeerRecord, _ statement: RevocationStatement) async -> String? {
        guard !peer.addresses.isEmpty else { return "it has no address; hand it \(context.home.revocationPath)" }
        do {
            let until = NIODeadline.now() + context.settings.idleTimeout
            let reply = try await PeerDialer(context: context, group: group).withSession(to: peer, until: until) { session in
                try await session.send(.revocation(statement.encoded))
                return try await session.receive()
            }
            guard case .close(reason: .revoked)? = reply else { return "the peer did not acknowledge the revocation" }
            context.logger.notice("told \(peer.name) that this node's identity key is revoked")
            return nil
        } catch {
            return PartnerFanOut.reason(error)
        }
    }
}
