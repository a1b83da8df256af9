/// Two partners' logs held against each other, delivery by delivery: every receipt
/// one node holds from the other must be in the other's log.
///
/// A recipient journals `package.received`, naming the receipt, in the commit that
/// stores the package, and sends the receipt only once that commit is durable. So a
/// receipt the sender's log holds is in the recipient's log, if that log, as given,
/// covers the receipt's time. Both that time and the end of the recipient's log are
/// the recipient's clock: no clocks are compared across partners, but the check
/// assumes the recipient's clock was not ahead when its log was exported.
///
/// Receipts are checked only where the recipient's log names the receipts it issues
/// (since its first `daemon.started` with `names-receipts`), and only if dated
/// ``marginSeconds`` or more before its end. A receipt missing there, naming another
/// package, or signed by a key the recipient's log never shows, means one of the two
/// logs does not tell the truth — or that the recipient's store was restored from a
/// backup (``DeliveryLog/journalRenumberedAt``).
///
/// The other way is not an obligation: a recipient may log a package whose receipt
/// never reached the sender (the connection dropped); the sender records it only when
/// it delivers the package again. Such entries are counted, not failed.
public struct DeliveryMatch: Sendable {
    /// A receipt the sender holds that the recipient's log contradicts.
    public struct Discrepancy: Sendable, Equatable {
        public enum Kind: String, Sendable {
            /// The recipient's log names no such receipt.
            case missing
            /// The recipient's log names the receipt for another package or sender.
            case otherPackage = "other-package"
            /// Signed by a key the recipient's log never shows as its own.
            case unknownSigner = "unknown-signer"
        }
        public let kind: Kind
        public let delivery: DeliveryLog.Delivery
    }

    /// One direction: the receipts `sender` holds from `recipient`.
    public struct Direction: Sendable {
        public let sender: String
        public let recipient: String
        /// Receipts the sender's log holds that the recipient's log names alike.
        public let matched: Int
        /// Receipts the recipient's log contradicts: each a discrepancy.
        public let discrepancies: [Discrepancy]
        /// Receipts dated after, or within ``DeliveryMatch/marginSeconds`` before, the
        /// end of the recipient's log as given: not checked.
        public let afterRecipientLogEnds: Int
        /// Receipts dated before the recipient's log named the receipts it issues
        /// (it ran an older version then): not checkable.
        public let beforeRecipientNamedReceipts: Int
        /// Receipts the recipient's log names from this sender that the sender's log
        /// does not hold (yet): not a discrepancy (see the type's documentation).
        public let issuedNotHeld: Int
    }

    /// How far before the end of the recipient's log a receipt must be dated to be
    /// checked. Entries are appended in commit order but dated when made, a moment
    /// before their commit; ten minutes allows for a slow disk, and leaves only the
    /// last ten minutes of an export unchecked (export again later to check them).
    public static let marginSeconds: Int64 = 600

    /// The receipts the first log's node holds from the second's, and the reverse.
    public let directions: [Direction]
    /// `package.delivered` entries naming no receipt (older logs), in both logs.
    public let deliveriesWithoutReceipt: Int

    /// Whether no receipt either node holds is contradicted by the other's log.
    public var isConsistent: Bool { directions.allSatisfy(\.discrepancies.isEmpty) }
    /// How many receipts were checked either way (matched or not).
    public var checked: Int { directions.reduce(0) { $0 + $1.matched + $1.discrepancies.count } }

    /// Holds `first` and `second` against each other.
    public init(_ first: DeliveryLog, _ second: DeliveryLog) {
        directions = [Self.direction(from: first, to: second), Self.direction(from: second, to: first)]
        deliveriesWithoutReceipt = first.deliveriesWithoutReceipt + second.deliveriesWithoutReceipt
    }

    private static func direction(from sender: DeliveryLog, to recipient: DeliveryLog) -> Direction {
        var matched = 0, later = 0, older = 0, discrepancies: [Discrepancy] = [], held = Set<String>()
        let end = recipient.endTime ?? .min
        for delivery in sender.deliveries {
            let signerKnown = recipient.fingerprints.contains(delivery.signedBy)
            guard signerKnown || delivery.peer.map(recipient.fingerprints.contains) == true else { continue }   // another node's
            held.insert(delivery.signature)
            let issued = recipient.issued[delivery.signature]
            if let issued, signerKnown, issued.package == delivery.package, issued.sender.map(sender.fingerprints.contains) == true {
                matched += 1
            } else if (delivery.receivedAt + marginSeconds) * 1000 >= end {
                later += 1
            } else if recipient.namesReceiptsSince.map({ delivery.receivedAt * 1000 < $0 }) ?? true {
                older += 1
            } else {
                discrepancies.append(Discrepancy(kind: !signerKnown ? .unknownSigner : issued != nil ? .otherPackage : .missing, delivery: delivery))
            }
        }
        let notHeld = recipient.issued.filter { signature, issued in
            issued.sender.map(sender.fingerprints.contains) == true && !held.contains(signature)
        }.count
        return Direction(sender: sender.origin, recipient: recipient.origin, matched: matched, discrepancies: discrepancies,
                         afterRecipientLogEnds: later, beforeRecipientNamedReceipts: older, issuedNotHeld: notHeld)
    }
}
