import LiaisonCrypto

/// The four secret keys of a node, one per job (DESIGN.md "Keys").
public struct NodeSecrets: Sendable {
    /// Signs node cards, packages, receipts and revocations.
    public let identity: IdentitySecretKey
    /// Unwraps package payload keys.
    public let encryption: EncryptionSecretKey
    /// The Noise static key of the transport.
    public let transport: TransportSecretKey
    /// Signs audit-log checkpoints.
    public let log: LogSecretKey

    /// Bundles existing keys.
    public init(identity: IdentitySecretKey, encryption: EncryptionSecretKey, transport: TransportSecretKey, log: LogSecretKey) {
        self.identity = identity
        self.encryption = encryption
        self.transport = transport
        self.log = log
    }

    /// Four fresh, independent random key pairs.
    public static func generate() throws -> NodeSecrets {
        NodeSecrets(identity: try IdentitySecretKey(), encryption: try EncryptionSecretKey(),
                    transport: try TransportSecretKey(), log: try LogSecretKey())
    }

    /// The public halves.
    public var publicKeys: NodePublicKeys {
        NodePublicKeys(identity: identity.publicKey, encryption: encryption.publicKey,
                       transport: transport.publicKey, log: log.publicKey)
    }

    /// Byte length of the serialised secrets: four 32-byte seeds/scalars.
    static let serialisedByteCount = 4 * 32

    /// Serialises into secure memory: identity seed, encryption scalar, transport
    /// scalar, log seed.
    func serialised() -> SecureBytes {
        let parts = [identity.seed(), encryption.rawSecret(), transport.rawSecret(), log.seed()]
        return SecureBytes(count: Self.serialisedByteCount) { out in
            for (i, part) in parts.enumerated() {
                part.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: out[(i * 32)..<((i + 1) * 32)]).copyMemory(from: $0) }
            }
        }
    }

    /// Parses ``serialised()``.
    init(serialised bytes: SecureBytes) throws {
        guard bytes.count == Self.serialisedByteCount else {
            throw CoreError(.keyFileMalformed, "the key file holds \(bytes.count) secret bytes, expected \(Self.serialisedByteCount)")
        }
        let part = { (i: Int) in bytes.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[(i * 32)..<((i + 1) * 32)])) } }
        self.init(identity: try IdentitySecretKey(seed: part(0)), encryption: try EncryptionSecretKey(rawSecret: part(1)),
                  transport: try TransportSecretKey(rawSecret: part(2)), log: try LogSecretKey(seed: part(3)))
    }
}

/// The four public keys of a node.
public struct NodePublicKeys: Sendable, Hashable {
    /// Identity (Ed25519).
    public let identity: IdentityPublicKey
    /// Package encryption (X25519).
    public let encryption: EncryptionPublicKey
    /// Transport, Noise static (X25519).
    public let transport: TransportPublicKey
    /// Audit-log checkpoints (Ed25519).
    public let log: LogPublicKey
    /// The node id, derived from ``identity`` once (it is looked up for every
    /// package, receipt and audit entry).
    public let fingerprint: NodeFingerprint

    /// Bundles public keys.
    public init(identity: IdentityPublicKey, encryption: EncryptionPublicKey, transport: TransportPublicKey, log: LogPublicKey) {
        self.identity = identity
        self.encryption = encryption
        self.transport = transport
        self.log = log
        self.fingerprint = NodeFingerprint(identity: identity)
    }

    /// Equal when the four keys are (the fingerprint follows from the identity).
    public static func == (lhs: NodePublicKeys, rhs: NodePublicKeys) -> Bool {
        lhs.identity == rhs.identity && lhs.encryption == rhs.encryption && lhs.transport == rhs.transport && lhs.log == rhs.log
    }

    /// Hashes the four keys.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(identity)
        hasher.combine(encryption)
        hasher.combine(transport)
        hasher.combine(log)
    }
}
