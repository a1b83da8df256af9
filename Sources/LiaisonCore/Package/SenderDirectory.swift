import LiaisonCrypto

/// A sender the opener recognised, as reported after verification.
public struct KnownSender: Sendable, Hashable {
    /// The local name of the peer (or of this node, for its own packages).
    public let name: String
    /// The sender's identity key.
    public let identity: IdentityPublicKey
    /// Whether the key has been revoked: packages from it are refused.
    public let isRevoked: Bool

    /// Creates a directory entry.
    public init(name: String, identity: IdentityPublicKey, isRevoked: Bool = false) {
        self.name = name
        self.identity = identity
        self.isRevoked = isRevoked
    }

    /// The sender's node fingerprint.
    public var fingerprint: NodeFingerprint { NodeFingerprint(identity: identity) }
}

/// Answers "who holds this identity key?" for the package opener. The keyring
/// implements it; tests use ``StaticSenderDirectory``.
public protocol SenderDirectory {
    /// The sender with this identity key, or `nil` when it is unknown.
    func sender(withIdentity key: [UInt8]) -> KnownSender?
}

/// A fixed list of senders.
public struct StaticSenderDirectory: SenderDirectory {
    private let senders: [KnownSender]

    /// A directory of exactly `senders`.
    public init(_ senders: [KnownSender]) { self.senders = senders }

    public func sender(withIdentity key: [UInt8]) -> KnownSender? {
        senders.first { Sodium.constantTimeEquals($0.identity.rawRepresentation, key) }
    }
}

/// `base`, with every sender reported unrevoked: for opening a package whose signer's
/// key was revoked after it arrived, on the operator's explicit word (`inbox get
/// --despite-revocation`). Everything else is checked as ever: the signature, the
/// header, each chunk.
public struct RevocationOverlooked<Base: SenderDirectory>: SenderDirectory {
    let base: Base

    /// Wraps `base`.
    public init(_ base: Base) { self.base = base }

    public func sender(withIdentity key: [UInt8]) -> KnownSender? {
        base.sender(withIdentity: key).map { KnownSender(name: $0.name, identity: $0.identity) }
    }
}
