import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonWire

extension ReceiptsCommand {
    /// `liaison receipts check`: a receipt exported by `receipts export`, checked
    /// offline against the recipient's card.
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an exported receipt against the recipient's card, offline.",
            discussion: """
                Says whether the node on the card signed that it received the package the
                receipt names, from the node it names, at the time it names. No daemon or
                node is needed: give the card you hold for the recipient (its card from
                before a rotation, if the receipt is older than that). The card must have
                been valid when the receipt was signed.
                Exit status: 0 verified; 65 the receipt does not verify with the card's key,
                or the file was altered; 66 a file cannot be read; 64 a usage error, such as
                the card of another node or a file that is not a receipt.
                """)
        @Argument(help: ArgumentHelp("The receipt, as `liaison receipts export` wrote it.", valueName: "file")) var file: String
        @Option(name: .long, help: ArgumentHelp("The recipient's node card.", valueName: "file")) var card: String
        @OptionGroup var output: OutputOptions

        /// What `receipts check --json` prints.
        struct Report: Encodable {
            let verified: Bool
            let package: String
            let recipient: String
            let recipientCard: String
            let sender: String
            let receivedAt: String
            let headerHash: String
        }

        func run() throws {
            let (document, receipt) = try ReceiptDocument.read(try Self.read(file, what: "receipt", limit: ReceiptDocument.maximumByteCount + 1),
                                                               file: file)
            let signer = try Self.card(card, at: receipt.receivedAt)
            guard signer.fingerprint == receipt.recipient else {
                throw CoreError(.invalidArgument, "\(card) is the card of \(signer.name) (\(signer.fingerprint)), but the receipt was signed by "
                                    + "\(receipt.recipient): give the card of the node that signed it (if it rotated its keys since, its card from before)")
            }
            guard signer.keys.identity.isValidSignature(receipt.signature, for: receipt.body) else {
                throw CoreError(.receiptInvalid, "the receipt's signature does not verify with \(signer.name)'s key: the receipt was altered, "
                                    + "or was never signed by that node; do not rely on it")
            }
            let report = Report(verified: true, package: document.package, recipient: document.recipient, recipientCard: signer.name,
                                sender: document.sender, receivedAt: document.receivedAt, headerHash: document.headerHash)
            if output.json { return try printJSON(report) }
            print("VERIFIED: \(signer.name) (\(report.recipient)) signed that it received package \(report.package) at \(report.receivedAt)")
            print("from node \(report.sender), the sealed package whose header hashes (BLAKE2b-512) to \(report.headerHash)")
        }

        /// The card in `path`, checked as valid at `time` (when the receipt was signed).
        static func card(_ path: String, at time: Int64) throws -> NodeCard {
            let text = String(decoding: try read(path, what: "card", limit: NodeCard.maximumByteCount + 1), as: UTF8.self)
            do {
                return try NodeCard(parsing: text, now: time)
            } catch let error as CoreError where error.code == .cardExpired {
                throw CoreError(.cardExpired, "\(path) was no longer valid when the receipt was signed (\(Timestamp.iso8601(time))): \(error.message)")
            }
        }

        private static func read(_ path: String, what: String, limit: Int) throws -> [UInt8] {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw CoreError(.inputUnreadable, "cannot read the \(what) \(path): no such file or not readable")
            }
            defer { try? handle.close() }
            return Array((try? handle.read(upToCount: limit)) ?? Data())
        }
    }
}
