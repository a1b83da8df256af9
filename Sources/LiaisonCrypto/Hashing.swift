import CSodium

/// BLAKE2b (`crypto_generichash`), Liaison's general-purpose hash: fingerprints,
/// header hashes, key derivation with domain separation.
///
/// Non-copyable because it owns its (64-byte aligned) libsodium state, which the
/// Swift importer cannot lay out itself.
public struct BLAKE2b: ~Copyable {
    /// Largest output libsodium supports.
    public static let maximumOutputByteCount = Int(crypto_generichash_BYTES_MAX)
    /// Smallest output libsodium supports.
    public static let minimumOutputByteCount = Int(crypto_generichash_BYTES_MIN)

    private let state: UnsafeMutableRawPointer
    private let outputByteCount: Int

    /// Starts a streaming hash with `outputByteCount` bytes of output (16…64).
    public init(outputByteCount: Int) {
        self.init(outputByteCount: outputByteCount, keyPointer: nil, keyCount: 0)
    }

    /// Starts a keyed streaming hash (a MAC / PRF). The key is 16…64 bytes.
    public init(outputByteCount: Int, key: UnsafeRawBufferPointer) {
        precondition((Int(crypto_generichash_KEYBYTES_MIN)...Int(crypto_generichash_KEYBYTES_MAX)).contains(key.count), "BLAKE2b key length out of range")
        self.init(outputByteCount: outputByteCount, keyPointer: key.bindMemory(to: UInt8.self).baseAddress, keyCount: key.count)
    }

    private init(outputByteCount: Int, keyPointer: UnsafePointer<UInt8>?, keyCount: Int) {
        precondition((Self.minimumOutputByteCount...Self.maximumOutputByteCount).contains(outputByteCount), "BLAKE2b output length out of range")
        precondition((try? Sodium.ensureInitialised()) != nil, "libsodium unavailable")
        self.outputByteCount = outputByteCount
        state = UnsafeMutableRawPointer.allocate(byteCount: crypto_generichash_statebytes(), alignment: 64)
        crypto_generichash_init(OpaquePointer(state), keyPointer, keyCount, outputByteCount)
    }

    deinit {
        sodium_memzero(state, crypto_generichash_statebytes())
        state.deallocate()
    }

    /// Absorbs more input.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard !data.isEmpty else { return }
        crypto_generichash_update(OpaquePointer(state), data.bindMemory(to: UInt8.self).baseAddress!, UInt64(data.count))
    }

    /// Absorbs an array.
    public mutating func update(_ data: [UInt8]) { data.withUnsafeBytes { update($0) } }

    /// Absorbs a UTF-8 domain-separation label.
    public mutating func update(label: StaticString) {
        update(UnsafeRawBufferPointer(start: label.utf8Start, count: label.utf8CodeUnitCount))
    }

    /// Finishes into a public digest.
    public consuming func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outputByteCount)
        crypto_generichash_final(OpaquePointer(state), &out, outputByteCount)
        return out
    }

    /// Finishes into secure storage, for derived keys.
    public consuming func finalizeSecret() -> SecureBytes {
        let n = outputByteCount
        let s = state
        return SecureBytes(count: n, protection: .wiped) { out in
            crypto_generichash_final(OpaquePointer(s), out.bindMemory(to: UInt8.self).baseAddress!, n)
        }
    }

    /// One-shot hash.
    public static func hash(_ data: [UInt8], outputByteCount: Int = 32) -> [UInt8] {
        var h = BLAKE2b(outputByteCount: outputByteCount)
        h.update(data)
        return h.finalize()
    }

    /// One-shot hash of a buffer.
    public static func hash(_ data: UnsafeRawBufferPointer, outputByteCount: Int = 32) -> [UInt8] {
        var h = BLAKE2b(outputByteCount: outputByteCount)
        h.update(data)
        return h.finalize()
    }
}

/// SHA-256, used by the Noise transport and by C2SP log formats.
public struct SHA256: Sendable {
    /// Digest length in bytes.
    public static let byteCount = Int(crypto_hash_sha256_BYTES)
    private var state = crypto_hash_sha256_state()

    /// Starts a streaming hash.
    public init() {
        precondition((try? Sodium.ensureInitialised()) != nil, "libsodium unavailable")
        crypto_hash_sha256_init(&state)
    }

    /// Absorbs more input.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard !data.isEmpty else { return }
        crypto_hash_sha256_update(&state, data.bindMemory(to: UInt8.self).baseAddress!, UInt64(data.count))
    }

    /// Absorbs an array.
    public mutating func update(_ data: [UInt8]) { data.withUnsafeBytes { update($0) } }

    /// Finishes the digest.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        crypto_hash_sha256_final(&state, &out)
        return out
    }

    /// One-shot hash.
    public static func hash(_ data: [UInt8]) -> [UInt8] {
        var h = SHA256()
        h.update(data)
        return h.finalize()
    }
}

/// SHA-512 (benchmarks and compatibility; Ed25519 uses it internally).
public enum SHA512 {
    /// Digest length in bytes.
    public static let byteCount = Int(crypto_hash_sha512_BYTES)

    /// One-shot hash of a buffer.
    public static func hash(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        precondition((try? Sodium.ensureInitialised()) != nil, "libsodium unavailable")
        var out = [UInt8](repeating: 0, count: byteCount)
        crypto_hash_sha512(&out, data.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBytePointer, UInt64(data.count))
        return out
    }

    /// One-shot hash of an array.
    public static func hash(_ data: [UInt8]) -> [UInt8] { data.withUnsafeBytes { hash($0) } }
}

/// HMAC-SHA-256 with keys of any length (RFC 2104), as Noise's HKDF needs.
public struct HMACSHA256: Sendable {
    /// MAC length in bytes.
    public static let byteCount = Int(crypto_auth_hmacsha256_BYTES)
    private var state = crypto_auth_hmacsha256_state()

    /// Starts a MAC under `key`.
    public init(key: UnsafeRawBufferPointer) {
        precondition((try? Sodium.ensureInitialised()) != nil, "libsodium unavailable")
        crypto_auth_hmacsha256_init(&state, key.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyBytePointer, key.count)
    }

    /// Absorbs more input.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        guard !data.isEmpty else { return }
        crypto_auth_hmacsha256_update(&state, data.bindMemory(to: UInt8.self).baseAddress!, UInt64(data.count))
    }

    /// Finishes into secure storage (HKDF outputs are keys).
    public mutating func finalizeSecret() -> SecureBytes {
        defer { wipeState() }
        return SecureBytes(count: Self.byteCount, protection: .wiped) { out in
            crypto_auth_hmacsha256_final(&state, out.bindMemory(to: UInt8.self).baseAddress!)
        }
    }

    /// Zeroes the state: its pads are derived from the key (Noise's chaining key).
    private mutating func wipeState() {
        withUnsafeMutableBytes(of: &state) { Sodium.wipe($0) }
    }

    /// Finishes into a public MAC.
    public mutating func finalize() -> [UInt8] {
        defer { wipeState() }
        var out = [UInt8](repeating: 0, count: Self.byteCount)
        crypto_auth_hmacsha256_final(&state, &out)
        return out
    }

    /// One-shot MAC with public inputs (tests, vectors).
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { k in
            var mac = HMACSHA256(key: k)
            message.withUnsafeBytes { mac.update($0) }
            return mac.finalize()
        }
    }
}
