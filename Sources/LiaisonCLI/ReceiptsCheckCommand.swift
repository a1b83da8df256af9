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
                Says whether the key on the card signed the receipt: that the node holding it
                received the package the receipt names (its id and header), from the node it
                names, at the time it names by its own clock. No daemon or node is needed.
                A card names itself: give --fingerprint, the recipient's fingerprint as you
                know it apart from the card, or compare the one printed. For a receipt older
                than the recipient's key rotation, give its card from before. The card must
                not have expired by the receipt's time. Whether the key was revoked cannot be
                known offline: ask its owner, and give its revocation statement, if there is
                one, with --revocation (revocation.txt, as `keys revoke` writes it): a receipt
                dated at or after the revocation is refused, one dated before it is verified
                with a warning, since its date is the signer's word.
                Exit status: 0 verified; 65 the signature does not verify, the file was
                edited, the card's own signature fails, or the key was revoked by then; 66 a file cannot be read; 64 a
                usage error, such as the card of another node (or one expired by then), a
                fingerprint other than the card's, or a file that is not a receipt or a card.
                """)
        @Argument(help: ArgumentHelp("The receipt, as `liaison receipts export` wrote it.", valueName: "file")) var file: String
        @Option(name: .long, help: ArgumentHelp("The recipient's node card.", valueName: "file")) var card: String
        @Option(name: .long, help: ArgumentHelp("The recipient's fingerprint as you know it apart from the card; refused if the card's differs.",
                                                valueName: "fingerprint")) var fingerprint: String?
        @Option(name: .long, help: ArgumentHelp("The recipient's revocation statement of that key, if it revoked it (revocation.txt).",
                                                valueName: "file")) var revocation: String?
        @OptionGroup var output: OutputOptions

        /// What `receipts check --json` prints.
        struct Report: Encodable {
            let verified: Bool
            let package: String
            /// The fingerprint of the key that signed it (the card's).
            let recipient: String
            /// The name the card gives itself: only its fingerprint ties it to a node.
            let cardName: String
            /// Whether `--fingerprint` was given (and matched).
            let fingerprintGiven: Bool
            /// When the key was revoked, from `--revocation` (after the receipt's time).
            let revokedAt: String?
            let sender: String
            /// The recipient's clock.
            let receivedAt: String
            let headerHash: String
        }

        func validate() throws {
            if let fingerprint { _ = try NodeFingerprint(parsing: fingerprint) }
        }

        func run() throws {
            let (document, receipt) = try ReceiptDocument.read(try readSmallFile(file, limit: ReceiptDocument.maximumByteCount), file: file)
            let signer = try Self.card(card, at: receipt.receivedAt)
            if let fingerprint, try NodeFingerprint(parsing: fingerprint) != signer.fingerprint {
                throw CoreError(.invalidArgument, "\(card) is the card of \(signer.fingerprint), not of \(fingerprint): it is not the card of the node you named")
            }
            guard signer.fingerprint == receipt.recipient else {
                throw CoreError(.invalidArgument, "\(card) is the card of \(signer.name) (\(signer.fingerprint)), but the receipt was signed by "
                                    + "\(receipt.recipient): give the card of the node that signed it (if it rotated its keys since, its card from before)")
            }
            guard signer.keys.identity.isValidSignature(receipt.signature, for: receipt.body) else {
                throw CoreError(.receiptInvalid, "the receipt's signature does not verify with the key on \(card): the receipt was altered, "
                                    + "or was never signed by that node; do not rely on it")
            }
            let revoked = try revocation.map { try Self.revocation($0, of: signer, receipt: receipt) }
            let report = Report(verified: true, package: document.package, recipient: document.recipient, cardName: signer.name,
                                fingerprintGiven: fingerprint != nil, revokedAt: revoked.map { Timestamp.iso8601($0.revokedAt) },
                                sender: document.sender, receivedAt: document.receivedAt, headerHash: document.headerHash)
            if output.json { return try printJSON(report) }
            print("VERIFIED: the key on \(card) signed this receipt")
            print("  signer:   \(signer.name), fingerprint \(report.recipient)"
                  + (fingerprint != nil ? " (as you gave it)" : " (the name is the card's own: compare the fingerprint with the recipient's, or give --fingerprint)"))
            print("  package:  \(report.package), received at \(report.receivedAt) by the recipient's clock")
            print("  from:     the node with fingerprint \(report.sender)")
            print("  header:   BLAKE2b-512 \(report.headerHash) (`liaison package inspect` shows a package file's)")
            if let revoked {
                print("  revoked:  the key was revoked at \(Timestamp.iso8601(revoked.revokedAt))"
                      + (revoked.reason.isEmpty ? "" : " (\"\(revoked.reason)\")")
                      + ", after the receipt's date; that date is the signer's word, so whoever held the key then could have written it")
            }
        }

        /// The revocation statement in `path`, checked as `signer`'s own; throws if the
        /// receipt is dated at or after it (the key was no longer the node's word then).
        static func revocation(_ path: String, of signer: NodeCard, receipt: DeliveryReceipt) throws -> RevocationStatement {
            let text = try readTextFile(path, limit: 4 * RevocationStatement.maximumByteCount)
            let statement: RevocationStatement
            do {
                statement = try RevocationStatement(text: text)
            } catch let error as CoreError {
                throw CoreError(.invalidArgument, "\(path) is not a revocation statement as `liaison keys revoke` writes it (\(error.message))")
            }
            guard statement.fingerprint == signer.fingerprint else {
                throw CoreError(.invalidArgument, "\(path) revokes the key \(statement.fingerprint), not \(signer.fingerprint), the one that signed the receipt")
            }
            guard statement.verify(identity: signer.keys.identity) else {
                throw CoreError(.revocationSignatureInvalid, "\(path) is not signed by the key it revokes: it was altered; do not rely on it")
            }
            guard receipt.receivedAt < statement.revokedAt else {
                throw CoreError(.receiptInvalid, "the receipt is dated \(Timestamp.iso8601(receipt.receivedAt)), when the key that signed it "
                                    + "was already revoked (at \(Timestamp.iso8601(statement.revokedAt))): it is not the node's word; do not rely on it")
            }
            return statement
        }

        /// The card in `path`, its own signature checked and not expired by `time`
        /// (the receipt's). A file that is no card, or one expired by then, is the
        /// wrong card (64); a card whose signature fails is a damaged one (65).
        static func card(_ path: String, at time: Int64) throws -> NodeCard {
            let text = try readTextFile(path, limit: NodeCard.maximumByteCount)
            do {
                return try NodeCard(parsing: text, now: time)
            } catch let error as CoreError {
                switch error.code {
                case .cardExpired:
                    throw CoreError(.invalidArgument, "\(path) had expired by the receipt's time (\(Timestamp.iso8601(time))): give a card of "
                                        + "the same key that was valid then, or one issued since")
                case .cardSignatureInvalid:
                    throw CoreError(.cardSignatureInvalid, "\(path): \(error.message)")
                default:
                    throw CoreError(.invalidArgument, "\(path) is not a node card as `liaison keys card` writes it (\(error.message))")
                }
            }
        }
    }
}
