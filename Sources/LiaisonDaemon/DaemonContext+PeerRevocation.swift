import LiaisonCore
import LiaisonCrypto

extension DaemonContext {
    /// Marks `peer`'s identity key revoked, whoever said so (the operator, the peer's
    /// own statement on a session, or one imported): kept in `keys/revoked-peers.txt`
    /// so no keyring rewrite or restart undoes it, applied to the keyring record as it
    /// is now (a peer removed or re-keyed meanwhile is left alone), and, when
    /// `cutSessions`, every open session with the peer ends. Returns how many ended.
    /// `statementKey`, the key a revocation statement named, is recorded revoked too
    /// (a key the peer retired: what it signed is then refused as well).
    /// The caller has written the audit record first.
    @discardableResult
    func revokePeer(_ peer: PeerRecord, revoking statementKey: IdentityPublicKey? = nil, cutSessions: Bool = true) throws -> Int {
        try home.recordRevokedPeer(peer.keys.identity)
        // The key the statement revoked may be one the peer retired: what it signed is refused too.
        if let statementKey, statementKey != peer.keys.identity { try home.recordRevokedPeer(statementKey) }
        // Sessions are filed under the fingerprint the peer had when they opened: across
        // a rotation's overlap that may be its previous one.
        var fingerprints: Set<String> = [peer.fingerprint.description]
        try peers.update { keyring in
            // A record that rotated since `peer` was read is the same peer: its keys are revoked too.
            guard var current = keyring.peer(named: peer.name), current.hasIdentity(peer.keys.identity, at: Timestamp.now()) else { return }
            if current.keys.identity != peer.keys.identity { try home.recordRevokedPeer(current.keys.identity) }
            fingerprints.insert(current.fingerprint.description)
            if let previous = current.previousKeys { fingerprints.insert(previous.fingerprint.description) }
            current.revoked = true
            try keyring.replace(current)
        }
        return cutSessions ? fingerprints.reduce(0) { $0 + liveSessions.cut(peer: $1) } : 0
    }
}
