import LiaisonCore

/// What one node's audit log says of the deliveries it took part in, gathered
/// entry by entry (``add(_:index:)``) for ``DeliveryMatch``.
///
/// Since 2026-11-29 a delivery is closed by one entry on each side naming the same
/// receipt: the sender's `package.delivered` and the recipient's `package.received`,
/// each with `receipt-signed-by` and `receipt-signature`. Older entries carry no
/// receipt and are only counted.
public struct DeliveryLog: Sendable {
    /// A receipt this node holds: its `package.delivered` entry.
    public struct Delivery: Sendable, Equatable {
        /// The entry's index in this log.
        public let index: Int
        public let package: String
        /// The fingerprint of the key that signed the receipt (the recipient's).
        public let signedBy: String
        public let signature: String
        /// When the recipient stored the package, by its clock (Unix seconds).
        public let receivedAt: Int64
    }

    /// The log's origin (`liaison/<first fingerprint>`).
    public let origin: String
    /// Every identity fingerprint this node's log shows it held: the first (its
    /// log's name), each rotation's, and each that signed a receipt it issued.
    public private(set) var fingerprints: Set<String>
    /// Receipts this node holds, in log order.
    public private(set) var deliveries: [Delivery] = []
    /// A receipt this node issued: its `package.received` entry.
    public struct Issued: Sendable, Equatable {
        /// The entry's index in this log.
        public let index: Int
        /// The fingerprint of the node the package came from, as the entry names it.
        public let sender: String?
    }

    /// Receipts this node issued, by signature.
    public private(set) var issued: [String: Issued] = [:]
    /// The newest entry's time (Unix milliseconds): the log, as given, ends there.
    public private(set) var lastEntryTime: Int64 = .min
    /// `package.delivered` entries that name no receipt (written before 2026-11-29).
    public private(set) var deliveriesWithoutReceipt = 0

    /// An empty record of the log named `origin`.
    public init(origin: String) {
        self.origin = origin
        let prefix = "liaison/"
        fingerprints = origin.hasPrefix(prefix) ? [String(origin.dropFirst(prefix.count))] : []
    }

    /// Takes in the log's entry at `index` (entries in log order).
    public mutating func add(_ event: AuditEvent, index: Int) {
        lastEntryTime = max(lastEntryTime, event.time)
        guard event.outcome == .ok else { return }
        switch event.kind {
        case .keyRotated where event.details["by"] == "self":
            if let fingerprint = event.details["fingerprint"] { fingerprints.insert(fingerprint) }
        case .packageReceived:
            guard let signature = event.details["receipt-signature"] else { return }
            issued[signature] = Issued(index: index, sender: event.peer)
            if let signer = event.details["receipt-signed-by"] { fingerprints.insert(signer) }
        case .packageDelivered:
            guard let signature = event.details["receipt-signature"], let signer = event.details["receipt-signed-by"],
                  let package = event.package, let receivedAt = event.details["received-at"].flatMap(Timestamp.parse) else {
                deliveriesWithoutReceipt += 1
                return
            }
            deliveries.append(Delivery(index: index, package: package, signedBy: signer, signature: signature, receivedAt: receivedAt))
        default:
            return
        }
    }
}
