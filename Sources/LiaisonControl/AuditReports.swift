/// One audit log entry as the daemon sends it: the leaf index and the canonical
/// leaf (JSON text), which the CLI decodes and checks itself.
public struct AuditEntryItem: Codable, Sendable, Equatable {
    public let index: Int
    public let leaf: String

    public init(index: Int, leaf: String) {
        self.index = index
        self.leaf = leaf
    }

    /// Whether a page asked for with `limit` is full, so more entries may follow:
    /// it holds `limit` entries, or the daemon stopped at ``ControlFraming/auditPageBytes``.
    public static func isFull(_ page: [AuditEntryItem], limit: Int) -> Bool {
        page.count >= limit || page.reduce(0) { $0 + $1.leaf.utf8.count } >= ControlFraming.auditPageBytes
    }
}

/// The newest checkpoint of a peer's log that this node cosigned, as the peer's log
/// key signed it: a checkpoint held elsewhere than at the peer, to verify the
/// peer's exported log against (`audit verify --trusted-checkpoint`).
public struct AuditWitnessedItem: Codable, Sendable, Equatable {
    public let peer: String
    /// The peer's log origin (`liaison/<fingerprint>`, with a label for a log it
    /// began after its first: `liaison audit new-log`).
    public let origin: String
    /// The entries it covers.
    public let size: Int
    /// The signed note.
    public let note: String
    /// The peer's earlier logs this node cosigned, oldest first, each with the newest
    /// checkpoint of it this node cosigned: how far each went before the peer closed
    /// it. Nil when the peer has only ever had one log.
    public var earlierLogs: [EarlierLog]?

    /// A log the peer closed when it began a later one.
    public struct EarlierLog: Codable, Sendable, Equatable {
        public let origin: String
        public let size: Int
        public let note: String

        public init(origin: String, size: Int, note: String) {
            self.origin = origin
            self.size = size
            self.note = note
        }
    }

    public init(peer: String, origin: String, size: Int, note: String) {
        self.peer = peer
        self.origin = origin
        self.size = size
        self.note = note
    }
}

/// A signed checkpoint with the cosignatures stored for it.
public struct AuditCheckpointItem: Codable, Sendable, Equatable {
    public let size: Int
    /// The C2SP signed note, cosignature lines included.
    public let note: String
    public let signedAt: String
    /// Names of the witnesses that cosigned it.
    public let witnesses: [String]

    public init(size: Int, note: String, signedAt: String, witnesses: [String]) {
        self.size = size
        self.note = note
        self.signedAt = signedAt
        self.witnesses = witnesses
    }
}

/// What an auditor needs to check the log offline: its key, its witnesses' keys,
/// every checkpoint and the current size.
public struct AuditKeysItem: Codable, Sendable, Equatable {
    public let origin: String
    /// The log's note verifier key (`name+id+key`).
    public let logKey: String
    /// Verifier keys of the peers that witness this log.
    public let witnessKeys: [String]
    public var checkpoints: [AuditCheckpointItem]
    public let size: Int
    public let node: String
    public let fingerprint: String
    /// Set when more checkpoints follow `checkpoints` (a page of them): ask again
    /// with `cursor` set to the size of the last one.
    public var moreCheckpoints: Bool?

    public init(origin: String, logKey: String, witnessKeys: [String], checkpoints: [AuditCheckpointItem], size: Int,
                node: String, fingerprint: String, moreCheckpoints: Bool? = nil) {
        self.origin = origin
        self.logKey = logKey
        self.witnessKeys = witnessKeys
        self.checkpoints = checkpoints
        self.size = size
        self.node = node
        self.fingerprint = fingerprint
        self.moreCheckpoints = moreCheckpoints
    }
}

/// A C2SP tlog-proof of one entry, with the entry itself.
public struct AuditProofItem: Codable, Sendable, Equatable {
    public let entry: Int
    public let leaf: String
    /// The `c2sp.org/tlog-proof@v1` text.
    public let proof: String

    public init(entry: Int, leaf: String, proof: String) {
        self.entry = entry
        self.leaf = leaf
        self.proof = proof
    }
}
