import Foundation
import LiaisonCrypto

/// Partners' identity keys this node has seen revoked: `<home>/keys/revoked-peers.txt`,
/// one key a line. ``NodeHome/loadKeyring(_:)`` marks every peer with such a key
/// revoked — imported or pinned in `liaison.toml` alike — so a revocation can never
/// be undone by a keyring rewrite, a reload or a restart.
extension NodeHome {
    /// `keys/revoked-peers.txt`.
    public var revokedPeersPath: String { path + "/keys/revoked-peers.txt" }

    /// The revoked identity keys, as `KeyText` lines.
    public func revokedPeerIdentities() -> Set<String> {
        Set(lines(at: revokedPeersPath, limit: 16 << 20))
    }

    /// Adds `identity` to the revoked keys (durably, atomically); a key already there stays.
    public func recordRevokedPeer(_ identity: IdentityPublicKey) throws {
        try recordRevokedPeers([identity])
    }

    /// Adds `identities` to the revoked keys in one write; keys already there stay.
    public func recordRevokedPeers(_ identities: [IdentityPublicKey]) throws {
        var known = revokedPeerIdentities()
        let added = identities.filter { known.insert(KeyText.encode($0)).inserted }
        guard !added.isEmpty else { return }
        try saveLines(Array(known), to: revokedPeersPath)
    }

    /// Throws unless `card`'s identity key is free of revocation: a revoked key is
    /// never trusted again, so importing its card again would only add a peer that
    /// stays revoked.
    public func ensureNotRevokedPeer(_ card: NodeCard) throws {
        guard !revokedPeerIdentities().contains(KeyText.encode(card.keys.identity)) else {
            throw CoreError(.policyDenied, "the identity key of this card (\(card.fingerprint)) was revoked on this node (\(revokedPeersPath)) and is never trusted again; ask the partner for a card with new keys")
        }
    }

    /// `keyring` with every peer whose identity key is in ``revokedPeersPath`` marked revoked.
    func applyingRevocations(to keyring: Keyring) throws -> Keyring {
        let revoked = revokedPeerIdentities()
        guard !revoked.isEmpty else { return keyring }
        var result = keyring
        for var peer in keyring.peers where !peer.revoked && revoked.contains(KeyText.encode(peer.keys.identity)) {
            peer.revoked = true
            try result.replace(peer)
        }
        // A revoked previous key is never accepted again, not even during an overlap.
        for var peer in result.peers {
            guard let previous = peer.previousKeys, revoked.contains(KeyText.encode(previous.identity)) else { continue }
            peer.previousKeys = nil
            peer.previousUntil = nil
            try result.replace(peer)
        }
        return result
    }
}
