import CSodium

/// Immutable storage for secret bytes that wipes itself when released.
///
/// Long-lived keys use ``Protection/guarded`` memory from `sodium_malloc` (guard
/// pages, `mlock`ed so it is not swapped, zeroed by `sodium_free`). Short-lived
/// per-operation secrets (a package's payload key, a derived wrap key) use
/// ``Protection/wiped`` heap memory that is zeroed with `sodium_memzero` on release:
/// `sodium_malloc` costs several system calls, which would dominate sealing small
/// packages.
///
/// The bytes are only reachable through ``withUnsafeBytes(_:)``. There is
/// deliberately no `Codable`, no `CustomStringConvertible` that prints them, and no
/// conversion to `[UInt8]`, `Data` or `String`.
public final class SecureBytes: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// How the memory is allocated.
    public enum Protection: Sendable {
        /// `sodium_malloc`: guard pages, locked in RAM, canary-checked, zeroed on free.
        case guarded
        /// Ordinary heap memory zeroed on release.
        case wiped
    }

    private nonisolated(unsafe) let pointer: UnsafeMutableRawPointer
    /// Number of secret bytes held.
    public let count: Int
    private let protection: Protection

    /// Allocates `count` bytes and lets `initialise` write them exactly once.
    /// If `initialise` throws, the memory is wiped and released before rethrowing.
    public init(
        count: Int,
        protection: Protection = .guarded,
        initialise: (UnsafeMutableRawBufferPointer) throws -> Void
    ) rethrows {
        precondition(count >= 0, "SecureBytes count must not be negative")
        let size = Swift.max(count, 1)
        let raw: UnsafeMutableRawPointer
        switch protection {
        case .guarded:
            guard (try? Sodium.ensureInitialised()) != nil, let p = sodium_malloc(size) else {
                // Secure memory is a hard requirement for long-lived keys; running
                // without it would silently weaken the node. Out of memory is fatal.
                fatalError("sodium_malloc failed: secure memory for key material is unavailable")
            }
            raw = p
        case .wiped:
            raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        }
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        // Run the initialiser before the stored properties are set: once they are,
        // a throw would also run deinit and release the memory a second time.
        do {
            try initialise(UnsafeMutableRawBufferPointer(start: raw, count: count))
        } catch {
            Self.release(raw, size: size, protection: protection)
            throw error
        }
        self.pointer = raw
        self.count = count
        self.protection = protection
    }

    /// Copies `bytes` into new secure storage. The caller remains responsible for
    /// wiping its own copy.
    public convenience init(copying bytes: UnsafeRawBufferPointer, protection: Protection = .guarded) {
        self.init(count: bytes.count, protection: protection) { (target: UnsafeMutableRawBufferPointer) in
            target.copyMemory(from: bytes)
        }
    }

    /// Fresh random secret bytes.
    public static func random(count: Int, protection: Protection = .guarded) throws -> SecureBytes {
        try SecureBytes(count: count, protection: protection) { (buffer: UnsafeMutableRawBufferPointer) throws in
            try Sodium.randomBytes(into: buffer)
        }
    }

    deinit {
        Self.release(pointer, size: Swift.max(count, 1), protection: protection)
    }

    private static func release(_ pointer: UnsafeMutableRawPointer, size: Int, protection: Protection) {
        switch protection {
        case .guarded:
            sodium_free(pointer)  // zeroes before unmapping
        case .wiped:
            sodium_memzero(pointer, size)
            pointer.deallocate()
        }
    }

    /// Gives read access to the secret bytes for the duration of `body`.
    /// Do not let the pointer escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Constant-time equality (`sodium_memcmp`).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        withUnsafeBytes { l in other.withUnsafeBytes { r in Sodium.constantTimeEquals(l, r) } }
    }

    /// Never prints the secret.
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
}
