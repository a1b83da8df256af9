import LiaisonCore
import LiaisonCrypto

/// A recipient's signed statement that it received, verified and stored a package:
/// the end-to-end proof of delivery the sender keeps.
///
/// Body (big-endian): the label `liaison/receipt/v1`, package id (16), header hash
/// (64), recipient node id (32), sender node id (32), received-at Unix seconds (8).
/// The recipient's identity key signs the body with Ed25519.
public struct DeliveryReceipt: Equatable, Sendable {
    /// The package.
    public let packageID: PackageID
    /// BLAKE2b-512 of the package header: binds the receipt to exactly those bytes.
    public let headerHash: [UInt8]
    /// Who received it.
    public let recipient: NodeFingerprint
    /// Who sent it.
    public let sender: NodeFingerprint
    /// When it was stored (Unix seconds).
    public let receivedAt: Int64
    /// The recipient's Ed25519 signature over ``body``.
    public let signature: [UInt8]

    static let label = Array("liaison/receipt/v1".utf8)

    /// Signs a receipt as the recipient.
    public init(packageID: PackageID, headerHash: [UInt8], recipient: IdentitySecretKey, sender: NodeFingerprint, receivedAt: Int64) {
        self.packageID = packageID
        self.headerHash = headerHash
        self.recipient = NodeFingerprint(identity: recipient.publicKey)
        self.sender = sender
        self.receivedAt = receivedAt
        self.signature = recipient.signature(for: Self.body(packageID, headerHash, self.recipient, sender, receivedAt))
    }

    /// The signed bytes.
    public var body: [UInt8] { Self.body(packageID, headerHash, recipient, sender, receivedAt) }

    private static func body(_ id: PackageID, _ hash: [UInt8], _ recipient: NodeFingerprint, _ sender: NodeFingerprint, _ at: Int64) -> [UInt8] {
        var w = ByteWriter(capacity: 170)
        w.write(label); w.write(id.bytes); w.write(hash); w.write(recipient.bytes); w.write(sender.bytes); w.write(UInt64(at))
        return w.bytes
    }

    /// Body then signature, as carried in a `receipt` message and stored.
    public var encoded: [UInt8] { body + signature }

    /// Parses ``encoded`` (structure only: call ``verify(recipient:packageID:headerHash:sender:)``).
    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes, truncation: CoreError(.truncated, "receipt truncated"))
        guard try r.readBytes(Self.label.count) == Self.label else { throw WireError(.unexpectedMessage, "not a Liaison receipt") }
        packageID = PackageID(unchecked: try r.readBytes(16))
        headerHash = try r.readBytes(64)
        recipient = NodeFingerprint(unchecked: try r.readBytes(32))
        sender = NodeFingerprint(unchecked: try r.readBytes(32))
        let at = try r.readUInt64()
        guard at <= UInt64(Int64.max) else { throw WireError(.unexpectedMessage, "receipt time out of range") }
        receivedAt = Int64(at)
        signature = try r.readBytes(64)
        guard r.isAtEnd else { throw WireError(.unexpectedMessage, "bytes after the receipt signature") }
    }

    /// Checks that this is `recipient`'s valid receipt for exactly this package.
    public func verify(recipient key: IdentityPublicKey, packageID: PackageID, headerHash: [UInt8], sender: NodeFingerprint) -> Bool {
        recipient == NodeFingerprint(identity: key) && self.packageID == packageID && self.sender == sender
            && Sodium.constantTimeEquals(self.headerHash, headerHash) && key.isValidSignature(signature, for: body)
    }
}
