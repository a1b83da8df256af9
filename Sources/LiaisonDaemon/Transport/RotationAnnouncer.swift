import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonWire
import NIOCore

/// Tells partners that this node rotated its keys: dials each one with the previous
/// transport key (the only one it knows), sends the statement in a `rotation`
/// message, and counts it told once it answers `rotationAccepted`. A told partner
/// is struck off `keys/rotation-pending.txt`; from then on this node dials it with
/// its new keys.
struct RotationAnnouncer {
    let context: DaemonContext
    let group: EventLoopGroup


    /// What one round of telling achieved.
    struct Outcome {
        /// Names of the peers that acknowledged the statement.
        var told: [String] = []
        /// Peers that could not be told, with why.
        var unreached: [RevocationReport.UnreachedPeer] = []
    }

    /// Tells every one of `peers`, at most ``PartnerFanOut/maximumConcurrent`` at a
    /// time; each attempt gets the idle timeout in all (``tell(_:_:previous:until:)``).
    func announce(_ statement: RotationStatement, previous: NodeSecrets, to peers: [PeerRecord]) async -> Outcome {
        let results = await PartnerFanOut.tellEach(peers) { peer in await tell(peer, statement, previous: previous) }
        var outcome = Outcome()
        for (peer, failure) in results {
            if let failure {
                outcome.unreached.append(.init(peer: peer.name, reason: failure))
            } else {
                outcome.told.append(peer.name)
            }
        }
        return outcome
    }

    /// Tells `peer` first if it is still to be told of this node's rotation and the
    /// overlap is open (after it, the previous keys are gone), by `until` if given.
    /// Throws if it could not be.
    func tellIfPending(_ peer: PeerRecord, until: NIODeadline? = nil) async throws {
        let now = Timestamp.now()
        guard let previous = context.previousSecrets(at: now),
              context.rotationPending.withLockedValue({ $0.contains(peer.fingerprint.description) }),
              let statement = try context.home.rotation() else { return }
        if let failure = await tell(peer, statement, previous: previous, until: until) {
            throw CoreError(.io, "\(peer.name) was not told of this node's key rotation yet: \(failure)")
        }
    }

    /// nil once `peer` acknowledged the statement (and is struck off the pending
    /// list), otherwise why not. One message and its answer: the exchange, waiting
    /// for the handshake turn and connecting included, ends by `until` and at most
    /// the idle timeout from now, so a peer that answers a byte at a time holds
    /// neither a rotation nor the dial waiting on it.
    private func tell(_ peer: PeerRecord, _ statement: RotationStatement, previous: NodeSecrets, until: NIODeadline? = nil) async -> String? {
        guard !peer.addresses.isEmpty else { return "it has no address; give its operator the new card to import" }
        let bound = min(until ?? .distantFuture, .now() + context.settings.idleTimeout)
        do {
            let reply = try await PeerDialer(context: context, group: group).withSession(to: peer, as: previous.transport, until: bound) { session in
                try await session.send(.rotation(statement.encoded))
                return try await session.receive()
            }
            guard case .rotationAccepted? = reply else { return "the peer did not accept the new keys (see its audit log)" }
            context.logger.notice("told \(peer.name) of this node's new keys (\(statement.fingerprint.short))")
            try strikeOff(peer)
            return nil
        } catch {
            // A partner that imported the card made after the rotation knows only the new
            // keys and refuses the previous one: a handshake with the new keys shows it
            // needs no telling.
            if (try? await PeerDialer(context: context, group: group).withSession(to: peer, as: context.secrets.transport, until: bound) { _ in }) != nil {
                context.logger.notice("\(peer.name) already holds this node's new keys (\(statement.fingerprint.short)): nothing to tell it")
                do { try strikeOff(peer) } catch { return PartnerFanOut.reason(error) }
                return nil
            }
            return PartnerFanOut.reason(error)
        }
    }

    /// Strikes `peer` off `keys/rotation-pending.txt`: from now on it is dialled with the new keys.
    private func strikeOff(_ peer: PeerRecord) throws {
        try context.strikeOffRotationPending(peer)
    }
}
