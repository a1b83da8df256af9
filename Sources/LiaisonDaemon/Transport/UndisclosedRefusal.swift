import LiaisonCore
import LiaisonCrypto
import LiaisonWire

/// A package refused for a reason the delivering peer must not learn: it is not
/// addressed to this node, its header does not open here, or it names a sender
/// other than the delivering peer (an unknown key, another peer's, a revoked one).
///
/// Telling these apart would let a peer that holds someone else's package (a
/// co-recipient) find out whether this node received it too, and let any peer test
/// which identity keys this node's keyring holds. So the peer always gets the one
/// reply ``reply(for:)``, byte for byte; the specific reason (``localReason``) goes
/// to this node's log and audit record only.
struct UndisclosedRefusal: Error {
    /// The opener's error code (`package.not-a-recipient`, `package.unknown-sender`, …).
    let code: String
    /// What happened, for this node's operator: may name another peer or a key.
    let localReason: String

    /// The detail every such refusal carries on the wire; it tells the sender's
    /// operator what to check without saying which check failed.
    static let wireDetail = "this node does not take this package from you: it takes only packages sealed by the delivering node and addressed to this one [package.not-accepted]"

    /// The refusal sent to the peer: the same for every cause.
    static func reply(for id: PackageID) -> SessionMessage {
        .reject(packageID: id, reason: .refused, detail: wireDetail)
    }

    /// The refusal sent for a resumed transfer (its kept prefix may be damaged):
    /// start over. Also the same for every cause; a fresh transfer then gets ``reply(for:)``.
    static func restartReply(for id: PackageID) -> SessionMessage {
        .reject(packageID: id, reason: .unavailable, detail: "the resumed package does not verify; send it again from the start")
    }

    /// The refusal of a package whose header failed with `error` while being opened
    /// for `peer`; `named` is the identity key its sender box named, if it opened.
    init(_ error: any Error, peer: PeerRecord, named: [UInt8]?, keyring: some SenderDirectory) {
        let core = error as? CoreError
        code = core?.code.rawValue ?? "package.header-unreadable"
        if core?.code == .unknownSender, let named {
            let fingerprint = (try? IdentityPublicKey(rawRepresentation: named)).map { NodeFingerprint(identity: $0).description } ?? "an invalid key"
            if let other = keyring.sender(withIdentity: named) {
                localReason = "sealed by \(other.name) (\(fingerprint)), not by \(peer.name), which delivered it"
            } else {
                localReason = "sealed by \(fingerprint), which is in neither \(peer.name)'s keys nor this node's keyring"
            }
        } else {
            localReason = core?.message ?? "the header does not open: \(error)"
        }
    }
}
