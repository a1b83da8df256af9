import Foundation
import LiaisonCrypto

/// A node's signed statement that its own identity key is revoked: "the node with
/// identity key K is revoked as of T (reason R)". Only the holder of K can make
/// one, so a partner that receives it honours it without any operator action.
///
/// Binary form (big-endian): the context `liaison revocation v1\n`, identity key
/// (32), revoked-at Unix seconds (8), reason length (1) and reason (UTF-8, at most
/// ``maximumReasonLength`` printable characters), then the Ed25519 signature (64)
/// over everything before it. The context keeps the signature from ever passing
/// for a receipt, card or package signature made with the same key.
public struct RevocationStatement: Equatable, Sendable {
    /// The revoked identity key (the signer).
    public let identity: IdentityPublicKey
    /// When the node revoked itself (Unix seconds).
    public let revokedAt: Int64
    /// Why, for the partner's operator (printable text, possibly empty).
    public let reason: String
    /// The identity key's Ed25519 signature over ``body``.
    public let signature: [UInt8]

    /// The domain-separation context that starts every statement.
    static let context = Array("liaison revocation v1\n".utf8)
    /// Longest reason, in characters.
    public static let maximumReasonLength = 200
    /// Largest encoded statement (the context, key, time, a 255-byte reason, signature).
    public static let maximumByteCount = context.count + 32 + 8 + 1 + 255 + 64

    /// Signs a statement revoking `identity`'s own key.
    public init(revoking identity: IdentitySecretKey, at revokedAt: Int64, reason: String) throws {
        try Self.validate(reason: reason)
        try SignedStatement.checkSigningTime(revokedAt, CoreError(.invalidArgument, "this node's clock reads \(revokedAt) (Unix seconds), which no partner would accept; set the clock and retry"))
        self.identity = identity.publicKey
        self.revokedAt = revokedAt
        self.reason = reason
        self.signature = identity.signature(for: Self.body(identity.publicKey, revokedAt, reason))
    }

    /// The node id of the revoked key.
    public var fingerprint: NodeFingerprint { NodeFingerprint(identity: identity) }

    /// The signed bytes.
    public var body: [UInt8] { Self.body(identity, revokedAt, reason) }

    /// Body then signature: what a `revocation` session message carries.
    public var encoded: [UInt8] { body + signature }

    private static func body(_ key: IdentityPublicKey, _ at: Int64, _ reason: String) -> [UInt8] {
        var w = ByteWriter(capacity: maximumByteCount)
        w.write(context); w.write(key.rawRepresentation); w.write(UInt64(at)); w.writeShortString(Array(reason.utf8))
        return w.bytes
    }

    /// A reason is printable text of at most ``maximumReasonLength`` characters and 255 UTF-8 bytes.
    public static func validate(reason: String) throws {
        guard reason.count <= maximumReasonLength, reason.utf8.count <= 255 else {
            throw CoreError(.invalidArgument, "the revocation reason is longer than \(maximumReasonLength) characters (or 255 bytes of UTF-8); shorten it")
        }
        guard reason.unicodeScalars.allSatisfy({ !CharacterSet.controlCharacters.contains($0) && !$0.properties.isNoncharacterCodePoint }) else {
            throw CoreError(.invalidArgument, "the revocation reason may hold printable characters only (no newlines or control characters)")
        }
    }

    /// Parses ``encoded`` strictly (structure only: call ``verify(identity:)``).
    public init(decoding bytes: [UInt8]) throws {
        let malformed = CoreError(.malformedRevocation, "this is not a well-formed Liaison revocation statement; ask the partner for it again")
        guard bytes.count <= Self.maximumByteCount else { throw malformed }
        var r = ByteReader(bytes, truncation: CoreError(.malformedRevocation, "the revocation statement is truncated; ask the partner for it again"))
        guard try r.readBytes(Self.context.count) == Self.context else { throw malformed }
        identity = try SignedStatement.readIdentity(&r, malformed: malformed)
        revokedAt = try SignedStatement.readTime(&r, malformed: malformed)
        guard let text = String(validating: try r.readShortString(), as: UTF8.self) else { throw malformed }
        do { try Self.validate(reason: text) } catch { throw malformed }
        reason = text
        signature = try r.readBytes(64)
        guard r.isAtEnd else { throw malformed }
    }

    /// Checks that this is `key`'s own, validly signed revocation.
    public func verify(identity key: IdentityPublicKey) -> Bool {
        identity == key && key.isValidSignature(signature, for: body)
    }

    // MARK: the text file

    /// The statement as a text file an operator can hand out by other means
    /// (`<home>/keys/revocation.txt`). The readable lines repeat what the signed
    /// `statement` line holds; parsing insists that they match it exactly.
    public var text: String {
        """
        # Liaison key revocation: the node below revoked its own identity key.
        # Its partners stop trusting it when they receive this statement.
        node: \(fingerprint)
        identity: \(KeyText.encode(identity))
        revoked-at: \(Timestamp.iso8601(revokedAt))
        reason: \(reason)
        \(SignedStatement.line(encoded))

        """
    }

    /// Parses ``text`` strictly: the `statement` line, and readable lines that match it.
    public init(text: String) throws {
        let malformed = CoreError(.malformedRevocation, "this file is not a Liaison revocation statement (or it was edited); ask the partner for it again")
        let statement = try RevocationStatement(decoding: try SignedStatement.payload(of: text, maximumByteCount: Self.maximumByteCount, malformed: malformed))
        guard statement.text == text else { throw malformed }
        self = statement
    }
}
