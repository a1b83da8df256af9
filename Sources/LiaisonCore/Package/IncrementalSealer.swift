/// Seals a payload that arrives in pieces of any size (e.g. from a socket),
/// holding at most one chunk: push bytes with ``append(_:into:)``, then call
/// ``finish(into:)``. The last full chunk is held back until more data or the end
/// arrives, because only then is it known whether it is the final one.
public struct IncrementalSealer {
    private var sealer: PackageSealer
    private var pending: [UInt8] = []
    private var headerWritten = false
    /// Payload bytes accepted so far.
    public private(set) var payloadByteCount: UInt64 = 0

    /// Wraps a prepared sealer.
    public init(_ sealer: PackageSealer) { self.sealer = sealer }

    /// The package id.
    public var packageID: PackageID { sealer.packageID }

    /// Adds payload bytes; complete non-final chunks are sealed into `output`.
    public mutating func append<Sink: ByteSink>(_ bytes: [UInt8], into output: inout Sink) throws {
        try writeHeaderOnce(&output)
        payloadByteCount += UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            if pending.count == sealer.chunkSize {
                // More data exists beyond this full chunk, so it is not the last.
                let frame = try pending.withUnsafeBytes { try sealer.sealChunk($0, isFinal: false) }
                try output.write(frame)
                pending.withUnsafeMutableBytes { Sodium.wipe($0) }
                pending.removeAll(keepingCapacity: true)
            }
            let take = min(sealer.chunkSize - pending.count, bytes.count - offset)
            pending.append(contentsOf: bytes[offset..<(offset + take)])
            offset += take
        }
    }

    /// Seals what is left as the final chunk.
    public mutating func finish<Sink: ByteSink>(into output: inout Sink) throws {
        try writeHeaderOnce(&output)
        let frame = try pending.withUnsafeBytes { try sealer.sealChunk($0, isFinal: true) }
        try output.write(frame)
        pending.withUnsafeMutableBytes { Sodium.wipe($0) }
        pending.removeAll()
    }

    private mutating func writeHeaderOnce<Sink: ByteSink>(_ output: inout Sink) throws {
        guard !headerWritten else { return }
        try output.write(sealer.header)
        headerWritten = true
    }
}

import LiaisonCrypto
