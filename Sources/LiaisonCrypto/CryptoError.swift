/// The one error type of `LiaisonCrypto`.
///
/// Every failing libsodium call becomes a `CryptoError` with a stable ``Code``.
/// The description is safe to show an operator: it never contains key material,
/// plaintext or anything derived from them.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, machine-readable reasons. Raw values never change once released.
    public enum Code: String, Sendable, Hashable {
        /// `sodium_init` failed: the process cannot use cryptography at all.
        case libraryUnavailable = "crypto.library-unavailable"
        /// A key, nonce or signature had the wrong number of bytes.
        case invalidLength = "crypto.invalid-length"
        /// An X25519 public key is of low order (or all zero): no shared secret.
        case lowOrderPoint = "crypto.low-order-point"
        /// An Ed25519 public key is not a valid, non-small-order curve point.
        case invalidPublicKey = "crypto.invalid-public-key"
        /// An AEAD tag did not verify: the data was altered or the key is wrong.
        case authenticationFailed = "crypto.authentication-failed"
        /// An Ed25519 signature did not verify.
        case signatureInvalid = "crypto.signature-invalid"
        /// Secure memory could not be allocated or locked.
        case allocationFailed = "crypto.allocation-failed"
        /// Argon2id failed, usually because the memory limit could not be met.
        case keyDerivationFailed = "crypto.key-derivation-failed"
        /// Parameters outside what the primitive accepts.
        case invalidParameters = "crypto.invalid-parameters"
        /// A libsodium call reported an unexpected failure.
        case operationFailed = "crypto.operation-failed"
    }

    /// Why the operation failed.
    public let code: Code
    /// What was being done, for the operator; never secret.
    private let context: String

    init(_ code: Code, _ context: String) {
        self.code = code
        self.context = context
    }

    public var description: String { "\(context) [\(code.rawValue)]" }

    /// Two errors are equal when their codes are: contexts are diagnostics only.
    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension CryptoError {
    static func length(_ what: String, expected: Int, actual: Int) -> CryptoError {
        CryptoError(.invalidLength, "\(what) must be \(expected) bytes, got \(actual)")
    }
}
