/// Two partners' logs held against each other, delivery by delivery: every receipt
/// one node holds from the other must be in the other's log.
///
/// A recipient records `package.received`, naming the receipt, in the commit that
/// stores the package and before it sends the receipt (fail closed). So a receipt
/// the sender's log holds is in the recipient's log, unless that log, as given,
/// ends before the receipt's own time, which is the recipient's clock, as the end
/// of its log is: no comparison across the two nodes' clocks is needed. A receipt
/// missing there means one of the two logs does not tell the truth: the sender's
/// names a receipt never issued, or the recipient's lacks one it issued. (The
/// receipt's time is the recipient's word; ``marginSeconds`` allows for entries
/// made just before the recipient's log, as given, ends.)
///
/// The other way is not an obligation: a recipient may log a package whose receipt
/// never reached the sender (the connection dropped), and the sender records it
/// only when it delivers the package again. Such entries are counted, not failed.
public struct DeliveryMatch: Sendable {
    /// One direction: the receipts `sender` holds from `recipient`.
    public struct Direction: Sendable {
        public let sender: String
        public let recipient: String
        /// Receipts the sender's log holds that the recipient's log names too.
        public let matched: Int
        /// Receipts the sender's log holds, dated within the recipient's log, that the
        /// recipient's log does not name: each a discrepancy.
        public let missing: [DeliveryLog.Delivery]
        /// Receipts dated after, or within ``DeliveryMatch/marginSeconds`` before, the
        /// end of the recipient's log as given: not checked.
        public let afterRecipientLogEnds: Int
        /// Receipts the recipient's log names from this sender that the sender's log
        /// does not hold (yet): not a discrepancy (see the type's documentation).
        public let issuedNotHeld: Int
    }

    /// How far before the recipient's last entry a receipt must be dated to be
    /// checked. Entries are appended in commit order but dated when made, and the
    /// receipt is dated a moment before its entry: a minute covers both, and leaves
    /// only the last minute of a recipient's log unchecked.
    public static let marginSeconds: Int64 = 60

    /// The receipts the first log's node holds from the second's, and the reverse.
    public let directions: [Direction]
    /// `package.delivered` entries naming no receipt (older logs), in both logs.
    public let deliveriesWithoutReceipt: Int

    /// Whether no receipt is missing from the log of the node that issued it.
    public var isConsistent: Bool { directions.allSatisfy(\.missing.isEmpty) }

    /// Holds `first` and `second` against each other.
    public init(_ first: DeliveryLog, _ second: DeliveryLog) {
        directions = [Self.direction(from: first, to: second), Self.direction(from: second, to: first)]
        deliveriesWithoutReceipt = first.deliveriesWithoutReceipt + second.deliveriesWithoutReceipt
    }

    private static func direction(from sender: DeliveryLog, to recipient: DeliveryLog) -> Direction {
        var matched = 0, later = 0, missing: [DeliveryLog.Delivery] = [], held = Set<String>()
        for delivery in sender.deliveries where recipient.fingerprints.contains(delivery.signedBy) {
            held.insert(delivery.signature)
            if recipient.issued[delivery.signature] != nil {
                matched += 1
            } else if (delivery.receivedAt + Self.marginSeconds) * 1000 >= recipient.lastEntryTime {
                later += 1
            } else {
                missing.append(delivery)
            }
        }
        // What the recipient issued to this sender that the sender does not hold (yet).
        let notHeld = recipient.issued.filter { signature, issued in
            issued.sender.map(sender.fingerprints.contains) == true && !held.contains(signature)
        }.count
        return Direction(sender: sender.origin, recipient: recipient.origin, matched: matched, missing: missing,
                         afterRecipientLogEnds: later, issuedNotHeld: notHeld)
    }
}
