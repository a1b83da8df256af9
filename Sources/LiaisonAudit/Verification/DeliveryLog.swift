import LiaisonCore

/// What one node's audit log says of the deliveries it took part in, gathered
/// entry by entry in log order (``add(_:index:)``) for ``DeliveryMatch``.
///
/// Since 2026-11-29 a delivery is closed by one entry on each side naming the same
/// receipt: the sender's `package.delivered` and the recipient's `package.received`,
/// each with `receipt-signed-by` and `receipt-signature`; and each `daemon.started`
/// says `names-receipts: true`. Entries from before that name no receipt.
public struct DeliveryLog: Sendable {
    /// A receipt this node holds: its `package.delivered` entry.
    public struct Delivery: Sendable, Equatable {
        /// The entry's index in this log.
        public let index: Int
        public let package: String
        /// The fingerprint of the peer the entry names (its key on file then).
        public let peer: String?
        /// The fingerprint of the key that signed the receipt (the recipient's).
        public let signedBy: String
        public let signature: String
        /// When the recipient stored the package, by its clock (Unix seconds).
        public let receivedAt: Int64
    }

    /// A receipt this node issued: its `package.received` entry.
    public struct Issued: Sendable, Equatable {
        /// The entry's index in this log.
        public let index: Int
        public let package: String?
        /// The fingerprint of the node the package came from, as the entry names it.
        public let sender: String?
    }

    /// The log's origin (`liaison/<first fingerprint>`, with a label if the node began it after its first).
    public let origin: String
    /// Every identity fingerprint this node's log shows it held: the first (its
    /// log's name), each of its own rotations', and each that signed a receipt it issued.
    public private(set) var fingerprints: Set<String>
    /// Receipts this node holds, in log order.
    public private(set) var deliveries: [Delivery] = []
    /// Receipts this node issued, by signature.
    public private(set) var issued: [String: Issued] = [:]
    /// The time of the log's last entry in log order (Unix milliseconds): the log,
    /// as given, ends there by this node's clock.
    public private(set) var endTime: Int64?
    /// From when (Unix milliseconds, this node's clock) its entries name the receipts
    /// it issues: its first `daemon.started` saying so. Nil if none does.
    public private(set) var namesReceiptsSince: Int64?
    /// When its store's audit journal was found behind the log at a start (restored
    /// from a backup, or newest commits lost): receipts issued just before may be
    /// missing from the log for that reason.
    public private(set) var journalRenumberedAt: [Int64] = []
    /// `package.delivered` entries that name no receipt (written before 2026-11-29).
    public private(set) var deliveriesWithoutReceipt = 0

    /// An empty record of the log named `origin`; nil unless it is `liaison/<fingerprint>`
    /// (or `liaison/<fingerprint>/<label>`, a log the node began after its first).
    public init?(origin: String) {
        let prefix = "liaison/", family = NodeLogNames.family(of: origin)
        guard family.hasPrefix(prefix), let first = try? NodeFingerprint(parsing: String(family.dropFirst(prefix.count))) else { return nil }
        self.origin = origin
        fingerprints = [first.description]
    }

    /// Takes in the log's entry at `index` (entries in log order).
    public mutating func add(_ event: AuditEvent, index: Int) {
        endTime = event.time
        guard event.outcome == .ok else { return }
        switch event.kind {
        case .daemonStarted:
            if event.details["names-receipts"] == "true", namesReceiptsSince == nil { namesReceiptsSince = event.time }
            if event.details["journal-renumbered"] != nil { journalRenumberedAt.append(event.time) }
        case .logStarted:
            // A log begun after another names the node's identities, which the rotations recorded before.
            for fingerprint in (event.details["node-fingerprints"] ?? "").split(separator: ",") { fingerprints.insert(String(fingerprint)) }
        case .keyRotated where event.details["by"] == "self":
            if let fingerprint = event.details["fingerprint"] { fingerprints.insert(fingerprint) }
        case .packageReceived:
            guard let signature = event.details["receipt-signature"] else { return }
            issued[signature] = Issued(index: index, package: event.package, sender: event.peer)
            if let signer = event.details["receipt-signed-by"] { fingerprints.insert(signer) }
        case .packageDelivered:
            guard let signature = event.details["receipt-signature"], let signer = event.details["receipt-signed-by"],
                  let package = event.package, let receivedAt = event.details["received-at"].flatMap(Timestamp.parse) else {
                deliveriesWithoutReceipt += 1
                return
            }
            deliveries.append(Delivery(index: index, package: package, peer: event.peer, signedBy: signer, signature: signature,
                                       receivedAt: receivedAt))
        default:
            return
        }
    }
}
