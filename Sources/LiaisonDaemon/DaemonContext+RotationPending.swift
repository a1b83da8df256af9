import LiaisonCore
import LiaisonCrypto

/// The partners not told of this node's key rotation (`keys/rotation-pending.txt`):
/// struck off once told (``RotationAnnouncer``), or once a session shows they hold
/// the new keys.
extension DaemonContext {
    /// Writes the list and its copy in memory (``rotationPending``); the caller holds
    /// ``rotationPendingLock``.
    func savePendingRotation(_ fingerprints: [String]) throws {
        try home.savePendingRotationPeers(fingerprints)
        rotationPending.withLockedValue { $0 = Set(fingerprints) }
    }

    /// Strikes `peer` off the list.
    func strikeOffRotationPending(_ peer: PeerRecord) throws {
        try rotationPendingLock.withLock {
            let fingerprint = peer.fingerprint.description
            try savePendingRotation(home.pendingRotationPeers().filter { $0 != fingerprint })
        }
    }

    /// After a session in which this node authenticated with the transport key `used`
    /// (dialling out, or answering a partner that dialled in): if that is the rotation's
    /// new key and the overlap is over, `peer` holds the new keys, so if it is still on
    /// the list (never told) it comes off. During the overlap the telling does that; a
    /// session begun with the previous keys proves nothing.
    func strikeOffRotationPendingOnceReached(_ peer: PeerRecord, with used: TransportPublicKey) {
        // Runs after every accepted handshake and dial: nothing is locked or read from
        // disk unless the peer is on the list (the usual case is an empty one).
        let fingerprint = peer.fingerprint.description
        guard previousSecrets(at: Timestamp.now()) == nil, rotationPending.withLockedValue({ $0.contains(fingerprint) }) else { return }
        // Checked under the list's lock, which `keys rotate` holds from writing the next
        // rotation's list to committing its keys: a session of this rotation cannot
        // strike a partner off the next one's list.
        let struck = (try? rotationPendingLock.withLock { () throws -> Bool in
            let pending = home.pendingRotationPeers()
            guard pending.contains(fingerprint), let rotation = try? home.rotation(), rotation.card.keys.transport == used else { return false }
            try savePendingRotation(pending.filter { $0 != fingerprint })
            return true
        }) ?? false
        if struck { logger.notice("\(peer.name) holds this node's new keys: struck off the partners not told of the rotation") }
    }
}
