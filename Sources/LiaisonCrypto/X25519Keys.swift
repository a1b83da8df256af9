import CSodium

/// An X25519 public key for one ``AgreementKeyRole``.
public struct X25519PublicKey<Role: AgreementKeyRole>: Hashable, Sendable {
    /// Length of a public key in bytes.
    public static var byteCount: Int { Int(crypto_scalarmult_BYTES) }

    /// The 32 encoded bytes (a Montgomery u-coordinate).
    public let rawRepresentation: [UInt8]

    /// Accepts a 32-byte key and rejects low-order points (including all-zero),
    /// which would make every shared secret predictable, and any encoding but the
    /// canonical one (another would pass a byte-for-byte duplicate check as another key).
    public init(rawRepresentation bytes: [UInt8]) throws {
        try Sodium.ensureInitialised()
        guard bytes.count == Self.byteCount else {
            throw CryptoError.length("\(Role.roleName) public key", expected: Self.byteCount, actual: bytes.count)
        }
        guard Self.isCanonical(bytes) else {
            throw CryptoError(.invalidPublicKey, "\(Role.roleName) public key is not canonically encoded (its top bit is set, or u is not below 2^255 - 19)")
        }
        // crypto_scalarmult refuses to return an all-zero result, which is exactly
        // what a low-order input produces for every scalar.
        let probe = try SecureBytes.random(count: Int(crypto_scalarmult_SCALARBYTES), protection: .wiped)
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        let rc = probe.withUnsafeBytes { s in
            crypto_scalarmult(&out, s.bindMemory(to: UInt8.self).baseAddress!, bytes)
        }
        Sodium.constantTimeWipe(&out)
        guard rc == 0 else {
            throw CryptoError(.lowOrderPoint, "\(Role.roleName) public key is a low-order point")
        }
        self.rawRepresentation = bytes
    }

    init(validated bytes: [UInt8]) { self.rawRepresentation = bytes }

    /// Whether 32 little-endian bytes are the one encoding of their u-coordinate:
    /// the top bit clear, and u below p = 2^255 - 19 (X25519 reads u mod p, so
    /// u and u + p, or a set top bit, would be the same key under other bytes).
    static func isCanonical(_ bytes: [UInt8]) -> Bool {
        guard bytes[31] & 0x80 == 0 else { return false }
        // u ≥ p only if its bytes are p's or above: 0xED, then 30 × 0xFF, then 0x7F.
        guard bytes[31] == 0x7F, bytes[1..<31].allSatisfy({ $0 == 0xFF }) else { return true }
        return bytes[0] < 0xED
    }

    /// Reinterprets the same bytes for another role. Only for the places where the
    /// format itself defines a key by its bytes (e.g. a package's ephemeral key).
    func retagged<Other: AgreementKeyRole>(as _: Other.Type) -> X25519PublicKey<Other> {
        X25519PublicKey<Other>(validated: rawRepresentation)
    }
}

/// An X25519 secret key for one ``AgreementKeyRole``.
public struct X25519SecretKey<Role: AgreementKeyRole>: Sendable {
    /// Length of a secret scalar in bytes.
    public static var byteCount: Int { Int(crypto_scalarmult_SCALARBYTES) }

    private let secret: SecureBytes
    /// The matching public key.
    public let publicKey: X25519PublicKey<Role>

    /// A new random key pair. Ephemeral keys use wiped heap memory for speed;
    /// long-lived keys use guarded memory.
    public init(protection: SecureBytes.Protection = .guarded) throws {
        try self.init(rawSecret: try SecureBytes.random(count: Self.byteCount, protection: protection))
    }

    /// Adopts a 32-byte secret scalar (the form stored in key files and RFC 7748 vectors).
    public init(rawSecret: SecureBytes) throws {
        try Sodium.ensureInitialised()
        guard rawSecret.count == Self.byteCount else {
            throw CryptoError.length("\(Role.roleName) secret key", expected: Self.byteCount, actual: rawSecret.count)
        }
        var publicBytes = [UInt8](repeating: 0, count: X25519PublicKey<Role>.byteCount)
        let rc = rawSecret.withUnsafeBytes { s in
            crypto_scalarmult_base(&publicBytes, s.bindMemory(to: UInt8.self).baseAddress!)
        }
        guard rc == 0 else { throw CryptoError(.operationFailed, "deriving \(Role.roleName) public key failed") }
        self.secret = rawSecret
        self.publicKey = X25519PublicKey(validated: publicBytes)
    }

    /// A copy of the secret scalar in new secure storage (for saving the key).
    public func rawSecret() -> SecureBytes {
        secret.withUnsafeBytes { SecureBytes(copying: $0) }
    }

    /// X25519(self, peer). Throws ``CryptoError/Code/lowOrderPoint`` when the peer's
    /// key would give an all-zero shared secret.
    public func sharedSecret<Other: AgreementKeyRole>(with peer: X25519PublicKey<Other>) throws -> SecureBytes {
        try sharedSecret(withRaw: peer.rawRepresentation)
    }

    /// X25519 with raw peer bytes read from a package or handshake.
    public func sharedSecret(withRaw peer: [UInt8]) throws -> SecureBytes {
        guard peer.count == X25519PublicKey<Role>.byteCount else {
            throw CryptoError.length("peer public key", expected: X25519PublicKey<Role>.byteCount, actual: peer.count)
        }
        return try SecureBytes(count: Self.byteCount, protection: .wiped) { (out: UnsafeMutableRawBufferPointer) throws in
            let rc = secret.withUnsafeBytes { s in
                crypto_scalarmult(out.bindMemory(to: UInt8.self).baseAddress!, s.bindMemory(to: UInt8.self).baseAddress!, peer)
            }
            guard rc == 0 else {
                throw CryptoError(.lowOrderPoint, "peer public key is a low-order point")
            }
        }
    }
}

extension Sodium {
    /// Zeroes a public-typed scratch array that briefly held derived material.
    static func constantTimeWipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { wipe($0) }
    }
}
