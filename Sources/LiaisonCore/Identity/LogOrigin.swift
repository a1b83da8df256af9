import Foundation
import LiaisonCrypto

/// Proof of the name a rotated node's audit log keeps. A node's log is named after
/// its first fingerprint for life (`liaison/<fingerprint>`) and the log key is never
/// rotated; a partner that adds the node after a rotation learns which log, and
/// which witness name, its card's keys stand for from two signatures:
///
/// - the **first identity key** over the domain label `liaison/log-origin/v1` and a
///   newline, that key (32 bytes) and the log key (32 bytes): "the log begun under
///   me is signed by this log key" (``FirstKeyProof``, made once, at the first
///   rotation, and kept);
/// - the **log key** over `liaison/log-holder/v1`, a newline, the first identity key
///   (32) and the card's identity key (32): "the node holding this identity key is
///   that log's node" (made for each card).
///
/// The first proves the name belongs to the log key, the second that the card's
/// holder holds the log key: another node copying both lines into its own card
/// cannot make the second for its own identity key, so no partner can claim
/// another's log name (and so take a witness's record of that log, which only
/// grows, or have its first key revoked along with its own). A card carries the
/// proof as its `log-origin` line once the node has rotated (``NodeCard``).
public struct LogOrigin: Sendable, Hashable {
    /// The first identity key's part: kept by the node (`keys/log-origin.txt`), since
    /// that key is gone after the next rotation.
    public struct FirstKeyProof: Sendable, Hashable {
        /// The identity key the node had when its log began.
        public let identity: IdentityPublicKey
        /// That key's signature over the log key.
        public let signature: [UInt8]

        /// Signs, with the identity key the log began under, that `log` is the log's key.
        public init(signing first: IdentitySecretKey, log: LogPublicKey) {
            identity = first.publicKey
            signature = first.signature(for: LogOrigin.label + first.publicKey.rawRepresentation + log.rawRepresentation)
        }

        /// Whether the signature vouches for `log`.
        public func vouches(for log: LogPublicKey) -> Bool {
            identity.isValidSignature(signature, for: LogOrigin.label + identity.rawRepresentation + log.rawRepresentation)
        }

        /// The fingerprint the log is named after.
        public var fingerprint: NodeFingerprint { NodeFingerprint(identity: identity) }

        /// `ed25519:<key> <signature>`.
        public var encoded: String { "\(KeyText.encode(identity)) \(Data(signature).base64EncodedString())" }

        /// Parses ``encoded`` (the signature is checked by ``vouches(for:)``).
        public init(parsing text: String) throws {
            let parts = text.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw LogOrigin.malformed }
            identity = try KeyText.decode(String(parts[0]), field: "log-origin")
            signature = try LogOrigin.signature(parts[1])
            guard encoded == text else { throw LogOrigin.malformed }
        }

        init(identity: IdentityPublicKey, signature: [UInt8]) {
            self.identity = identity
            self.signature = signature
        }
    }

    /// The first identity key and its signature over the log key.
    public let proof: FirstKeyProof
    /// The log key's signature naming the card's identity key as the log's node.
    public let holderSignature: [UInt8]

    static let label = Array("liaison/log-origin/v1\n".utf8)
    static let holderLabel = Array("liaison/log-holder/v1\n".utf8)
    static let malformed = CoreError(.malformedCard, "the log-origin must be \"ed25519:<key> <signature> <signature>\" (64-byte signatures in base64)")

    /// The proof for a card of `holder`: `proof` and the log key's signature naming it.
    public init(_ proof: FirstKeyProof, holder: IdentityPublicKey, log: LogSecretKey) {
        self.proof = proof
        holderSignature = log.signature(for: Self.holderLabel + proof.identity.rawRepresentation + holder.rawRepresentation)
    }

    /// The identity key the node had when its log began.
    public var identity: IdentityPublicKey { proof.identity }

    /// The fingerprint the log is named after.
    public var fingerprint: NodeFingerprint { proof.fingerprint }

    /// Whether it proves that `log` is the log begun under ``identity``, and that the
    /// holder of `log` vouches for `holder` as that log's node.
    public func vouches(log: LogPublicKey, holder: IdentityPublicKey) -> Bool {
        proof.vouches(for: log)
            && log.isValidSignature(holderSignature, for: Self.holderLabel + proof.identity.rawRepresentation + holder.rawRepresentation)
    }

    // MARK: text

    /// The text form, as a card's `log-origin` line holds it: `ed25519:<key> <signature> <signature>`.
    public var encoded: String { "\(proof.encoded) \(Data(holderSignature).base64EncodedString())" }

    /// Parses ``encoded`` (the signatures are checked by ``vouches(log:holder:)``).
    public init(parsing text: String) throws {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw Self.malformed }
        proof = FirstKeyProof(identity: try KeyText.decode(String(parts[0]), field: "log-origin"), signature: try Self.signature(parts[1]))
        holderSignature = try Self.signature(parts[2])
        guard encoded == text else { throw CoreError(.malformedCard, "the log-origin is not in canonical form") }
    }

    static func signature(_ text: Substring) throws -> [UInt8] {
        guard let bytes = Data(base64Encoded: String(text)), bytes.count == 64 else { throw malformed }
        return Array(bytes)
    }
}
