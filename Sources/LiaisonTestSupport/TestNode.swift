import LiaisonCore
import LiaisonCrypto

/// An in-memory node for protocol and format tests: fresh keys, a name.
public struct TestNode: Sendable {
    /// Its name.
    public let name: String
    /// Its secret keys.
    public let secrets: NodeSecrets

    /// A node with fresh random keys.
    public init(_ name: String) throws {
        self.name = name
        self.secrets = try NodeSecrets.generate()
    }

    /// How a recipient's directory knows this node as a sender.
    public func asSender(revoked: Bool = false) -> KnownSender {
        KnownSender(name: name, identity: secrets.identity.publicKey, isRevoked: revoked)
    }

    /// This node's package-encryption public key.
    public var encryptionKey: EncryptionPublicKey { secrets.encryption.publicKey }
}

/// Seal and open helpers over memory, for tests.
public enum PackageFixture {
    /// A fixed creation time (2026-11-26T00:00:00Z) so tests do not depend on the clock.
    public static let created: Int64 = 1_795_651_200

    /// Seals `payload` from `sender` to `recipients`.
    public static func seal(_ payload: [UInt8], from sender: TestNode, to recipients: [TestNode],
                            markings: Markings? = nil, chunkSize: Int = 1024, expires: Int64? = nil) throws -> [UInt8] {
        var sealer = try PackageSealer(sender: sender.secrets.identity, recipients: recipients.map(\.encryptionKey),
                                       markings: try markings ?? Markings(tlp: .amber), created: created,
                                       expires: expires, chunkSize: chunkSize)
        var input = MemorySource(payload)
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        return output.bytes
    }

    /// Opens `package` as `recipient`, knowing `senders`; returns the payload.
    public static func open(_ package: [UInt8], as recipient: TestNode, senders: [KnownSender],
                            now: Int64 = created + 60) throws -> (payload: [UInt8], opened: OpenedPackage) {
        var input = MemorySource(package)
        var opener = try PackageOpener(reading: &input, recipient: recipient.secrets.encryption,
                                       senders: StaticSenderDirectory(senders), now: now)
        var output = MemorySink()
        let opened = try opener.open(from: &input, to: &output)
        return (output.bytes, opened)
    }
}

/// Deterministic pseudo-random bytes for payloads (SplitMix64).
public struct SeededBytes {
    private var state: UInt64

    /// A generator seeded with `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next `count` bytes.
    public mutating func next(_ count: Int) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            withUnsafeBytes(of: z) { out.append(contentsOf: $0.prefix(count - out.count)) }
        }
        return out
    }
}
