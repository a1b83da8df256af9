import LiaisonCrypto

/// Noise's CipherState for ChaChaPoly: a key and a 64-bit nonce counter
/// (Noise spec §5.1). The nonce on the wire is 32 zero bits followed by the
/// counter in little-endian, as the spec defines for ChaChaPoly.
public struct NoiseCipherState: Sendable {
    private var key: SymmetricKey?
    /// The next nonce to use.
    public private(set) var nonce: UInt64 = 0

    /// The reserved nonce used only by ``rekey()``.
    static let maximumNonce = UInt64.max

    init(key: SymmetricKey? = nil) { self.key = key }

    /// Whether a key is set (before the first DH, handshake payloads travel in clear).
    var hasKey: Bool { key != nil }

    /// Encrypts `plaintext` with associated data `ad` and advances the nonce
    /// (without a key, as early in a handshake, returns it as is).
    public mutating func encrypt(_ plaintext: [UInt8], ad: [UInt8] = []) throws -> [UInt8] {
        guard hasKey else { return plaintext }
        var out = plaintext + [UInt8](repeating: 0, count: AEADAlgorithm.chaCha20Poly1305IETF.tagByteCount)
        _ = try out.withUnsafeMutableBytes { try encrypt(inPlace: $0, plaintextCount: plaintext.count, ad: ad) }
        return out
    }

    /// Decrypts and verifies; the nonce advances only on success (without a
    /// key, returns `ciphertext` as is).
    public mutating func decrypt(_ ciphertext: [UInt8], ad: [UInt8] = []) throws -> [UInt8] {
        guard hasKey else { return ciphertext }
        var out = ciphertext
        let count = try out.withUnsafeMutableBytes { try decrypt(inPlace: $0, ad: ad) }
        out.removeLast(out.count - count)
        return out
    }

    /// Encrypts `buffer[0..<plaintextCount]` in place and advances the nonce:
    /// ciphertext and tag then fill `buffer[0..<plaintextCount + 16]`, so
    /// `buffer` must have the 16 bytes to spare. Returns the bytes used. The
    /// state must have a key.
    public mutating func encrypt(inPlace buffer: UnsafeMutableRawBufferPointer, plaintextCount: Int, ad: [UInt8] = []) throws -> Int {
        guard let key else { preconditionFailure("encrypt(inPlace:) needs a key: use encrypt(_:) before the first DH") }
        guard nonce < Self.maximumNonce else { throw WireError(.nonceExhausted, "the session has sent 2^64-1 messages; it must end") }
        let written = try Self.nonceBytes(nonce).withUnsafeBytes { n in
            try ad.withUnsafeBytes { a in
                try AEADAlgorithm.chaCha20Poly1305IETF.seal(UnsafeRawBufferPointer(rebasing: buffer[0..<plaintextCount]), key: key, nonce: n,
                                                            authenticating: a, into: buffer)
            }
        }
        nonce += 1
        return written
    }

    /// Decrypts and verifies `buffer` in place; the plaintext is then
    /// `buffer[0..<result]`. The nonce advances only on success. The state
    /// must have a key.
    public mutating func decrypt(inPlace buffer: UnsafeMutableRawBufferPointer, ad: [UInt8] = []) throws -> Int {
        guard let key else { preconditionFailure("decrypt(inPlace:) needs a key: use decrypt(_:) before the first DH") }
        guard nonce < Self.maximumNonce else { throw WireError(.nonceExhausted, "the session has received 2^64-1 messages; it must end") }
        do {
            let count = try Self.nonceBytes(nonce).withUnsafeBytes { n in
                try ad.withUnsafeBytes { a in
                    try AEADAlgorithm.chaCha20Poly1305IETF.open(UnsafeRawBufferPointer(buffer), key: key, nonce: n, authenticating: a, into: buffer)
                }
            }
            nonce += 1
            return count
        } catch {
            throw WireError(.decryptFailed, "a transport message failed authentication")
        }
    }

    /// Noise `REKEY`: the new key is the first 32 bytes of encrypting 32 zero bytes
    /// under the maximum nonce. The counter is not reset (spec §11.3).
    public mutating func rekey() throws {
        guard let key else { return }
        let zeros = [UInt8](repeating: 0, count: 32)
        var next = try AEADAlgorithm.chaCha20Poly1305IETF.seal(zeros, key: key, nonce: Self.nonceBytes(Self.maximumNonce), authenticating: [])
        // The next key must not outlive this call in ordinary memory.
        defer { next.withUnsafeMutableBytes { Sodium.wipe($0) } }
        self.key = try SymmetricKey(next.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<32]), protection: .wiped) })
    }

    static func nonceBytes(_ n: UInt64) -> [UInt8] {
        [0, 0, 0, 0] + withUnsafeBytes(of: n.littleEndian) { Array($0) }
    }
}
