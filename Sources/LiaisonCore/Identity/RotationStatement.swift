import Foundation
import LiaisonCrypto

/// A node's signed statement that it has replaced its keys: "the node whose identity
/// key was K now has the keys on this card; accept K's keys too until T". The old
/// identity key K signs it, and the new card is signed by the new identity key, so
/// a partner that knows K accepts the new keys without any operator action.
///
/// Binary form (big-endian): the context `liaison key-rotation v1\n`, the previous
/// identity key (32), rotated-at Unix seconds (8), overlap-until Unix seconds (8),
/// card length (2) and the new card's exact text (UTF-8), then the previous identity
/// key's Ed25519 signature (64) over everything before it. The context keeps the
/// signature from ever passing for a card, package, receipt or revocation signature.
public struct RotationStatement: Equatable, Sendable {
    /// The identity key being replaced (the signer).
    public let previousIdentity: IdentityPublicKey
    /// When the node rotated (Unix seconds).
    public let rotatedAt: Int64
    /// Until when partners should also accept the previous keys (Unix seconds).
    public let overlapUntil: Int64
    /// The node's new card, signed by its new identity key.
    public let card: NodeCard
    /// The previous identity key's Ed25519 signature over ``body``.
    public let signature: [UInt8]

    /// The domain-separation context that starts every statement.
    static let context = Array("liaison key-rotation v1\n".utf8)
    /// Largest card a statement carries.
    public static let maximumCardByteCount = 4096
    /// Longest overlap window a statement may ask for.
    public static let maximumOverlapSeconds: Int64 = 90 * 86_400
    /// Largest encoded statement.
    public static let maximumByteCount = context.count + 32 + 8 + 8 + 2 + maximumCardByteCount + 64

    /// Signs a statement, with the previous identity key, that `card` replaces it.
    public init(previous: IdentitySecretKey, card: NodeCard, rotatedAt: Int64, overlapUntil: Int64) throws {
        guard card.keys.identity != previous.publicKey else {
            throw CoreError(.invalidArgument, "a rotation must replace the identity key")
        }
        try SignedStatement.checkSigningTime(rotatedAt, CoreError(.invalidArgument, "this node's clock reads \(rotatedAt) (Unix seconds), which no partner would accept; set the clock and retry"))
        guard overlapUntil > rotatedAt, overlapUntil - rotatedAt <= Self.maximumOverlapSeconds else {
            throw CoreError(.invalidArgument, "the overlap window must be between 1 second and \(Self.maximumOverlapSeconds / 86_400) days")
        }
        guard card.encoded.utf8.count <= Self.maximumCardByteCount else {
            throw CoreError(.invalidArgument, "the new card is larger than \(Self.maximumCardByteCount) bytes; list fewer addresses")
        }
        self.previousIdentity = previous.publicKey
        self.rotatedAt = rotatedAt
        self.overlapUntil = overlapUntil
        self.card = card
        self.signature = previous.signature(for: Self.body(previous.publicKey, rotatedAt, overlapUntil, card))
    }

    /// The node id before the rotation.
    public var previousFingerprint: NodeFingerprint { NodeFingerprint(identity: previousIdentity) }
    /// The node id after the rotation.
    public var fingerprint: NodeFingerprint { card.fingerprint }

    /// The signed bytes.
    public var body: [UInt8] { Self.body(previousIdentity, rotatedAt, overlapUntil, card) }

    /// Body then signature: what a `rotation` session message carries.
    public var encoded: [UInt8] { body + signature }

    private static func body(_ key: IdentityPublicKey, _ at: Int64, _ until: Int64, _ card: NodeCard) -> [UInt8] {
        let cardBytes = Array(card.encoded.utf8)
        var w = ByteWriter(capacity: maximumByteCount)
        w.write(context); w.write(key.rawRepresentation); w.write(UInt64(at)); w.write(UInt64(until))
        w.write(UInt16(cardBytes.count)); w.write(cardBytes)
        return w.bytes
    }

    /// Parses ``encoded`` strictly and checks the new card (canonical form, its own
    /// signature, not expired at `now`). The previous key's signature is checked by
    /// ``verify(previousIdentity:)``.
    public init(decoding bytes: [UInt8], now: Int64) throws {
        let malformed = CoreError(.malformedRotation, "this is not a well-formed Liaison key-rotation statement; ask the partner for it again")
        guard bytes.count <= Self.maximumByteCount else { throw malformed }
        var r = ByteReader(bytes, truncation: CoreError(.malformedRotation, "the key-rotation statement is truncated; ask the partner for it again"))
        guard try r.readBytes(Self.context.count) == Self.context else { throw malformed }
        previousIdentity = try SignedStatement.readIdentity(&r, malformed: malformed)
        let at = try SignedStatement.readTime(&r, malformed: malformed), until = try r.readUInt64()
        guard until > UInt64(at), until - UInt64(at) <= UInt64(Self.maximumOverlapSeconds) else { throw malformed }
        rotatedAt = at
        overlapUntil = Int64(until)
        let length = Int(try r.readUInt16())
        guard length <= Self.maximumCardByteCount, let text = String(validating: try r.readBytes(length), as: UTF8.self) else { throw malformed }
        do {
            card = try NodeCard(parsing: text, now: now)
        } catch let error as CoreError {
            throw CoreError(.malformedRotation, "the new card in the key-rotation statement is not acceptable: \(error.message)")
        }
        // Exactly the bytes signed: the card re-encodes to its own text.
        guard card.encoded == text, card.keys.identity != previousIdentity else { throw malformed }
        signature = try r.readBytes(64)
        guard r.isAtEnd else { throw malformed }
    }

    /// Checks that this statement is signed by `key` and replaces it.
    public func verify(previousIdentity key: IdentityPublicKey) -> Bool {
        previousIdentity == key && key.isValidSignature(signature, for: body)
    }

    // MARK: the text file

    /// The statement as a text file (`<home>/keys/rotation.txt`). The readable lines
    /// repeat what the signed `statement` line holds; parsing insists that they match.
    public var text: String {
        """
        # Liaison key rotation: the node below replaced its keys; the previous identity key signed the new card.
        previous: \(previousFingerprint)
        node: \(fingerprint)
        rotated-at: \(Timestamp.iso8601(rotatedAt))
        overlap-until: \(Timestamp.iso8601(overlapUntil))
        \(SignedStatement.line(encoded))

        """
    }

    /// Parses ``text`` strictly: the `statement` line, and readable lines that match it.
    public init(text: String, now: Int64) throws {
        let malformed = CoreError(.malformedRotation, "this file is not a Liaison key-rotation statement (or it was edited)")
        let statement = try RotationStatement(decoding: try SignedStatement.payload(of: text, maximumByteCount: Self.maximumByteCount, malformed: malformed),
                                              now: now)
        guard statement.text == text else { throw malformed }
        self = statement
    }
}
