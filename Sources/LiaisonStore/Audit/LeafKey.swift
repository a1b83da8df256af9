import LiaisonCrypto

/// What the query index files a leaf under: a 64-bit digest of its peer or its
/// package, so that every lookup key has the same small fixed size.
///
/// The first 8 bytes of SHA-256 over a domain label, a zero byte and the value.
/// Two values may share a key (about one pair in 2^32 among 2^32 values, and
/// finding one takes that much work); queries therefore compare the leaf's own
/// column after the lookup, so a shared key costs a wasted read, never a wrong
/// answer.
struct LeafKey: Hashable, Comparable, Sendable {
    let value: Int64

    init(value: Int64) { self.value = value }

    /// The key of entries about peer `fingerprint`.
    static func peer(_ fingerprint: String) -> LeafKey { digest("peer", fingerprint) }

    /// The key of entries about package `id`.
    static func package(_ id: String) -> LeafKey { digest("package", id) }

    /// The key of entries about the peer whose fingerprint is these UTF-8 bytes.
    static func peer(utf8 bytes: UnsafeRawBufferPointer) -> LeafKey { digest("peer", bytes) }

    /// The key of entries about the package whose id is these UTF-8 bytes.
    static func package(utf8 bytes: UnsafeRawBufferPointer) -> LeafKey { digest("package", bytes) }

    /// The keys a leaf with these columns is filed under.
    static func keys(peer: String?, package: String?) -> [LeafKey] {
        var keys: [LeafKey] = []
        if let peer { keys.append(.peer(peer)) }
        if let package { keys.append(.package(package)) }
        return keys
    }

    private static func digest(_ domain: StaticString, _ value: String) -> LeafKey {
        var value = value
        return value.withUTF8 { digest(domain, UnsafeRawBufferPointer($0)) }
    }

    private static func digest(_ domain: StaticString, _ value: UnsafeRawBufferPointer) -> LeafKey {
        var h = SHA256()
        h.update(UnsafeRawBufferPointer(start: domain.utf8Start, count: domain.utf8CodeUnitCount))
        withUnsafeBytes(of: UInt8(0)) { h.update($0) }
        h.update(value)
        let bytes = h.finalize()
        return LeafKey(value: Int64(bitPattern: bytes.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }))
    }

    static func < (a: LeafKey, b: LeafKey) -> Bool { a.value < b.value }
}

/// One entry of the query index: leaf `index` is filed under `key`.
/// Ordered by key, then index: the order of the merged index and of every run.
struct LeafKeyEntry: Hashable, Comparable, Sendable {
    let key: LeafKey
    let index: Int

    static func < (a: LeafKeyEntry, b: LeafKeyEntry) -> Bool {
        a.key != b.key ? a.key < b.key : a.index < b.index
    }
}

/// An order-independent digest of a set of query-index entries: their count and
/// the sum of a seeded mix of each. `verifyStorage` builds one from the leaves
/// and one from the stored index; they agree exactly when the index files every
/// leaf under its keys and nothing else (barring a chance of about 2^-64). The
/// seed is drawn per check, so nobody can arrange in advance for an edited index
/// to add up.
struct LeafKeyDigest: Equatable {
    private let seed: UInt64
    private(set) var count = 0
    private(set) var sum: UInt64 = 0

    init(seed: UInt64) { self.seed = seed }

    /// An empty digest with `other`'s seed.
    init(copyingSeedOf other: LeafKeyDigest) { seed = other.seed }

    mutating func add(_ entry: LeafKeyEntry) {
        count += 1
        sum &+= Self.mix(Self.mix(UInt64(bitPattern: entry.key.value) ^ seed) &+ UInt64(truncatingIfNeeded: entry.index))
    }

    /// SplitMix64's finaliser: a bijection that spreads every input bit.
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
