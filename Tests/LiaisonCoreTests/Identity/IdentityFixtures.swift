import Foundation
@testable import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

/// Shared helpers for the identity and configuration tests.
enum IdentityFixtures {
    /// Cheap Argon2id parameters (inside the accepted range) so tests stay fast.
    static let fastArgon = Argon2idParameters(opsLimit: 2, memLimit: 8 << 20)

    /// A fixed "now" (2026-11-26T00:00:00Z), matching `PackageFixture.created`.
    static let now: Int64 = 1_795_651_200

    /// A passphrase in secure memory.
    static func passphrase(_ text: String) -> SecureBytes {
        bytes(Array(text.utf8))
    }

    /// Arbitrary bytes in secure memory.
    static func bytes(_ raw: [UInt8]) -> SecureBytes {
        raw.withUnsafeBytes { SecureBytes(copying: $0) }
    }

    /// Deterministic node secrets derived from `seed` (so checksum and signature
    /// tests are reproducible).
    static func secrets(seed: UInt64) throws -> NodeSecrets {
        var rng = SeededBytes(seed: seed)
        let identity = bytes(rng.next(32)), encryption = bytes(rng.next(32))
        let transport = bytes(rng.next(32)), log = bytes(rng.next(32))
        return NodeSecrets(identity: try IdentitySecretKey(seed: identity),
                           encryption: try EncryptionSecretKey(rawSecret: encryption),
                           transport: try TransportSecretKey(rawSecret: transport),
                           log: try LogSecretKey(seed: log))
    }

    /// True when both hold the same four secret keys (compared in constant time).
    static func sameSecrets(_ a: NodeSecrets, _ b: NodeSecrets) -> Bool {
        a.serialised().constantTimeEquals(b.serialised()) && a.publicKeys == b.publicKeys
    }

    /// Runs `body` and returns the `CoreError` it threw (nil if it did not throw one).
    static func coreError<T>(_ body: () throws -> T) -> CoreError? {
        do {
            _ = try body()
            return nil
        } catch let error as CoreError {
            return error
        } catch {
            Issue.record("expected a CoreError, got \(type(of: error)): \(error)")
            return nil
        }
    }

    /// The permission bits of `path` (not following symlinks), or nil.
    static func mode(_ path: String) -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o7777)
    }

    /// Whether `path` exists (not following symlinks).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    /// The raw bytes of a file.
    static func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map(Array.init)
    }

    /// Writes `bytes` to a new private file (0600, regardless of umask).
    @discardableResult
    static func writePrivate(_ bytes: [UInt8], to path: String) throws -> String {
        try SecureFile.writeNew(bytes, to: path)
        return path
    }

    /// Writes a text file and sets its mode explicitly.
    @discardableResult
    static func writeFile(_ bytes: [UInt8], to path: String, mode: mode_t) -> String {
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        chmod(path, mode)
        return path
    }

    /// A card for `secrets` valid for a year from ``now``.
    static func card(_ secrets: NodeSecrets, name: String, addresses: [String] = ["127.0.0.1:7401"]) throws -> NodeCard {
        try NodeCard(name: name, secrets: secrets, addresses: addresses, validFrom: now, validUntil: now + 365 * 86_400)
    }

    /// A peer record for `secrets`.
    static func peer(_ secrets: NodeSecrets, name: String, trust: TrustLevel = .partner,
                     addresses: [String] = ["127.0.0.1:7402"]) throws -> PeerRecord {
        PeerRecord(name: name, card: try card(secrets, name: name, addresses: addresses), trust: trust, added: now)
    }

    /// An X25519 low-order point (u = 1, order 4) and the all-zero point.
    static let lowOrderX25519: [[UInt8]] = [[1] + [UInt8](repeating: 0, count: 31), [UInt8](repeating: 0, count: 32)]

    /// The Ed25519 neutral element (y = 1): a small-order point.
    static let neutralEd25519: [UInt8] = [1] + [UInt8](repeating: 0, count: 31)
}
