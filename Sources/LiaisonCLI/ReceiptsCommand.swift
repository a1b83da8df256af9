import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore

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
            recipient's card (and its fingerprint, obtained apart from the card), no daemon
            or node needed.
            """,
        subcommands: [List.self, Export.self, Check.self],
        defaultSubcommand: List.self)

    /// `liaison receipts list` (also `liaison receipts`): the newest receipts.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the newest receipts, each re-verified against the peer's key.")
        @OptionGroup var daemon: DaemonOptions
        @Option(name: .long, help: ArgumentHelp("Show at most this many receipts (up to \(ControlRequest.maximumListLimit)).", valueName: "n")) var limit = 100
        @Option(name: .long, help: ArgumentHelp("Only the receipts from this peer.", valueName: "name")) var peer: String?
        @Option(name: .long, help: ArgumentHelp("Every receipt for this package (its id, or its first 8 or more hex digits), one per recipient that returned one.", valueName: "id"))
        var package: String?

        func validate() throws {
            try checkListLimit(limit)
            if let package { try PackageIDArgument.validate(package) }
        }

        func run() throws {
            var request = ControlRequest(.receipts)
            request.limit = limit
            request.peer = peer
            request.id = package
            // Filtered here too: a daemon from before --peer ignores it and answers for every peer.
            let items = try daemon.connect().call(request, [ReceiptItem].self).filter { item in peer.map { item.peer == $0 } ?? true }
            noteIfCut(items.count, limit: limit, what: "receipts")
            if daemon.json { return try printJSON(items) }
            guard !items.isEmpty else { return print("No receipts yet.") }
            print(TextTable(headers: ["ID", "PEER", "RECEIVED", "SIGNATURE"]).render(items.map {
                [$0.id, $0.peer, $0.receivedAt, $0.signatureValid ? "valid" : "INVALID"]
            }))
        }
    }
}
