import Foundation
import LiaisonCrypto

/// How a key file protects its secrets.
public enum KeyProtection: UInt8, Sendable {
    /// Unprotected: only for demos and tests; `keys show` flags it loudly.
    case none = 0
    /// Argon2id passphrase, XChaCha20-Poly1305.
    case argon2id = 1

    /// The name used in `liaison.toml`.
    public var name: String { self == .none ? "none" : "argon2id" }
}

/// The encrypted-at-rest file of a node's secret keys.
///
/// Layout (big-endian): magic `LIAISKEY` (8), version (1), protection (1),
/// Argon2id ops limit (8), memory limit (8), salt (16), nonce (24), then
/// XChaCha20-Poly1305 of the 128 secret bytes with every preceding byte as
/// associated data, so no header field can be changed without detection.
public enum KeyFile {
    static let magic = Array("LIAISKEY".utf8)
    static let version: UInt8 = 1
    static let headerByteCount = 8 + 1 + 1 + 8 + 8 + 16 + 24
    static let fileByteCount = headerByteCount + NodeSecrets.serialisedByteCount + 16

    /// Encrypts `secrets` and writes them to `path` (mode 0600, never overwriting).
    public static func write(_ secrets: NodeSecrets, to path: String, passphrase: SecureBytes?, parameters: Argon2idParameters = .default) throws {
        let protection: KeyProtection = passphrase == nil ? .none : .argon2id
        guard protection == .none || parameters.isAcceptable else {
            throw CoreError(.keyFileBadParameters,
                            "Argon2id with \(parameters.opsLimit) passes and \(parameters.memLimit >> 20) MiB is outside the accepted range; the file could not be read back")
        }
        let salt = try Sodium.randomBytes(count: PasswordKeyDerivation.saltByteCount)
        let key = try encryptionKey(protection: protection, passphrase: passphrase, salt: salt, parameters: parameters)
        try write(secrets, to: path, sealing: SealingKey(protection: protection, parameters: parameters, salt: salt, key: key))
    }

    /// Encrypts `secrets` under an already derived key (same passphrase, salt and
    /// limits as the file it was read from, a fresh nonce) and writes them to `path`
    /// (mode 0600, never overwriting). This is how a running daemon writes rotated
    /// keys without keeping the passphrase.
    public static func write(_ secrets: NodeSecrets, to path: String, sealing sealingKey: SealingKey) throws {
        let nonce = try Sodium.randomBytes(count: 24)
        let protection = sealingKey.protection, parameters = sealingKey.parameters
        var header = ByteWriter(capacity: headerByteCount)
        header.write(magic)
        header.write(version)
        header.write(protection.rawValue)
        header.write(protection == .none ? 0 : parameters.opsLimit)
        header.write(protection == .none ? 0 : parameters.memLimit)
        header.write(sealingKey.salt)
        header.write(nonce)
        var sealed = [UInt8](repeating: 0, count: NodeSecrets.serialisedByteCount + 16)
        _ = try secrets.serialised().withUnsafeBytes { plain in
            try nonce.withUnsafeBytes { n in
                try header.bytes.withUnsafeBytes { ad in
                    try sealed.withUnsafeMutableBytes { out in
                        try AEADAlgorithm.xChaCha20Poly1305.seal(plain, key: sealingKey.key, nonce: n, authenticating: ad, into: out)
                    }
                }
            }
        }
        try SecureFile.writeNew(header.bytes + sealed, to: path)
    }

    /// Reads the file's protection without decrypting (for `keys show`).
    public static func protection(at path: String) throws -> KeyProtection {
        let bytes = try SecureFile.readPrivate(path, maximumByteCount: fileByteCount)
        return try parse(bytes, path: path).protection
    }

    /// Reads and decrypts the secrets at `path`. Refuses files that are
    /// symlinks or readable by group or others, as OpenSSH does.
    public static func read(from path: String, passphrase: () throws -> SecureBytes) throws -> NodeSecrets {
        try readRetainingKey(from: path, passphrase: passphrase).secrets
    }

    /// Reads and decrypts the secrets at `path`, and keeps the derived key so that
    /// files written later (rotated keys) are protected by the same passphrase.
    public static func readRetainingKey(from path: String, passphrase: () throws -> SecureBytes) throws -> (secrets: NodeSecrets, sealing: SealingKey) {
        let bytes = try SecureFile.readPrivate(path, maximumByteCount: fileByteCount)
        let parsed = try parse(bytes, path: path)
        let key = try encryptionKey(protection: parsed.protection, passphrase: parsed.protection == .none ? nil : try passphrase(),
                                    salt: parsed.salt, parameters: parsed.parameters)
        let sealing = SealingKey(protection: parsed.protection, parameters: parsed.parameters, salt: parsed.salt, key: key)
        return (try open(bytes, parsed: parsed, key: key, path: path), sealing)
    }

