import LiaisonCrypto

/// One chunk's plaintext as ``PackageSealer/sealFrame(_:dataCount:index:isFinal:into:)``
/// takes it (in ``ChunkBuffer/bytes``): 64 bytes of headroom for the signature, the data, and room for
/// the tag. It grows with the data, up to its capacity.
package struct ChunkBuffer {
    /// Headroom, data, and 16 spare bytes.
    package var bytes: [UInt8] = []
    /// Data bytes held (after the headroom).
    package private(set) var dataCount = 0
    private let capacity: Int

    /// An empty buffer for up to `capacity` data bytes.
    package init(capacity: Int) { self.capacity = capacity }

    /// Room left for data.
    package var space: Int { capacity - dataCount }

    /// Appends as much of `source` as fits; returns how much.
    package mutating func fill(from source: UnsafeRawBufferPointer) -> Int {
        let take = min(space, source.count)
        guard take > 0, let base = source.baseAddress else { return 0 }
        let needed = 64 + dataCount + take + 16
        if bytes.count < needed { grow(to: min(64 + capacity + 16, max(needed, bytes.count * 2))) }
        let at = 64 + dataCount
        bytes.withUnsafeMutableBytes { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[at..<(at + take)]).copyMemory(from: UnsafeRawBufferPointer(start: base, count: take))
        }
        dataCount += take
        return take
    }

    /// Makes room for the signature and the tag around the data held (an empty
    /// buffer has none yet).
    package mutating func prepareForSealing() {
        let needed = 64 + dataCount + 16
        if bytes.count < needed { grow(to: needed) }
    }

    /// Moves the contents to a larger buffer and wipes the old one (growing in
    /// place could leave plaintext behind in freed memory).
    private mutating func grow(to size: Int) {
        var grown = [UInt8](repeating: 0, count: size)
        grown.withUnsafeMutableBytes { target in
            bytes.withUnsafeMutableBytes { old in
                if let base = old.baseAddress, !old.isEmpty {
                    UnsafeMutableRawBufferPointer(rebasing: target[0..<old.count]).copyMemory(from: UnsafeRawBufferPointer(start: base, count: old.count))
                }
                Sodium.wipe(old)
            }
        }
        bytes = grown
    }

    /// Forgets the data (the sealer has wiped it).
    package mutating func reset() { dataCount = 0 }

    /// Wipes whatever the buffer holds and forgets it.
    package mutating func wipe() {
        bytes.withUnsafeMutableBytes { Sodium.wipe($0) }
        dataCount = 0
    }
}
