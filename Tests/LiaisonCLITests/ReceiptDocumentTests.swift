import Foundation
@testable import LiaisonCLI
import LiaisonCore
import LiaisonCrypto
import LiaisonWire
import Testing

/// The exported receipt document: written, read back, and refused when it is not one
/// (64) or when it is one that was changed (65).
@Suite("liaison-receipt/v1 documents")
struct ReceiptDocumentTests {
    static func receipt() throws -> DeliveryReceipt {
        DeliveryReceipt(packageID: try PackageID.random(), headerHash: [UInt8](repeating: 7, count: 64), recipient: try IdentitySecretKey(),
                        sender: NodeFingerprint(identity: try IdentitySecretKey().publicKey), receivedAt: 1_795_651_200)
    }

    static func read(_ text: String) throws -> (document: ReceiptDocument, receipt: DeliveryReceipt) {
        try ReceiptDocument.read(Array(text.utf8), file: "r.json")
    }

    static func code(_ text: String) -> String? {
        do { _ = try read(text); return nil } catch let error as CoreError { return error.code.rawValue } catch { return "\(error)" }
    }

    @Test("written, it reads back as the same receipt, with its fields saying what the signed bytes say")
    func roundTrip() throws {
        let receipt = try Self.receipt()
        let document = ReceiptDocument(receipt, recipientName: "bravo")
        let (read, decoded) = try Self.read(document.text)
        #expect(read == document && decoded == receipt)
        #expect(document.package == receipt.packageID.description && document.headerHash == String(repeating: "07", count: 64))
        #expect(document.receivedAt == "2026-11-26T00:00:00Z" && document.text.hasSuffix("}\n"))
    }

    @Test("not a receipt document: a usage error", arguments: ["", "not json", "[]", #"{"format":"liaison-receipt/v1"}"#])
    func notOne(_ text: String) {
        #expect(Self.code(text) == "argument.invalid")
    }

    @Test("another format, or a document past the size limit: a usage error")
    func otherFormatOrTooLarge() throws {
        let document = ReceiptDocument(try Self.receipt(), recipientName: nil)
        #expect(Self.code(document.text.replacingOccurrences(of: "liaison-receipt/v1", with: "liaison-receipt/v2")) == "argument.invalid")
        var large = document
        large.recipientName = String(repeating: "x", count: ReceiptDocument.maximumByteCount)
        #expect(Self.code(large.text) == "argument.invalid")
    }

    @Test("a receipt whose signed bytes or readable fields were changed: malformed")
    func changed() throws {
        let document = ReceiptDocument(try Self.receipt(), recipientName: "bravo")
        var garbled = document
        garbled.receipt = "bm90IGEgcmVjZWlwdA=="   // base64, not a receipt
        #expect(Self.code(garbled.text) == "receipt.malformed")
        var notBase64 = document
        notBase64.receipt = "***"
        #expect(Self.code(notBase64.text) == "receipt.malformed")
        for edit in [\ReceiptDocument.package, \.recipient, \.sender, \.receivedAt, \.headerHash] {
            var edited = document
            edited[keyPath: edit] = "0" + edited[keyPath: edit].dropFirst()
            if edited == document { edited[keyPath: edit] = "1" + edited[keyPath: edit].dropFirst() }
            #expect(Self.code(edited.text) == "receipt.malformed", "\(edit)")
        }
        // The exporter's name for the recipient is not signed: changing it changes nothing checked.
        var renamed = document
        renamed.recipientName = "someone"
        #expect(try Self.read(renamed.text).receipt == (try Self.read(document.text).receipt))
    }
}
