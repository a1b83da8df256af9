import Foundation
import LiaisonCore
import LiaisonWire

/// A delivery receipt as `liaison receipts export` writes it for someone outside
/// the exchange (a partner, an arbiter), and `liaison receipts check` reads it.
///
/// `receipt` holds the signed bytes, base64 of the body then the signature, as the
/// recipient sent them: that is what is checked. The other fields say what those
/// bytes say, for people; a file whose fields disagree with its bytes is refused.
/// `recipientName` is the exporter's name for the recipient, not part of what was
/// signed.
struct ReceiptDocument: Codable, Equatable {
    static let currentFormat = "liaison-receipt/v1"
    /// Larger than any such document, for reading one.
    static let maximumByteCount = 16 * 1024

    var format: String
    var package: String
    /// The fingerprint of the key that signed the receipt.
    var recipient: String
    var recipientName: String?
    /// The fingerprint of the node the package came from.
    var sender: String
    var receivedAt: String
    /// BLAKE2b-512 of the sealed package's header, hex: the receipt is for those bytes.
    var headerHash: String
    var receipt: String

    init(_ receipt: DeliveryReceipt, recipientName: String?) {
        format = Self.currentFormat
        package = receipt.packageID.description
        recipient = receipt.recipient.description
        self.recipientName = recipientName
        sender = receipt.sender.description
        receivedAt = Timestamp.iso8601(receipt.receivedAt)
        headerHash = Hex.encode(receipt.headerHash)
        self.receipt = Data(receipt.encoded).base64EncodedString()
    }

    /// The document as written: JSON, keys sorted, one per line, then a line end.
    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self) + "\n"
    }

    /// Reads a document from `file`'s bytes and the receipt it carries. A file that
    /// is not such a document is a usage error (64); one that is but whose receipt
    /// does not decode, or whose fields disagree with it, is malformed (65).
    static func read(_ bytes: [UInt8], file: String) throws -> (document: ReceiptDocument, receipt: DeliveryReceipt) {
        guard bytes.count <= maximumByteCount,
              let document = try? JSONDecoder().decode(ReceiptDocument.self, from: Data(bytes)) else {
            throw CoreError(.invalidArgument, "\(file) is not a receipt as `liaison receipts export` writes it (a JSON object with \"format\": \"\(currentFormat)\")")
        }
        guard document.format == currentFormat else {
            throw CoreError(.invalidArgument, "\(file) is a receipt of format \"\(document.format.printable)\", which this version does not know (it reads \(currentFormat))")
        }
        guard let encoded = Data(base64Encoded: document.receipt), let receipt = try? DeliveryReceipt(decoding: Array(encoded)) else {
            throw CoreError(.malformedReceipt, "the signed receipt in \(file) does not decode: the file was altered after it was exported")
        }
        guard ReceiptDocument(receipt, recipientName: document.recipientName) == document else {
            throw CoreError(.malformedReceipt, "the readable fields of \(file) do not say what its signed receipt says: the file was edited after it was exported (what counts is the signed receipt)")
        }
        return (document, receipt)
    }
}
