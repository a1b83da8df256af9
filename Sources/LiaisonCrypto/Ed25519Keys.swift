import CSodium

/// An Ed25519 public key for one ``SigningKeyRole``. Public keys are not secret and
/// may live in ordinary arrays.
public struct Ed25519PublicKey<Role: SigningKeyRole>: Hashable, Sendable {
    /// Length of a public key in bytes.
    public static var byteCount: Int { Int(crypto_sign_PUBLICKEYBYTES) }
    /// Length of a signature in bytes.
    public static var signatureByteCount: Int { Int(crypto_sign_BYTES) }

    /// The 32 encoded bytes.
    public let rawRepresentation: [UInt8]

    /// Accepts a key only if it is 32 bytes and a valid point of the main subgroup
    /// that is not of small order.
    public init(rawRepresentation bytes: [UInt8]) throws {
        try Sodium.ensureInitialised()
        guard bytes.count == Self.byteCount else {
            throw CryptoError.length("\(Role.roleName) public key", expected: Self.byteCount, actual: bytes.count)
        }
        guard crypto_core_ed25519_is_valid_point(bytes) == 1 else {
            throw CryptoError(.invalidPublicKey, "\(Role.roleName) public key is not a valid Ed25519 point")
        }
        self.rawRepresentation = bytes
    }

    init(validated bytes: [UInt8]) { self.rawRepresentation = bytes }

    /// True when `signature` is this key's signature over `message`.
    public func isValidSignature(_ signature: UnsafeRawBufferPointer, for message: UnsafeRawBufferPointer) -> Bool {
        guard signature.count == Self.signatureByteCount, (try? Sodium.ensureInitialised()) != nil else { return false }
        return rawRepresentation.withUnsafeBufferPointer { key in
            crypto_sign_verify_detached(
                signature.bindMemory(to: UInt8.self).baseAddress!,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBytePointer,
                UInt64(message.count),
                key.baseAddress!
            ) == 0
        }
    }

    /// Convenience over arrays.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        signature.withUnsafeBytes { s in message.withUnsafeBytes { m in isValidSignature(s, for: m) } }
    }

    /// Throws ``CryptoError/Code/signatureInvalid`` unless the signature verifies.
    public func verify(_ signature: [UInt8], for message: [UInt8]) throws {
        guard isValidSignature(signature, for: message) else {
            throw CryptoError(.signatureInvalid, "\(Role.roleName) signature does not verify")
        }
    }
}

/// A pointer to use for empty inputs, which libsodium requires to be non-null.
nonisolated(unsafe) let emptyBytePointer = UnsafePointer<UInt8>(UnsafeMutablePointer<UInt8>.allocate(capacity: 1))

/// An Ed25519 secret key for one ``SigningKeyRole``, held in guarded memory.
public struct Ed25519SecretKey<Role: SigningKeyRole>: Sendable {
    /// Length of the seed from which the key pair is derived.
    public static var seedByteCount: Int { Int(crypto_sign_SEEDBYTES) }

    /// libsodium's 64-byte expanded secret key (seed followed by public key).
    private let secret: SecureBytes
    /// The matching public key.
    public let publicKey: Ed25519PublicKey<Role>

    /// A new random key pair.
    public init() throws {
        let seed = try SecureBytes.random(count: Self.seedByteCount, protection: .wiped)
        try self.init(seed: seed)
    }

    /// Derives the key pair from a 32-byte seed (the form stored in key files and
    /// used by RFC 8032 test vectors).
    public init(seed: SecureBytes) throws {
        try Sodium.ensureInitialised()
        guard seed.count == Self.seedByteCount else {
            throw CryptoError.length("\(Role.roleName) seed", expected: Self.seedByteCount, actual: seed.count)
        }
        var publicBytes = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        let secret = try SecureBytes(count: Int(crypto_sign_SECRETKEYBYTES)) { (sk: UnsafeMutableRawBufferPointer) throws in
            let rc = seed.withUnsafeBytes { s in
                crypto_sign_seed_keypair(&publicBytes, sk.bindMemory(to: UInt8.self).baseAddress!, s.bindMemory(to: UInt8.self).baseAddress!)
            }
            guard rc == 0 else { throw CryptoError(.operationFailed, "deriving \(Role.roleName) key pair failed") }
        }
        self.secret = secret
        self.publicKey = Ed25519PublicKey(validated: publicBytes)
    }

    /// Writes the 32-byte seed into new secure storage (for saving the key).
    public func seed() -> SecureBytes {
        secret.withUnsafeBytes { sk in
            SecureBytes(copying: UnsafeRawBufferPointer(rebasing: sk[0..<Self.seedByteCount]))
        }
    }

    /// Signs `message` (detached signature, 64 bytes).
    public func signature(for message: UnsafeRawBufferPointer) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Ed25519PublicKey<Role>.signatureByteCount)
        signature.withUnsafeMutableBytes { out in self.signature(for: message, into: out) }
        return signature
    }

    /// Signs `message` into a caller-provided 64-byte buffer (no allocation).
    public func signature(for message: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= Ed25519PublicKey<Role>.signatureByteCount, "signature buffer too small")
        secret.withUnsafeBytes { sk in
            // crypto_sign_detached cannot fail with a well-formed secret key.
            _ = crypto_sign_detached(
                output.bindMemory(to: UInt8.self).baseAddress!, nil,
                message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBytePointer,
                UInt64(message.count),
                sk.bindMemory(to: UInt8.self).baseAddress!
            )
        }
    }

    /// Convenience over arrays.
    public func signature(for message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { signature(for: $0) }
    }
}
