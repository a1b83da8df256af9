import Foundation
import LiaisonCore
import LiaisonWire

extension DeliveryReceipt {
    /// What the audit entries closing a delivery say of its receipt, on both sides
    /// alike: when the recipient took the package (its clock), the key that signed
    /// the receipt (the recipient's current or, during a rotation's overlap, its
    /// previous identity) and the receipt's signature. The sender's
    /// `package.delivered` and the recipient's `package.received` thus name the same
    /// receipt, so an auditor holding both logs can match their entries by it. The
    /// signature is for matching, not evidence on its own: it signs the package's
    /// header hash too, which neither log holds (the sender's store keeps the whole
    /// receipt: `liaison receipts`). `more` are the entry's other details.
    func auditDetails(adding more: [String: String] = [:]) -> [String: String] {
        var details = more
        details["received-at"] = Timestamp.iso8601(receivedAt)
        details["receipt-signed-by"] = recipient.description
        details["receipt-signature"] = Data(signature).base64EncodedString()
        return details
    }
}
