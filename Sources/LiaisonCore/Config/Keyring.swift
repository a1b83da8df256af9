import LiaisonCrypto

/// The node's partners: peers imported with `liaison peers import` (stored in
/// `keyring.toml`) plus any pinned by hand in `liaison.toml`.
public struct Keyring: Sendable {
    /// All peers, imported first, then pinned.
    public private(set) var peers: [PeerRecord]

    /// A keyring of `peers`; names and identity keys must be unique.
    public init(peers: [PeerRecord]) throws {
        self.peers = []
        for peer in peers { try add(peer) }
    }

    /// Parses `keyring.toml`.
    public init(parsing text: String, path: String = "keyring.toml") throws {
        do {
            let root = try TOMLParser.parse(text)
            try root.rejectUnknownKeys(allowed: ["peer"])
            try self.init(peers: try (root.tableArray("peer") ?? []).map { try PeerRecord(table: $0) })
        } catch {
            throw CoreError.config(path, error)
        }
    }

    /// The peer called `name`.
    public func peer(named name: String) -> PeerRecord? { peers.first { $0.name == name } }

    /// Adds a peer; refuses a duplicate name or an identity key already present.
    public mutating func add(_ peer: PeerRecord) throws {
        try NodeName.validate(peer.name)
        if peer.name.isEmpty || self.peer(named: peer.name) != nil {
            throw CoreError(.peerExists, "a peer named \"\(peer.name)\" already exists; remove it first or choose another name")
        }
        if let existing = peers.first(where: { $0.keys.identity == peer.keys.identity }) {
            throw CoreError(.peerExists, "this node is already in the keyring as \"\(existing.name)\"")
        }
        peers.append(peer)
    }

    /// Replaces the peer of the same name (its trust, attributes or revocation changed);
    /// the identity must stay the same: a new key is a new peer.
    public mutating func replace(_ peer: PeerRecord) throws {
        guard let index = peers.firstIndex(where: { $0.name == peer.name }) else {
            throw CoreError(.unknownPeer, "no peer named \"\(peer.name)\"; see `liaison peers list`")
        }
        guard peers[index].keys.identity == peer.keys.identity else {
            throw CoreError(.invalidArgument, "\"\(peer.name)\" has another identity key; remove it and add the new card instead")
        }
        peers[index] = peer
    }

    /// Records that the peer called `name` rotated to `card` (its own previous
    /// identity key signed the rotation): the card's keys become its keys, the
    /// current ones its previous keys until `overlapUntil`. Refuses a card whose
    /// identity key another peer already has.
    public mutating func rotate(named name: String, to card: NodeCard, overlapUntil: Int64) throws {
        guard let index = peers.firstIndex(where: { $0.name == name }) else {
            throw CoreError(.unknownPeer, "no peer named \"\(name)\"; see `liaison peers list`")
        }
        if let other = peers.first(where: { $0.name != name && ($0.keys.identity == card.keys.identity || $0.keys.transport == card.keys.transport) }) {
            throw CoreError(.rotationRefused, "the new card's keys are already in the keyring as \"\(other.name)\"")
        }
        peers[index] = peers[index].rotated(to: card, overlapUntil: overlapUntil)
    }

    /// Removes the peer called `name`.
    public mutating func remove(named name: String) throws {
        guard let index = peers.firstIndex(where: { $0.name == name }) else {
            throw CoreError(.unknownPeer, "no peer named \"\(name)\"; see `liaison peers list`")
        }
        peers.remove(at: index)
    }

    /// The `keyring.toml` text for the imported peers in `names` order.
    func rendered(excluding pinned: [PeerRecord]) -> String {
        let pinnedNames = Set(pinned.map(\.name))
        let own = peers.filter { !pinnedNames.contains($0.name) }
        let root = TOMLTable([("peer", .array(own.map { .table($0.table) }))])
        return TOMLWriter.render(root, header: """
            Liaison keyring: partner nodes and the trust given to them.
            Managed by `liaison peers …`; edit with care (fingerprints are checked on load).
            """)
    }
}

extension Keyring: SenderDirectory {
    /// The peer whose identity key is `key`, or whose previous key it is while the
    /// overlap window of its rotation is open (then the sender names that previous key).
    public func sender(withIdentity key: [UInt8]) -> KnownSender? {
        if let peer = peers.first(where: { Sodium.constantTimeEquals($0.keys.identity.rawRepresentation, key) }) {
            return KnownSender(name: peer.name, identity: peer.keys.identity, isRevoked: peer.revoked)
        }
        let now = Timestamp.now()
        for peer in peers {
            if let previous = peer.previousKeys(at: now), Sodium.constantTimeEquals(previous.identity.rawRepresentation, key) {
                return KnownSender(name: peer.name, identity: previous.identity, isRevoked: peer.revoked)
            }
        }
        return nil
    }
}
