import LiaisonCore
import LiaisonCrypto

/// The partners not told of this node's key rotation (`keys/rotation-pending.txt`):
/// struck off once told (``RotationAnnouncer``), or once a session shows they hold
/// the new keys.
extension DaemonContext {
    /// Strikes `peer` off the list.
    func strikeOffRotationPending(_ peer: PeerRecord) throws {
        try rotationPendingLock.withLock {
            let fingerprint = peer.fingerprint.description
            try home.savePendingRotationPeers(home.pendingRotationPeers().filter { $0 != fingerprint })
        }
    }

    /// After a session in which this node authenticated with the transport key `used`
    /// (dialling out, or answering a partner that dialled in): if that is the rotation's
    /// new key and the overlap is over, `peer` holds the new keys, so if it is still on
    /// the list (never told) it comes off. During the overlap the telling does that; a
    /// session begun with the previous keys proves nothing.
    func strikeOffRotationPendingOnceReached(_ peer: PeerRecord, with used: TransportPublicKey) {
        guard previousSecrets(at: Timestamp.now()) == nil,
              home.pendingRotationPeers().contains(peer.fingerprint.description),
              let rotation = try? home.rotation(), rotation.card.keys.transport == used else { return }
        logger.notice("\(peer.name) holds this node's new keys: struck off the partners not told of the rotation")
        try? strikeOffRotationPending(peer)
    }
}
