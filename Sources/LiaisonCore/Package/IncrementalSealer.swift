import Foundation
import LiaisonCrypto

/// Seals a payload that arrives in pieces of any size (e.g. from a socket):
/// push bytes with ``append(_:into:)``, then call ``finish(into:)``.
///
/// Once a payload spans more than one chunk, its chunks are sealed on the
/// process's sealing threads (one per core, up to four, shared by every seal)
/// while the caller goes on taking bytes, so that a large payload seals at the speed of every core,
/// overlapped with reading it; frames are written to the output in order, by
/// the caller. At most ``window`` chunks are in flight (memory stays bounded:
/// that many chunk buffers and frames, grown only as the payload needs). A
/// one-chunk payload is sealed in place, with no thread. The last full chunk is
/// always held back until more data or the end arrives, because only then is
/// it known whether it is the final one.
public struct IncrementalSealer: ~Copyable {
    /// Chunks of one seal in flight at most: two per sealing thread.
    public static let window = 2 * SealingQueue.threadCount

    private var sealer: PackageSealer
    /// The chunk taking bytes now.
    private var current: SealingSlot?
    /// Chunks handed to workers (or sealed in place), oldest first.
    private var inFlight: [SealingSlot] = []
    /// Slots of written chunks (their plaintext wiped), for the next ones.
    private var spare: [SealingSlot] = []
    private var headerWritten = false
    /// Payload bytes accepted so far.
    public private(set) var payloadByteCount: UInt64 = 0

    /// Wraps a prepared sealer.
    public init(_ sealer: PackageSealer) { self.sealer = sealer }

    /// The package id.
    public var packageID: PackageID { sealer.packageID }

    /// Adds payload bytes; complete non-final chunks are sealed into `output`
    /// (some of them after this call returns, by the next call at the latest).
    /// Waiting for a sealing thread suspends the caller; it holds no thread.
    public mutating func append<Sink: ByteSink>(_ bytes: [UInt8], into output: inout Sink) async throws {
        try writeHeaderOnce(&output)
        payloadByteCount += UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            if let full = current, full.space == 0 {
                // More data exists beyond this full chunk, so it is not the last.
                current = nil
                try await submit(full, isFinal: false, writingTo: &output)
            }
            let slot = current ?? spare.popLast() ?? SealingSlot(capacity: sealer.chunkSize)
            current = slot
            offset += bytes.withUnsafeBytes { slot.fill(from: UnsafeRawBufferPointer(rebasing: $0[offset...])) }
        }
    }

    /// Seals what is left, the last chunk as the final one, and writes every frame.
    public mutating func finish<Sink: ByteSink>(into output: inout Sink) async throws {
        try writeHeaderOnce(&output)
        // An empty payload is one empty final chunk.
        let last = current ?? SealingSlot(capacity: sealer.chunkSize)
        current = nil
        try await submit(last, isFinal: true, writingTo: &output)
        while !inFlight.isEmpty { try await writeOldest(&output) }
    }

    /// Hands `slot`'s chunk to a worker, after writing what is done and making room in the window.
    private mutating func submit<Sink: ByteSink>(_ slot: SealingSlot, isFinal: Bool, writingTo output: inout Sink) async throws {
        while let oldest = inFlight.first, oldest.isDone { try await writeOldest(&output) }
        while inFlight.count >= Self.window { try await writeOldest(&output) }
        let index = sealer.claimIndex(dataCount: slot.dataCount, isFinal: isFinal)
        slot.prepare(index: index, isFinal: isFinal, sealer: sealer)
        if isFinal && index == 0 {
            slot.seal()   // the whole payload is one chunk: no thread is worth starting
        } else {
            SealingQueue.shared.push(slot)
        }
        inFlight.append(slot)
    }

    /// Waits for the oldest chunk in flight and writes its frame.
    private mutating func writeOldest<Sink: ByteSink>(_ output: inout Sink) async throws {
        let slot = inFlight.removeFirst()
        await slot.waitUntilSealed()
        try slot.withFrame { try output.write($0) }
        spare.append(slot)
    }

    private mutating func writeHeaderOnce<Sink: ByteSink>(_ output: inout Sink) throws {
        guard !headerWritten else { return }
        try output.write(sealer.header)
        headerWritten = true
    }
}
