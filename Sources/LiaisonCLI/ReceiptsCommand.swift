import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonWire

/// `liaison receipts`: the signed receipts partners returned, listed, exported for
/// a third party, and checked offline.
struct ReceiptsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipts",
        abstract: "Signed delivery receipts returned by peers: list, export, check.",
        discussion: """
            A receipt is the recipient's Ed25519 signature that it received, verified and
            stored exactly this package (its id and header hash) from this node, and when.
            `export` writes one to a file anyone can check with `receipts check` and the
            recipient's card, no daemon or node needed.
            """,
        subcommands: [List.self, Export.self, Check.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the newest receipts, each re-verified against the peer's key.")
        @OptionGroup var daemon: DaemonOptions
        @Option(name: .long, help: ArgumentHelp("Show at most this many receipts (up to \(ControlRequest.maximumListLimit)).", valueName: "n")) var limit = 100

        func validate() throws { try checkListLimit(limit) }

        func run() throws {
            var request = ControlRequest(.receipts)
            request.limit = limit
            let items = try daemon.connect().call(request, [ReceiptItem].self)
            noteIfCut(items.count, limit: limit, what: "receipts")
            if daemon.json { return try printJSON(items) }
            guard !items.isEmpty else { return print("No receipts yet.") }
            print(TextTable(headers: ["ID", "PEER", "RECEIVED", "SIGNATURE"]).render(items.map {
                [$0.id, $0.peer, $0.receivedAt, $0.signatureValid ? "valid" : "INVALID"]
            }))
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a package's receipt to a file a third party can check.",
            discussion: """
                The file holds the receipt's signed bytes and, for people, what they say
                (JSON, format liaison-receipt/v1). Whoever holds it and the recipient's
                card checks it offline:
                  liaison receipts export ID --peer bravo --out bravo.receipt
                  liaison receipts check bravo.receipt --card bravo.card
                A package sent to several peers has a receipt from each: name one with --peer.
                """)
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The package (its id, or the first 8 or more hex digits of it).", valueName: "id")) var id: String
        @Option(name: .long, help: ArgumentHelp("The recipient whose receipt to export (needed when there are several).", valueName: "name")) var peer: String?
        @Option(name: .long, help: ArgumentHelp("Write it here, never over an existing file (default: standard output).", valueName: "file"),
                transform: OutputPath.parse) var out: String?

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
                FileHandle.standardError.write(Data("warning: this receipt does not verify with \(item.peer)'s key on file; `receipts check` with its card will say why\n".utf8))
            }
            let document = ReceiptDocument(receipt, recipientName: item.peer)
            guard let out else { return print(document.text, terminator: "") }
            try file.write(document.text)
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
