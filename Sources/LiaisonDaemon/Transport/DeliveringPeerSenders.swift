import LiaisonCore
import LiaisonCrypto

/// The only senders a package delivered by a peer may name: that peer itself, by
/// its current identity key or, during a rotation's overlap, its previous one.
///
/// The receive path opens packages with this instead of the whole keyring, so the
/// header is checked against the delivering peer as soon as it opens (before any
/// chunk is read), and a peer cannot use this node's answers to learn which other
/// identity keys are in its keyring, or what it calls them.
struct DeliveringPeerSenders: SenderDirectory, Sendable {
    private let senders: [KnownSender]

    /// The senders `peer` may deliver as at `now`; `revoked` marks them all revoked
    /// (the peer was revoked, removed or re-keyed since its session began).
    init(peer: PeerRecord, revoked: Bool, now: Int64) {
        let keys = [peer.keys.identity] + (peer.previousKeys(at: now).map { [$0.identity] } ?? [])
        senders = keys.map { KnownSender(name: peer.name, identity: $0, isRevoked: revoked || peer.revoked) }
    }

    func sender(withIdentity key: [UInt8]) -> KnownSender? {
        senders.first { Sodium.constantTimeEquals($0.identity.rawRepresentation, key) }
    }
}

/// A ``SenderDirectory`` that remembers which identity key the package named, so
/// that a refusal can be explained in this node's own log (never to the peer).
final class RecordingSenders<Base: SenderDirectory>: SenderDirectory {
    private let base: Base
    /// The identity key the package's sender box named, once the opener asked.
    private(set) var named: [UInt8]?

    init(_ base: Base) { self.base = base }

    func sender(withIdentity key: [UInt8]) -> KnownSender? {
        named = key
        return base.sender(withIdentity: key)
    }
}
