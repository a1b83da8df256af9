import CSodium

/// Argon2id (`crypto_pwhash`) parameters, as stored in a key file's header.
public struct Argon2idParameters: Hashable, Sendable {
    /// Number of passes.
    public var opsLimit: UInt64
    /// Memory in bytes.
    public var memLimit: UInt64

    /// What new key files use: 3 passes over 64 MiB (about 0.1–0.2 s here).
    public static let `default` = Argon2idParameters(opsLimit: 3, memLimit: 64 << 20)

    /// Parameters we accept when reading a file. A file asking for less is weak or
    /// tampered; one asking for more could make the node exhaust memory or hang
    /// (a key file from an untrusted backup is read before its passphrase is tried).
    public static let acceptedOpsLimits: ClosedRange<UInt64> = 2...10
    /// Accepted memory range, 8 MiB … 1 GiB (16 times what new files use).
    public static let acceptedMemLimits: ClosedRange<UInt64> = (8 << 20)...(1 << 30)

    /// Creates parameters.
    public init(opsLimit: UInt64, memLimit: UInt64) {
        self.opsLimit = opsLimit
        self.memLimit = memLimit
    }

    /// True when both values are in the accepted ranges.
    public var isAcceptable: Bool {
        Self.acceptedOpsLimits.contains(opsLimit) && Self.acceptedMemLimits.contains(memLimit)
    }
}

/// Derives key-encryption keys from passphrases.
public enum PasswordKeyDerivation {
    /// Salt length required by `crypto_pwhash`.
    public static let saltByteCount = Int(crypto_pwhash_SALTBYTES)

    /// Argon2id v1.3 of `passphrase` and `salt` into a 32-byte key.
    public static func deriveKey(passphrase: SecureBytes, salt: [UInt8], parameters: Argon2idParameters) throws -> SymmetricKey {
        try Sodium.ensureInitialised()
        guard salt.count == saltByteCount else { throw CryptoError.length("Argon2id salt", expected: saltByteCount, actual: salt.count) }
        guard parameters.opsLimit >= UInt64(crypto_pwhash_OPSLIMIT_MIN), parameters.memLimit >= UInt64(crypto_pwhash_MEMLIMIT_MIN) else {
            throw CryptoError(.invalidParameters, "Argon2id parameters below libsodium's minimum")
        }
        let key = try SecureBytes(count: SymmetricKey.byteCount, protection: .guarded) { (out: UnsafeMutableRawBufferPointer) throws in
            let rc = passphrase.withUnsafeBytes { p in
                crypto_pwhash(
                    out.bindMemory(to: UInt8.self).baseAddress!, UInt64(out.count),
                    p.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) } ?? UnsafeRawPointer(emptyBytePointer).assumingMemoryBound(to: CChar.self),
                    UInt64(p.count), salt,
                    parameters.opsLimit, Int(parameters.memLimit), crypto_pwhash_ALG_ARGON2ID13
                )
            }
            guard rc == 0 else {
                throw CryptoError(.keyDerivationFailed, "Argon2id failed (could \(parameters.memLimit >> 20) MiB of memory be allocated?)")
            }
        }
        return try SymmetricKey(key)
    }
}