    /// Reads a file written with `sealing` (the retained key of this node's key file).
    public static func read(from path: String, sealing: SealingKey) throws -> NodeSecrets {
        let bytes = try SecureFile.readPrivate(path, maximumByteCount: fileByteCount)
        let parsed = try parse(bytes, path: path)
        guard parsed.protection == sealing.protection, parsed.salt == sealing.salt, parsed.parameters == sealing.parameters else {
            throw CoreError(.wrongPassphrase, "\(path) is not protected like this node's key file; restore it from backup")
        }
        return try open(bytes, parsed: parsed, key: sealing.key, path: path)
    }

    private static func open(_ bytes: [UInt8], parsed: Parsed, key: SymmetricKey, path: String) throws -> NodeSecrets {
        let secret: SecureBytes
        do {
            secret = try AEADAlgorithm.xChaCha20Poly1305.openSecret(
                Array(bytes[headerByteCount...]), key: key, nonce: parsed.nonce,
                authenticating: Array(bytes[0..<headerByteCount]), protection: .guarded)
        } catch {
            if parsed.protection == .none {
                throw CoreError(.keyFileMalformed, "\(path) does not verify: the unprotected key file was altered or corrupted; restore it from backup")
            }
            throw CoreError(.wrongPassphrase, "wrong passphrase for \(path) (or the file was altered); check LIAISON_PASSPHRASE or --passphrase-file")
        }
        return try NodeSecrets(serialised: secret)
    }

    /// The key a key file is sealed with (derived from the passphrase, or the fixed
    /// all-zero key of an unprotected file), with the salt and limits it was derived
    /// with. It is as secret as the keys themselves: it lives in secure memory only.
    public struct SealingKey: Sendable {
        /// How the file is protected.
        public let protection: KeyProtection
        let parameters: Argon2idParameters
        let salt: [UInt8]
        let key: SymmetricKey
    }

    private struct Parsed {
        let protection: KeyProtection
        let parameters: Argon2idParameters
        let salt: [UInt8]
        let nonce: [UInt8]
    }

    private static func parse(_ bytes: [UInt8], path: String) throws -> Parsed {
        guard bytes.count == fileByteCount else {
            throw CoreError(.keyFileMalformed, "\(path) is \(bytes.count) bytes, not a Liaison key file (\(fileByteCount) bytes)")
        }
        var r = ByteReader(bytes)
        guard try r.readBytes(8) == magic else {
            throw CoreError(.keyFileMalformed, "\(path) is not a Liaison key file (wrong magic bytes)")
        }
        guard try r.readUInt8() == version else {
            throw CoreError(.keyFileMalformed, "\(path) has an unsupported key file version")
        }
        guard let protection = KeyProtection(rawValue: try r.readUInt8()) else {
            throw CoreError(.keyFileMalformed, "\(path) names an unknown protection scheme")
        }
        let parameters = Argon2idParameters(opsLimit: try r.readUInt64(), memLimit: try r.readUInt64())
        switch protection {
        case .none where parameters.opsLimit != 0 || parameters.memLimit != 0:
            throw CoreError(.keyFileBadParameters, "\(path) is marked unprotected but carries key-derivation parameters: it was tampered with")
        case .argon2id where !parameters.isAcceptable:
            throw CoreError(.keyFileBadParameters,
                            "\(path) asks for Argon2id with \(parameters.opsLimit) passes and \(parameters.memLimit >> 20) MiB, outside the accepted range (\(Argon2idParameters.acceptedOpsLimits) passes, \(Argon2idParameters.acceptedMemLimits.lowerBound >> 20)–\(Argon2idParameters.acceptedMemLimits.upperBound >> 20) MiB): the file was tampered with")
        default:
            break
        }
        return Parsed(protection: protection, parameters: parameters, salt: try r.readBytes(16), nonce: try r.readBytes(24))
    }

    private static func encryptionKey(protection: KeyProtection, passphrase: SecureBytes?, salt: [UInt8], parameters: Argon2idParameters) throws -> SymmetricKey {
        switch protection {
        case .none:
            // A fixed all-zero key: no secrecy, but the AEAD still detects corruption.
            return try SymmetricKey(SecureBytes(count: 32) { _ in })
        case .argon2id:
            guard let passphrase else { preconditionFailure("argon2id protection without a passphrase") }
            return try PasswordKeyDerivation.deriveKey(passphrase: passphrase, salt: salt, parameters: parameters)
        }
    }
}
