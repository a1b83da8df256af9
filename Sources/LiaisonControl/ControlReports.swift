/// Results of control commands. The CLI prints them for people, or as JSON with
/// `--json` (objects that describe a package carry its `id`).

/// One peer as `peers list` and `status` show it.
public struct PeerStatus: Codable, Sendable, Equatable {
    public var name: String
    public var fingerprint: String
    public var trust: String
    public var addresses: [String]
    public var revoked: Bool
    /// Last successful handshake (RFC 3339), if any.
    public var lastHandshake: String?
    /// The last connection error, if the peer is failing.
    public var lastError: String?
    public var queued: Int
    public var delivered: Int
    public var failed: Int
    public var bytesSent: Int64
    public var bytesReceived: Int64
    /// The peer's fingerprint before its key rotation, while its previous keys are
    /// still accepted (nil: no rotation in its overlap window).
    public var previousFingerprint: String?
    /// When the peer's previous keys stop being accepted (RFC 3339).
    public var previousKeysUntil: String?
    /// The end of the validity its card states (RFC 3339; nil for a pinned peer
    /// without one). Checked at import only: see docs/keys.md.
    public var cardValidUntil: String?
    /// Why its queued packages wait, when one did not go on its last try (the
    /// newest such error, e.g. "refused for now: …"); nil otherwise.
    public var queueError: String?
    /// When its queue is tried next (RFC 3339), while its queued packages wait out a
    /// backoff; nil when nothing is queued or it is due now.
    public var nextAttempt: String?
    /// The fingerprint its audit log and witness key are named after, when that is not its
    /// ``fingerprint`` (it rotated its keys; the log keeps its first name).
    public var auditLogName: String?
    /// As its witness: the peer's newest log, when it began a later one after its
    /// first (`liaison audit new-log`), with the log before it and how far this node
    /// had cosigned that one. Nil while the peer has one log.
    public var newAuditLog: NewAuditLog?

    /// As its witness: checkpoints of its log this node refused since it started, as
    /// showing a rollback, a fork, a log it closed, or another log key (a copy of the
    /// node running beside it, say). Nil when none was.
    public var witnessRefusal: WitnessRefusal?

    /// Refused checkpoints of a peer's log: how many, and the last one's time and reason.
    public struct WitnessRefusal: Codable, Sendable, Equatable {
        public var count: Int
        public var lastAt: String
        public var reason: String

        public init(count: Int, lastAt: String, reason: String) {
            self.count = count
            self.lastAt = lastAt
            self.reason = reason
        }
    }

    /// A later log of a peer's, as its witness saw it begin.
    public struct NewAuditLog: Codable, Sendable, Equatable {
        public let origin: String
        public let after: String
        public let afterCosignedSize: Int

        public init(origin: String, after: String, afterCosignedSize: Int) {
            self.origin = origin
            self.after = after
            self.afterCosignedSize = afterCosignedSize
        }
    }

    public init(name: String, fingerprint: String, trust: String, addresses: [String], revoked: Bool, lastHandshake: String?,
                lastError: String?, queued: Int, delivered: Int, failed: Int, bytesSent: Int64, bytesReceived: Int64,
                previousFingerprint: String? = nil, previousKeysUntil: String? = nil, cardValidUntil: String? = nil) {
        self.name = name; self.fingerprint = fingerprint; self.trust = trust; self.addresses = addresses; self.revoked = revoked
        self.lastHandshake = lastHandshake; self.lastError = lastError; self.queued = queued; self.delivered = delivered
        self.failed = failed; self.bytesSent = bytesSent; self.bytesReceived = bytesReceived
        self.previousFingerprint = previousFingerprint; self.previousKeysUntil = previousKeysUntil
        self.cardValidUntil = cardValidUntil
    }
}

/// `status`: the node and its peers, like `wg show`.
public struct StatusReport: Codable, Sendable, Equatable {
    public var node: String
    public var fingerprint: String
    public var listen: [String]
    public var startedAt: String
    public var peers: [PeerStatus]
    public var queued: Int
    public var delivered: Int
    public var failed: Int
    public var expired: Int
    public var inbox: Int
    /// This node's fingerprint before its key rotation, while the overlap is open.
    public var previousFingerprint: String?
    /// When partners stop accepting this node's previous keys (RFC 3339).
    public var previousKeysUntil: String?
    /// Bytes free on the volume holding the node's home (nil if it cannot be read).
    public var diskFree: UInt64?
    /// Bytes of it that packages never take (`disk-reserve-mib`); while the free
    /// space is below it (with a package to add), packages are refused for now.
    public var diskReserve: UInt64?
    /// Whether this node revoked its own identity key (`keys revoke`): it sends nothing more.
    public var revoked: Bool?
    /// Entries in the audit log.
    public var auditSize: Int?
    /// The newest checkpoint this node signed: its size, when (RFC 3339), and how
    /// many witnesses cosigned it.
    public var checkpointSize: Int?
    public var checkpointSignedAt: String?
    public var checkpointWitnesses: Int?
    /// Why this node signs no checkpoints now (a witness's evidence of a rollback or a
    /// fork, or a log that disagrees with itself); nil while it signs them.
    public var checkpointRefused: String?
    /// For a log this node began after another (`liaison audit new-log`): its origin,
    /// when it began (RFC 3339), and the origin of the log it follows. Nil for the
    /// node's first log.
    public var auditLogOrigin: String?
    public var auditLogBegunAt: String?
    public var auditLogSucceeds: String?
    /// Partners not yet told of this node's key rotation, or of its revocation (names;
    /// nil when none is waiting).
    public var rotationNotTold: [String]?
    public var revocationNotTold: [String]?

