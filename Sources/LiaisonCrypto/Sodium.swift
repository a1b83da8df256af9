import CSodium

/// Initialises libsodium exactly once per process (thread-safe: Swift globals are
/// initialised lazily under `swift_once`).
private let sodiumInitialised: Bool = sodium_init() >= 0

/// Entry point to the library-wide state of libsodium.
public enum Sodium {
    /// Makes sure libsodium is initialised; every primitive calls this first.
    @inline(__always)
    static func ensureInitialised() throws {
        guard sodiumInitialised else {
            throw CryptoError(.libraryUnavailable, "libsodium could not be initialised")
        }
    }

    /// The libsodium version string, for `--version` and benchmark reports.
    public static var version: String {
        String(cString: sodium_version_string())
    }

    /// Fills `buffer` with cryptographically secure random bytes.
    public static func randomBytes(into buffer: UnsafeMutableRawBufferPointer) throws {
        try ensureInitialised()
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        randombytes_buf(base, buffer.count)
    }

    /// Returns `count` random bytes; for public values such as nonces, salts and ids.
    public static func randomBytes(count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) throws in
            try randomBytes(into: buffer)
        }
        return bytes
    }

    /// A uniformly random integer in `0..<upperBound` (e.g. for shuffling, jitter).
    public static func uniformRandom(_ upperBound: UInt32) throws -> UInt32 {
        try ensureInitialised()
        return randombytes_uniform(upperBound)
    }

    /// Compares two buffers in time independent of their contents.
    /// Buffers of different lengths are unequal (the length is not secret).
    public static func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        guard let l = lhs.baseAddress, let r = rhs.baseAddress else { return lhs.count == 0 }
        return sodium_memcmp(l, r, lhs.count) == 0
    }

    /// Compares two public byte arrays in constant time (e.g. MACs, fingerprints).
    public static func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        lhs.withUnsafeBytes { l in rhs.withUnsafeBytes { r in constantTimeEquals(l, r) } }
    }

    /// Overwrites a buffer with zeros in a way the optimiser cannot remove.
    public static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        sodium_memzero(base, buffer.count)
    }
}
