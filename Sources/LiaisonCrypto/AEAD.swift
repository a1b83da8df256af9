import CSodium

/// The two AEAD constructions Liaison uses. Both take a 32-byte key and append a
/// 16-byte Poly1305 tag.
public enum AEADAlgorithm: Sendable {
    /// XChaCha20-Poly1305 (24-byte nonce): package chunks, wraps and key files.
    case xChaCha20Poly1305
    /// ChaCha20-Poly1305 IETF (12-byte nonce): the Noise transport.
    case chaCha20Poly1305IETF

    /// Nonce length in bytes.
    public var nonceByteCount: Int {
        switch self {
        case .xChaCha20Poly1305: Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
        case .chaCha20Poly1305IETF: Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)
        }
    }

    /// Tag length in bytes (16 for both).
    public var tagByteCount: Int { 16 }

    /// Encrypts `plaintext` into `output` (which must hold `plaintext.count + 16`
    /// bytes) and returns the number of bytes written. `output` may alias `plaintext`
    /// for in-place encryption.
    @discardableResult
    public func seal(
        _ plaintext: UnsafeRawBufferPointer,
        key: SymmetricKey,
        nonce: UnsafeRawBufferPointer,
        authenticating associatedData: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        try Sodium.ensureInitialised()
        guard nonce.count == nonceByteCount else { throw CryptoError.length("nonce", expected: nonceByteCount, actual: nonce.count) }
        guard output.count >= plaintext.count + tagByteCount else {
            throw CryptoError(.invalidLength, "AEAD output buffer too small")
        }
        var written: UInt64 = 0
        let rc = key.withUnsafeBytes { k in
            let c = output.bindMemory(to: UInt8.self).baseAddress!
            let m = plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBytePointer
            let ad = associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self)
            let n = nonce.bindMemory(to: UInt8.self).baseAddress!
            let kp = k.bindMemory(to: UInt8.self).baseAddress!
            switch self {
            case .xChaCha20Poly1305:
                return crypto_aead_xchacha20poly1305_ietf_encrypt(c, &written, m, UInt64(plaintext.count), ad, UInt64(associatedData.count), nil, n, kp)
            case .chaCha20Poly1305IETF:
                return crypto_aead_chacha20poly1305_ietf_encrypt(c, &written, m, UInt64(plaintext.count), ad, UInt64(associatedData.count), nil, n, kp)
            }
        }
        guard rc == 0 else { throw CryptoError(.operationFailed, "AEAD encryption failed") }
        return Int(written)
    }

    /// Decrypts and verifies `ciphertext` into `output` (at least
    /// `ciphertext.count - 16` bytes) and returns the plaintext length. Throws
    /// ``CryptoError/Code/authenticationFailed`` and leaves `output` zeroed when the
    /// tag does not verify.
    @discardableResult
    public func open(
        _ ciphertext: UnsafeRawBufferPointer,
        key: SymmetricKey,
        nonce: UnsafeRawBufferPointer,
        authenticating associatedData: UnsafeRawBufferPointer,
        into output: UnsafeMutableRawBufferPointer
    ) throws -> Int {
        try Sodium.ensureInitialised()
        guard nonce.count == nonceByteCount else { throw CryptoError.length("nonce", expected: nonceByteCount, actual: nonce.count) }
        guard ciphertext.count >= tagByteCount else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than its tag")
        }
        guard output.count >= ciphertext.count - tagByteCount else {
            throw CryptoError(.invalidLength, "AEAD output buffer too small")
        }
        var written: UInt64 = 0
        let rc = key.withUnsafeBytes { k in
            let m = output.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafeMutablePointer(mutating: emptyBytePointer)
            let c = ciphertext.bindMemory(to: UInt8.self).baseAddress!
            let ad = associatedData.baseAddress?.assumingMemoryBound(to: UInt8.self)
            let n = nonce.bindMemory(to: UInt8.self).baseAddress!
            let kp = k.bindMemory(to: UInt8.self).baseAddress!
            switch self {
            case .xChaCha20Poly1305:
                return crypto_aead_xchacha20poly1305_ietf_decrypt(m, &written, nil, c, UInt64(ciphertext.count), ad, UInt64(associatedData.count), n, kp)
            case .chaCha20Poly1305IETF:
                return crypto_aead_chacha20poly1305_ietf_decrypt(m, &written, nil, c, UInt64(ciphertext.count), ad, UInt64(associatedData.count), n, kp)
            }
        }
        guard rc == 0 else {
            Sodium.wipe(UnsafeMutableRawBufferPointer(rebasing: output[0..<(ciphertext.count - tagByteCount)]))
            throw CryptoError(.authenticationFailed, "authentication tag does not verify")
        }
        return Int(written)
    }

    /// Array convenience for small messages (headers, wraps, tests).
    public func seal(_ plaintext: [UInt8], key: SymmetricKey, nonce: [UInt8], authenticating ad: [UInt8] = []) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        try plaintext.withUnsafeBytes { (p) throws in
            try nonce.withUnsafeBytes { (n) throws in
                try ad.withUnsafeBytes { (a) throws in
                    try out.withUnsafeMutableBytes { (o) throws in
                        _ = try seal(p, key: key, nonce: n, authenticating: a, into: o)
                    }
                }
            }
        }
        return out
    }

    /// Decrypts a small message into secure storage (used for wrapped keys, whose
    /// plaintext is itself a secret).
    public func openSecret(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], authenticating ad: [UInt8] = [],
                           protection: SecureBytes.Protection = .wiped) throws -> SecureBytes {
        guard ciphertext.count >= tagByteCount else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than its tag")
        }
        return try SecureBytes(count: ciphertext.count - tagByteCount, protection: protection) { (out: UnsafeMutableRawBufferPointer) throws in
            try ciphertext.withUnsafeBytes { (c) throws in
                try nonce.withUnsafeBytes { (n) throws in
                    try ad.withUnsafeBytes { (a) throws in
                        _ = try open(c, key: key, nonce: n, authenticating: a, into: out)
                    }
                }
            }
        }
    }

    /// Decrypts a small public message (array convenience).
    public func open(_ ciphertext: [UInt8], key: SymmetricKey, nonce: [UInt8], authenticating ad: [UInt8] = []) throws -> [UInt8] {
        guard ciphertext.count >= tagByteCount else {
            throw CryptoError(.authenticationFailed, "ciphertext shorter than its tag")
        }
        var out = [UInt8](repeating: 0, count: ciphertext.count - tagByteCount)
        try ciphertext.withUnsafeBytes { (c) throws in
            try nonce.withUnsafeBytes { (n) throws in
                try ad.withUnsafeBytes { (a) throws in
                    try out.withUnsafeMutableBytes { (o) throws in
                        _ = try open(c, key: key, nonce: n, authenticating: a, into: o)
                    }
                }
            }
        }
        return out
    }
}