    public init(node: String, fingerprint: String, listen: [String], startedAt: String, peers: [PeerStatus],
                queued: Int, delivered: Int, failed: Int, expired: Int, inbox: Int,
                previousFingerprint: String? = nil, previousKeysUntil: String? = nil, diskFree: UInt64? = nil, diskReserve: UInt64? = nil,
                revoked: Bool? = nil, auditSize: Int? = nil, checkpointSize: Int? = nil, checkpointSignedAt: String? = nil,
                checkpointWitnesses: Int? = nil, checkpointRefused: String? = nil) {
        self.checkpointRefused = checkpointRefused
        self.node = node; self.fingerprint = fingerprint; self.listen = listen; self.startedAt = startedAt; self.peers = peers
        self.queued = queued; self.delivered = delivered; self.failed = failed; self.expired = expired; self.inbox = inbox
        self.previousFingerprint = previousFingerprint; self.previousKeysUntil = previousKeysUntil
        self.diskFree = diskFree; self.diskReserve = diskReserve
        self.revoked = revoked; self.auditSize = auditSize
        self.checkpointSize = checkpointSize; self.checkpointSignedAt = checkpointSignedAt; self.checkpointWitnesses = checkpointWitnesses
    }
}

/// What `peers.remove` did: the partner is gone, what was queued for it failed,
/// and what it sent stays readable.
public struct RemovedPeer: Codable, Sendable, Equatable {
    /// The name it had.
    public var name: String
    /// Its deliveries still queued or in transfer, now failed.
    public var failedDeliveries: Int
    /// Whether its keys were kept for reading the packages it sent (`inbox get`).
    public var sentPackagesReadable: Bool

    public init(name: String, failedDeliveries: Int, sentPackagesReadable: Bool) {
        self.name = name; self.failedDeliveries = failedDeliveries; self.sentPackagesReadable = sentPackagesReadable
    }
}

/// The state of one package towards one peer.
public struct DeliveryStatus: Codable, Sendable, Equatable {
    public var peer: String
    public var state: String
    public var attempts: Int
    public var nextAttempt: String?
    public var lastError: String?
    public var deliveredAt: String?

    /// `attempts` counts the attempts that failed (0 for a package delivered at its
    /// first); `nextAttempt` is set while it is `queued`.
    public init(peer: String, state: String, attempts: Int, nextAttempt: String?, lastError: String?, deliveredAt: String?) {
        self.peer = peer; self.state = state; self.attempts = attempts; self.nextAttempt = nextAttempt
        self.lastError = lastError; self.deliveredAt = deliveredAt
    }
}

/// One package in the outbox.
public struct OutboxItem: Codable, Sendable, Equatable {
    public var id: String
    public var created: String
    public var expires: String?
    public var markings: String
    /// The sealed package's size in bytes (``SendReceipt/size`` is the payload's).
    public var size: Int64
    public var deliveries: [DeliveryStatus]
    /// When the sealed file was pruned (`outbox prune`), if it was.
    public var pruned: String?

    public init(id: String, created: String, expires: String?, markings: String, size: Int64, deliveries: [DeliveryStatus], pruned: String? = nil) {
        self.id = id; self.created = created; self.expires = expires; self.markings = markings; self.size = size; self.deliveries = deliveries
        self.pruned = pruned
    }
}

/// What `outbox.prune` removed: how many packages' sealed files are gone, the
/// bytes given back, and the first of those packages (the audit log's
/// `package.pruned` entries name every one).
public struct PruneReport: Codable, Sendable, Equatable {
    /// How many packages were pruned.
    public var count: Int
    /// The files' sizes together.
    public var bytes: Int64
    /// The pruned packages' ids, oldest first: at most ``listedAtMost``, so that a
    /// first prune of a long history still fits one reply.
    public var packages: [String]

    /// Most ids a report lists.
    public static let listedAtMost = 1_000

    public init(count: Int, bytes: Int64, packages: [String]) {
        self.count = count; self.bytes = bytes; self.packages = packages
    }
}

