import LiaisonCore

/// Where one copy of an outgoing package is, for one recipient.
///
/// `queued` and `sending` move back and forth until the copy is `delivered`
/// (a receipt came back), `expired` (the package's expiry passed first) or
/// `failed` (given up for good). `delivered` is final. `expired` and `failed`
/// are never attempted again, but a receipt for a copy that was in flight when
/// the expiry sweep ran still makes it `delivered`.
public enum DeliveryState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Waiting for its next attempt.
    case queued
    /// An attempt is in progress (reset to `queued` if the daemon stops mid-send).
    case sending
    /// The recipient returned a receipt. Final.
    case delivered
    /// The package expired before its receipt was recorded. Never attempted again;
    /// becomes `delivered` only if a receipt for a copy already in flight arrives.
    case expired
    /// Given up for good (e.g. the recipient refused it).
    case failed

    /// The raw name, as stored and shown.
    public var description: String { rawValue }
}

/// A package to add to the outbox (``NodeStore/enqueue(_:firstAttempt:)``): the
/// row, its sealed bytes if they are kept in the database, and who gets it.
public struct QueuedPackage: Sendable {
    public var package: OutboxPackage
    /// The sealed bytes when the package has no file (`package.path` is `nil`).
    public var body: [UInt8]?
    /// Peer names; at least one, each once.
    public var recipients: [String]
    /// The lifelong fingerprint of the node each name stands for now (``Delivery``'s
    /// recipient); a name without one is delivered to whoever holds it.
    public var recipientNodes: [String: NodeFingerprint]

    public init(package: OutboxPackage, body: [UInt8]?, recipients: [String], recipientNodes: [String: NodeFingerprint] = [:]) {
        self.package = package
        self.body = body
        self.recipients = recipients
        self.recipientNodes = recipientNodes
    }

    /// The delivery to `peer` that queueing this package creates: queued, no attempts
    /// yet, due at `firstAttempt` or, if that is `nil`, at the package's creation.
    public func delivery(to peer: String, firstAttempt: Int64? = nil) -> Delivery {
        Delivery(packageID: package.id, peer: peer, state: .queued, attempts: 0, nextAttempt: firstAttempt ?? package.created)
    }

    /// The package as ``NodeStore/duePackages(peer:now:excluding:limit:)`` returns it
    /// for `peer` once queued with no `firstAttempt` (due at once). A queueing that
    /// defers its deliveries must not hand them over as due.
    public func duePackage(to peer: String) -> DuePackage {
        DuePackage(delivery: delivery(to: peer), package: package, body: body, recipient: recipientNodes[peer])
    }
}

/// A sealed package this node is sending: the outbox row, without its deliveries.
public struct OutboxPackage: Sendable, Hashable {
    /// The package's id (from its header).
    public var id: PackageID
    /// Absolute path of the sealed package file, or `nil` if the sealed bytes are
    /// kept in the database (small packages; ``NodeStore/outboxBody(id:)``).
    public var path: String?
    /// Size of the sealed package in bytes.
    public var size: Int64
    /// When it was sealed (Unix seconds, from its header).
    public var created: Int64
    /// When it stops being valid (Unix seconds), or `nil` if never.
    public var expires: Int64?
    /// Its TLP label.
    public var tlp: TrafficLightProtocol
    /// Its classification banner (`Markings.banner`), for listings.
    public var markings: String
    /// Lower-case hex SHA-256 of the sealed file, to check the file before sending, if known.
    public var sha256: String?
    /// When the operator removed the sealed file (`liaison outbox prune`; Unix
    /// seconds), every delivery being closed; `nil` while it is kept.
    public var prunedAt: Int64?

    /// An outbox package; see the properties for what each value means.
    public init(id: PackageID, path: String?, size: Int64, created: Int64, expires: Int64?,
                tlp: TrafficLightProtocol, markings: String, sha256: String? = nil, prunedAt: Int64? = nil) {
        self.id = id
        self.path = path
        self.size = size
        self.created = created
        self.expires = expires
        self.tlp = tlp
        self.markings = markings
        self.sha256 = sha256
        self.prunedAt = prunedAt
    }

    /// Whether the package is no longer valid at `now` (same rule as the package opener).
    public func isExpired(at now: Int64) -> Bool {
        expires.map { now >= $0 } ?? false
    }
}

