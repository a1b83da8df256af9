import Foundation
import LiaisonCrypto

/// Seals a payload that arrives in pieces of any size (e.g. from a socket):
/// push bytes with ``append(_:into:)``, then call ``finish(into:)``.
///
/// Once a payload spans more than one chunk, its chunks are sealed on worker
/// threads of this sealer (one per core, up to four) while the caller goes on
/// taking bytes, so that a large payload seals at the speed of every core,
/// overlapped with reading it; frames are written to the output in order, by
/// the caller. At most ``window`` chunks are in flight (memory stays bounded:
/// that many chunk buffers and frames, grown only as the payload needs). A
/// one-chunk payload is sealed in place, with no thread. The last full chunk is
/// always held back until more data or the end arrives, because only then is
/// it known whether it is the final one.
public struct IncrementalSealer {
    /// Worker threads of a multi-chunk seal: the cores there are, up to four.
    public static let workerCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
    /// Chunks in flight at most: two per worker.
    public static let window = 2 * workerCount

    private var sealer: PackageSealer
    /// The chunk taking bytes now.
    private var current: SealingSlot?
    /// Chunks handed to workers (or sealed in place), oldest first.
    private var inFlight: [SealingSlot] = []
    /// Slots of written chunks (their plaintext wiped), for the next ones.
    private var spare: [SealingSlot] = []
    /// Started with the second chunk; the threads end when the sealer goes away.
    private var workers: SealingWorkers?
    private var headerWritten = false
    /// Payload bytes accepted so far.
    public private(set) var payloadByteCount: UInt64 = 0

    /// Wraps a prepared sealer.
    public init(_ sealer: PackageSealer) { self.sealer = sealer }

    /// The package id.
    public var packageID: PackageID { sealer.packageID }

    /// Adds payload bytes; complete non-final chunks are sealed into `output`
    /// (some of them after this call returns, by the next call at the latest).
    public mutating func append<Sink: ByteSink>(_ bytes: [UInt8], into output: inout Sink) throws {
        try writeHeaderOnce(&output)
        payloadByteCount += UInt64(bytes.count)
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                if let full = current, full.space == 0 {
                    // More data exists beyond this full chunk, so it is not the last.
                    current = nil
                    try submit(full, isFinal: false, writingTo: &output)
                }
                let slot = current ?? spare.popLast() ?? SealingSlot(capacity: sealer.chunkSize)
                current = slot
                offset += slot.fill(from: UnsafeRawBufferPointer(rebasing: raw[offset...]))
            }
        }
    }

    /// Seals what is left, the last chunk as the final one, and writes every frame.
    public mutating func finish<Sink: ByteSink>(into output: inout Sink) throws {
        try writeHeaderOnce(&output)
        // An empty payload is one empty final chunk.
        let last = current ?? SealingSlot(capacity: sealer.chunkSize)
        current = nil
        try submit(last, isFinal: true, writingTo: &output)
        while !inFlight.isEmpty { try writeOldest(&output) }
    }

    /// Hands `slot`'s chunk to a worker, after writing what is done and making room in the window.
    private mutating func submit<Sink: ByteSink>(_ slot: SealingSlot, isFinal: Bool, writingTo output: inout Sink) throws {
        while let oldest = inFlight.first, oldest.isDone { try writeOldest(&output) }
        while inFlight.count >= Self.window { try writeOldest(&output) }
        let index = sealer.claimIndex(dataCount: slot.dataCount, isFinal: isFinal)
        slot.prepare(index: index, isFinal: isFinal, sealer: sealer)
        if isFinal && index == 0 {
            slot.seal()   // the whole payload is one chunk: no thread is worth starting
        } else {
            if workers == nil { workers = SealingWorkers(count: Self.workerCount) }
            workers!.submit(slot)
        }
        inFlight.append(slot)
    }

    /// Waits for the oldest chunk in flight and writes its frame.
    private mutating func writeOldest<Sink: ByteSink>(_ output: inout Sink) throws {
        let slot = inFlight.removeFirst()
        try slot.withFrame { try output.write($0) }
        spare.append(slot)
    }

    private mutating func writeHeaderOnce<Sink: ByteSink>(_ output: inout Sink) throws {
        guard !headerWritten else { return }
        try output.write(sealer.header)
        headerWritten = true
    }
}

/// One chunk: filled with plaintext by the caller, then sealed (by a worker or
/// in place), which wipes the plaintext and leaves the frame. Whoever seals it
/// signals `done`; the owner touches the slot again only after that. A slot
/// that goes away unsealed (an abandoned seal) wipes its plaintext.
private final class SealingSlot: @unchecked Sendable {
    private var chunk: ChunkBuffer
    private var frame: [UInt8] = []
    private var length = 0
    private var index: UInt64 = 0
    private var isFinal = false
    private var sealer: PackageSealer?
    private var failure: (any Error)?
    private let done = DispatchSemaphore(value: 0)
    private var pending = false

    init(capacity: Int) { chunk = ChunkBuffer(capacity: capacity) }

    deinit { chunk.wipe() }

    /// Data bytes held.
    var dataCount: Int { chunk.dataCount }
    /// Room left for data.
    var space: Int { chunk.space }

    /// Appends as much of `source` as fits; returns how much.
    func fill(from source: UnsafeRawBufferPointer) -> Int { chunk.fill(from: source) }

    /// Sets the slot up to seal its chunk as chunk `index`.
    func prepare(index: UInt64, isFinal: Bool, sealer: PackageSealer) {
        chunk.prepareForSealing()
        self.index = index
        self.isFinal = isFinal
        self.sealer = sealer
        pending = true
    }

    /// Seals the chunk (on whichever thread calls it) and signals `done`.
    func seal() {
        do {
            length = try sealer!.sealFrame(&chunk.bytes, dataCount: chunk.dataCount, index: index, isFinal: isFinal, into: &frame)
        } catch {
            failure = error
        }
        sealer = nil
        chunk.reset()
        done.signal()
    }

    /// Whether the chunk is sealed (without waiting).
    var isDone: Bool {
        guard pending else { return true }
        guard done.wait(timeout: .now()) == .success else { return false }
        pending = false
        return true
    }

    /// Waits until the chunk is sealed, then passes the frame (or throws the error).
    func withFrame(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        if pending {
            done.wait()
            pending = false
        }
        if let failure {
            self.failure = nil
            throw failure
        }
        try frame.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }
}

/// The threads of one incremental seal. They are its own threads, not Swift's
/// or Dispatch's shared pool: on a small machine that pool is as wide as the
/// cores, and sealing there would stall the very task that reads the payload.
/// The threads end when this object goes away (a finished or abandoned seal).
private final class SealingWorkers {
    private let queue = SealingQueue()

    init(count: Int) {
        for n in 0..<count {
            let thread = Thread { [queue] in queue.work() }
            thread.name = "seal-\(n)"
            thread.start()
        }
    }

    func submit(_ slot: SealingSlot) { queue.push(slot) }

    deinit { queue.stop() }
}

/// The job queue the sealing threads share.
private final class SealingQueue: @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [SealingSlot] = []
    private var stopping = false

    func push(_ slot: SealingSlot) {
        condition.lock()
        jobs.append(slot)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// A thread's life: seal queued chunks until stopped with nothing queued.
    func work() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let slot = jobs.removeFirst()
            condition.unlock()
            slot.seal()
        }
    }
}
