import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonWire

extension ReceiptsCommand {
    /// `liaison receipts export`: one package's receipt from one recipient, written
    /// as a ``ReceiptDocument`` for a third party to check offline.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a package's receipt to a file a third party can check.",
            discussion: """
                The file holds the receipt's signed bytes and, for people, what they say
                (JSON, format liaison-receipt/v1). Whoever holds it, the recipient's card
                and its fingerprint (obtained apart from the card) checks it offline:
                  liaison receipts export ID --peer bravo --out bravo.receipt
                  liaison receipts check bravo.receipt --card bravo.card --fingerprint FP
                A package sent to several peers has a receipt from each: name one with --peer.
                Exit status: 0 written; 64 a usage error (several receipts and no --peer, or
                --out names a file that exists); 66 no such package, peer or receipt; 69 the
                daemon is not running.
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The package (its id, or the first 8 or more hex digits of it).", valueName: "id")) var id: String
        @Option(name: .long, help: ArgumentHelp("The recipient whose receipt to export (needed when there are several).", valueName: "name")) var peer: String?
        @Option(name: .long, help: ArgumentHelp("Write it here, never over an existing file (default: standard output).", valueName: "file"),
                transform: OutputPath.parse) var out: String?

        /// What `--json` prints once the receipt is written to `--out`.
        struct Written: Encodable {
            let id: String
            let peer: String
            let out: String
            let signatureValid: Bool
        }

        func run() throws {
            var request = ControlRequest(.receipts)
            request.id = id
            // Made before the daemon is asked, and never over an earlier receipt.
            let file = try KeptNoteFile(out, mode: 0o644)
            let items = try daemon.connect().call(request, [ReceiptItem].self)
            let item = try Self.choose(items, peer: peer)
            guard let encoded = item.receipt.flatMap({ Data(base64Encoded: $0) }), let receipt = try? DeliveryReceipt(decoding: Array(encoded)) else {
                throw CoreError(.malformedReceipt, "the receipt stored for \(item.id) from \(item.peer) does not decode; the store may be damaged (`liaison audit verify`)")
            }
            if !item.signatureValid {
                // It verified when it arrived: the key on file for the name is another one now.
                FileHandle.standardError.write(Data("warning: this receipt does not verify with the key now on file for \(item.peer) (signed by \(receipt.recipient); a rotation since?); it is exported as stored: check it with the card of the key that signed it\n".utf8))
            }
            let document = ReceiptDocument(receipt, recipientName: item.peer)
            guard let out else { return print(document.text, terminator: "") }
            try file.write(document.text)
            if daemon.json { return try printJSON(Written(id: item.id, peer: item.peer, out: out, signatureValid: item.signatureValid)) }
            FileHandle.standardError.write(Data("wrote \(item.peer)'s receipt for \(item.id) to \(out)\n".utf8))
        }

        /// The receipt from `peer`, or the only one.
        static func choose(_ items: [ReceiptItem], peer: String?) throws -> ReceiptItem {
            let names = items.map(\.peer).joined(separator: ", ")
            guard let peer else {
                guard items.count == 1, let only = items.first else {
                    throw CoreError(.invalidArgument, "the package has receipts from \(names): name one with --peer")
                }
                return only
            }
            guard let item = items.first(where: { $0.peer == peer }) else {
                throw CoreError(.unknownPeer, "no receipt from \(peer) for this package; it has receipts from \(names)")
            }
            return item
        }
    }
}