/// One copy of an outgoing package, for one recipient.
public struct Delivery: Sendable, Hashable {
    /// The package.
    public var packageID: PackageID
    /// The recipient's peer name (from the keyring).
    public var peer: String
    /// Where the copy is.
    public var state: DeliveryState
    /// Failed attempts so far.
    public var attempts: Int
    /// When the next attempt may start (Unix seconds).
    public var nextAttempt: Int64
    /// Why the last attempt failed, if it did.
    public var lastError: String?
    /// When the receipt came back (Unix seconds), for a delivered copy.
    public var deliveredAt: Int64?

    /// A delivery; see the properties for what each value means.
    public init(packageID: PackageID, peer: String, state: DeliveryState, attempts: Int, nextAttempt: Int64,
                lastError: String? = nil, deliveredAt: Int64? = nil) {
        self.packageID = packageID
        self.peer = peer
        self.state = state
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.lastError = lastError
        self.deliveredAt = deliveredAt
    }
}

/// A delivery due now, with its package and, if the database keeps them, the
/// package's sealed bytes (``NodeStore/duePackages(peer:now:excluding:limit:)``).
public struct DuePackage: Sendable {
    public var delivery: Delivery
    public var package: OutboxPackage
    /// The sealed bytes of a package kept in the database; nil for one in a file.
    public var body: [UInt8]?
    /// The node the delivery is for (its lifelong fingerprint), when known: a package
    /// handed to a sender from memory carries it, so that a sender to another holder
    /// of the name leaves it (a read of the queue filters by it instead).
    public var recipient: NodeFingerprint?

    public init(delivery: Delivery, package: OutboxPackage, body: [UInt8]?, recipient: NodeFingerprint? = nil) {
        self.delivery = delivery
        self.package = package
        self.body = body
        self.recipient = recipient
    }
}

/// An outbox listing line: a package and where each of its copies is.
public struct OutboxEntry: Sendable, Hashable {
    /// The package.
    public var package: OutboxPackage
    /// One delivery per recipient, ordered by peer name.
    public var deliveries: [Delivery]

    /// An outbox entry.
    public init(package: OutboxPackage, deliveries: [Delivery]) {
        self.package = package
        self.deliveries = deliveries
    }
}

/// The end-to-end receipt a recipient returned for a package: the sender's
/// proof of delivery. The bytes are opaque here; the caller verifies them
/// before storing them.
public struct StoredReceipt: Sendable, Hashable {
    /// The package.
    public var packageID: PackageID
    /// The recipient's peer name (the delivery it closes).
    public var peer: String
    /// The recipient node that signed it.
    public var signedBy: NodeFingerprint
    /// When the recipient says it stored the package (Unix seconds).
    public var receivedAt: Int64
    /// The signed receipt body.
    public var body: [UInt8]
    /// The recipient's signature over ``body``.
    public var signature: [UInt8]

    /// A receipt; see the properties for what each value means.
    public init(packageID: PackageID, peer: String, signedBy: NodeFingerprint, receivedAt: Int64,
                body: [UInt8], signature: [UInt8]) {
        self.packageID = packageID
        self.peer = peer
        self.signedBy = signedBy
        self.receivedAt = receivedAt
        self.body = body
        self.signature = signature
    }
}

/// A package this node accepted: one row per package ever accepted, never
/// changed or removed, so a second copy of the same package takes no effect.
public struct InboxEntry: Sendable, Hashable {
    /// The package's id (from its header).
    public var id: PackageID
    /// The sender's peer name (from the keyring).
    public var sender: String
    /// The sender's node fingerprint (of the key it sent the package under).
    public var senderFingerprint: NodeFingerprint
    /// The fingerprint that names the sender for life (its first key's, the same
    /// across rotations). With ``id``, what identifies the package: another sender's
    /// package with the same id is another package.
    public var senderKey: NodeFingerprint
    /// Absolute path of the stored sealed package file, or `nil` if the sealed bytes
    /// are kept in the database (small packages; ``NodeStore/inboxBody(_:)``).
    public var path: String?
    /// Size of the sealed package in bytes.
    public var size: Int64
    /// When this node accepted it (Unix seconds).
    public var receivedAt: Int64
    /// Its TLP label.
    public var tlp: TrafficLightProtocol
    /// Its classification label, e.g. `RESTRICTED`.
    public var classification: String
    /// Its classification banner (`Markings.banner`), for listings.
    public var markings: String
    /// The payload's media type.
    public var contentType: String
    /// When it was sealed (Unix seconds).
    public var created: Int64
    /// When it stops being valid (Unix seconds), or `nil` if never.
    public var expires: Int64?
    /// The receipt body this node signed and returned.
    public var receiptBody: [UInt8]
    /// This node's signature over ``receiptBody``.
    public var receiptSignature: [UInt8]

