/// A 256-bit symmetric key (AEAD keys, payload keys, derived wrap keys).
public struct SymmetricKey: Sendable {
    /// Length of every symmetric key used by Liaison.
    public static let byteCount = 32

    let storage: SecureBytes

    /// Adopts exactly 32 secret bytes.
    public init(_ bytes: SecureBytes) throws {
        guard bytes.count == Self.byteCount else {
            throw CryptoError.length("symmetric key", expected: Self.byteCount, actual: bytes.count)
        }
        storage = bytes
    }

    /// A fresh random key (wiped heap memory: these are short-lived).
    public static func random() throws -> SymmetricKey {
        try SymmetricKey(SecureBytes.random(count: byteCount, protection: .wiped))
    }

    /// Read access to the key bytes for the duration of `body`.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Constant-time equality.
    public func constantTimeEquals(_ other: SymmetricKey) -> Bool { storage.constantTimeEquals(other.storage) }
}
