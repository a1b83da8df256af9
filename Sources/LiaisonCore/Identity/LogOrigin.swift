import Foundation
import LiaisonCrypto

/// Proof of the name a rotated node's audit log keeps: the identity key the node
/// had when its log began, and that key's Ed25519 signature over the domain label
/// `liaison/log-origin/v1` and a newline, that key (32 bytes) and the log key (32
/// bytes). A node's log is named after its first fingerprint for life
/// (`liaison/<fingerprint>`) and its log key is never rotated, so "the log begun
/// under this identity key is signed by this log key" is what a partner that adds
/// the node after a rotation needs to name its log, and its witness key, right.
///
/// The proof binds the name to the log key, not to the card: a node that copied it
/// into its own card, with the victim's log key, could sign no checkpoint and no
/// cosignature under that name. So a partner uses it for those names alone
/// (``PeerRecord/auditLogName``), never for anything it files the peer by, and the
/// first key's holder — the only one who can make it — is the only one who can
/// put a log key under the name. A card carries it as its `log-origin` line once
/// the node has rotated (``NodeCard``); the node keeps it in `keys/log-origin.txt`.
public struct LogOrigin: Sendable, Hashable {
    /// The identity key the node had when its log began.
    public let identity: IdentityPublicKey
    /// That key's signature over the log key (see the type's documentation).
    public let signature: [UInt8]

    static let label = Array("liaison/log-origin/v1\n".utf8)

    /// Signs, with the identity key the log began under, that `log` is the log's key.
    public init(signing first: IdentitySecretKey, log: LogPublicKey) {
        identity = first.publicKey
        signature = first.signature(for: Self.message(first.publicKey, log))
    }

    /// The fingerprint the log is named after.
    public var fingerprint: NodeFingerprint { NodeFingerprint(identity: identity) }

    /// Whether the signature vouches for `log`.
    public func vouches(for log: LogPublicKey) -> Bool {
        identity.isValidSignature(signature, for: Self.message(identity, log))
    }

    private static func message(_ identity: IdentityPublicKey, _ log: LogPublicKey) -> [UInt8] {
        label + identity.rawRepresentation + log.rawRepresentation
    }

    // MARK: text

    /// The text form, as a card's `log-origin` line holds it: `ed25519:<key> <signature>`.
    public var encoded: String { "\(KeyText.encode(identity)) \(Data(signature).base64EncodedString())" }

    /// Parses ``encoded`` (the signature is checked by ``vouches(for:)``).
    public init(parsing text: String) throws {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let signature = Data(base64Encoded: String(parts[1])), signature.count == 64 else {
            throw CoreError(.malformedCard, "the log-origin must be \"ed25519:<key> <64-byte signature in base64>\"")
        }
        identity = try KeyText.decode(String(parts[0]), field: "log-origin")
        self.signature = Array(signature)
        guard encoded == text else { throw CoreError(.malformedCard, "the log-origin is not in canonical form") }
    }
}