/// One received package.
public struct InboxItem: Codable, Sendable, Equatable {
    public var id: String
    public var sender: String
    public var senderFingerprint: String
    public var tlp: String
    public var classification: String
    public var markings: String
    public var contentType: String
    /// The sealed package's size in bytes, as received (the payload is smaller).
    public var size: Int64
    public var receivedAt: String
    public var expires: String?
    /// True when the key that signed it has been revoked since: `inbox get` refuses it
    /// (nil otherwise).
    public var senderRevoked: Bool?
    /// True when its sender is no longer in the keyring (removed since; `sender` is
    /// the name it had then, which another node may hold now). nil otherwise.
    public var senderRemoved: Bool?

    public init(id: String, sender: String, senderFingerprint: String, tlp: String, classification: String, markings: String,
                contentType: String, size: Int64, receivedAt: String, expires: String?) {
        self.id = id; self.sender = sender; self.senderFingerprint = senderFingerprint; self.tlp = tlp
        self.classification = classification; self.markings = markings; self.contentType = contentType; self.size = size
        self.receivedAt = receivedAt; self.expires = expires
    }
}

/// A stored end-to-end receipt.
public struct ReceiptItem: Codable, Sendable, Equatable {
    public var id: String
    public var peer: String
    public var signedBy: String
    public var receivedAt: String
    /// Re-verified against the peer's identity key when listed.
    public var signatureValid: Bool
    /// The signed receipt itself, base64 of its body then its signature, as the
    /// recipient sent it: what `liaison receipts export` hands to a third party.
    public var receipt: String?

    public init(id: String, peer: String, signedBy: String, receivedAt: String, signatureValid: Bool, receipt: String? = nil) {
        self.id = id; self.peer = peer; self.signedBy = signedBy; self.receivedAt = receivedAt; self.signatureValid = signatureValid
        self.receipt = receipt
    }
}

/// A named recipient the access policy refused, with the rule that decided.
public struct WithheldRecipient: Codable, Sendable, Equatable {
    public var peer: String
    public var rule: String
    public var reason: String

    public init(peer: String, rule: String, reason: String) {
        self.peer = peer; self.rule = rule; self.reason = reason
    }
}

/// What `send` reports.
public struct SendReceipt: Codable, Sendable, Equatable {
    public var id: String
    public var recipients: [String]
    /// Named recipients that got no key wrap, and why.
    public var withheld: [WithheldRecipient]
    public var markings: String
    /// The payload's size in bytes (what was sent); ``sealedSize`` is the package's.
    public var size: Int64
    /// The sealed package's size in bytes: what `outbox list` calls its `size`.
    public var sealedSize: Int64?
    public var expires: String?
    /// Set when the payload's STIX markings raised the package's TLP: from what, to what, and why.
    public var markingsNote: String?
    /// The file the package was sealed from, as the CLI named it (the daemon never sees names).
    public var file: String?
    /// For `forward`: the whole id of the received package forwarded.
    public var forwardedFrom: String?
    /// The node that sealed and queued it (the daemon's own name): a `--socket` that
    /// reaches another node's daemon than `--home` names is told apart by it. nil from
    /// a daemon before 2026-11-30.
    public var node: String?

    public init(id: String, recipients: [String], withheld: [WithheldRecipient], markings: String, size: Int64, expires: String?,
                markingsNote: String? = nil) {
        self.id = id; self.recipients = recipients; self.withheld = withheld; self.markings = markings; self.size = size; self.expires = expires
        self.markingsNote = markingsNote
    }
}

extension SendReceipt: DirectJSONEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.object { writer in
            writer.field("id", id)
            writer.field("recipients", recipients)
            writer.key("withheld")
            withheld.writeJSON(into: &writer)
            writer.field("markings", markings)
            writer.field("size", size)
            if let sealedSize { writer.field("sealedSize", sealedSize) }
            writer.field("expires", expires)
            writer.field("markingsNote", markingsNote)
            writer.field("file", file)
            writer.field("forwardedFrom", forwardedFrom)
            if let node { writer.field("node", node) }
        }
    }
}

extension WithheldRecipient: DirectJSONEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.object { writer in
            writer.field("peer", peer)
            writer.field("rule", rule)
            writer.field("reason", reason)
        }
    }
}

/// What `inbox get` reports before the payload frames.
public struct OpenedItem: Codable, Sendable, Equatable {
    public var id: String
    public var sender: String
    public var senderFingerprint: String
    public var markings: String
    public var contentType: String
    /// Its signer's identity key was revoked after it arrived: opened only because
    /// the operator asked (`--despite-revocation`). nil: not revoked.
    public var senderRevoked: Bool?

    public init(id: String, sender: String, senderFingerprint: String, markings: String, contentType: String) {
        self.id = id; self.sender = sender; self.senderFingerprint = senderFingerprint; self.markings = markings; self.contentType = contentType
    }
}