    /// An inbox entry; see the properties for what each value means.
    public init(id: PackageID, sender: String, senderFingerprint: NodeFingerprint, senderKey: NodeFingerprint, path: String?, size: Int64,
                receivedAt: Int64, tlp: TrafficLightProtocol, classification: String, markings: String,
                contentType: String, created: Int64, expires: Int64?, receiptBody: [UInt8], receiptSignature: [UInt8]) {
        self.id = id
        self.sender = sender
        self.senderFingerprint = senderFingerprint
        self.senderKey = senderKey
        self.path = path
        self.size = size
        self.receivedAt = receivedAt
        self.tlp = tlp
        self.classification = classification
        self.markings = markings
        self.contentType = contentType
        self.created = created
        self.expires = expires
        self.receiptBody = receiptBody
        self.receiptSignature = receiptSignature
    }
}

/// What this node knows about a peer's sessions and traffic.
public struct PeerState: Sendable, Hashable {
    /// The peer's node fingerprint.
    public var fingerprint: NodeFingerprint
    /// The newest handshake timestamp accepted from it (the replay guard), if any.
    public var lastHandshakeTimestamp: UInt64?
    /// When a handshake with it last completed, in either direction (Unix seconds).
    public var lastHandshakeAt: Int64?
    /// The last problem with this peer, cleared by a successful handshake.
    public var lastError: String?
    /// Bytes sent to it, all sessions.
    public var bytesSent: Int64
    /// Bytes received from it, all sessions.
    public var bytesReceived: Int64

    /// A peer state; see the properties for what each value means.
    public init(fingerprint: NodeFingerprint, lastHandshakeTimestamp: UInt64?, lastHandshakeAt: Int64?,
                lastError: String?, bytesSent: Int64, bytesReceived: Int64) {
        self.fingerprint = fingerprint
        self.lastHandshakeTimestamp = lastHandshakeTimestamp
        self.lastHandshakeAt = lastHandshakeAt
        self.lastError = lastError
        self.bytesSent = bytesSent
        self.bytesReceived = bytesReceived
    }

    /// One peer's state from its two rows, when it rotated its keys since it was
    /// added: `current` (under its current fingerprint: what this node dials, the
    /// traffic since) and `lineage` (under its lifelong one: the handshakes it made
    /// as initiator, and what came before the rotation). The newest handshake and
    /// the traffic of both; the current row's error alone: since the rotation errors
    /// are recorded under the current fingerprint, so one in the other row predates
    /// it (and nothing there clears it).
    public static func combining(_ current: PeerState?, _ lineage: PeerState?) -> PeerState? {
        guard let lineage, lineage.fingerprint != current?.fingerprint else { return current }
        guard var combined = current else {
            var older = lineage
            older.lastError = nil
            return older
        }
        combined.lastHandshakeAt = [combined.lastHandshakeAt, lineage.lastHandshakeAt].compactMap { $0 }.max()
        combined.bytesSent += lineage.bytesSent
        combined.bytesReceived += lineage.bytesReceived
        return combined
    }
}

/// Totals for a status view.
public struct StoreCounts: Sendable, Hashable {
    /// Packages in the outbox.
    public var outboxPackages: Int
    /// Deliveries waiting for an attempt.
    public var queued: Int
    /// Deliveries being sent.
    public var sending: Int
    /// Deliveries with a receipt.
    public var delivered: Int
    /// Deliveries given up for good.
    public var failed: Int
    /// Deliveries whose package expired first.
    public var expired: Int
    /// Packages ever accepted.
    public var inbox: Int

    /// Totals; see the properties for what each value means.
    public init(outboxPackages: Int = 0, queued: Int = 0, sending: Int = 0, delivered: Int = 0,
                failed: Int = 0, expired: Int = 0, inbox: Int = 0) {
        self.outboxPackages = outboxPackages
        self.queued = queued
        self.sending = sending
        self.delivered = delivered
        self.failed = failed
        self.expired = expired
        self.inbox = inbox
    }
}
