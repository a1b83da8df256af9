import Foundation
import LiaisonCrypto

/// One chunk: filled with plaintext by the caller, then sealed (by a worker or
/// in place), which wipes the plaintext and leaves the frame. Whoever seals it
/// marks it sealed under `lock` and resumes a waiting owner; the owner touches
/// the chunk and frame again only after that. A slot that goes away unsealed
/// (an abandoned seal) wipes its plaintext.
final class SealingSlot: @unchecked Sendable {
    private var chunk: ChunkBuffer
    private var frame: [UInt8] = []
    private var length = 0
    private var index: UInt64 = 0
    private var isFinal = false
    private var sealer: PackageSealer?
    private var failure: (any Error)?
    private let lock = NSLock()
    // Guarded by `lock`.
    private var sealed = true
    private var waiter: CheckedContinuation<Void, Never>?

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
        lock.lock()
        sealed = false
        lock.unlock()
    }

    /// Seals the chunk (on whichever thread calls it) and resumes the owner if it waits.
    func seal() {
        do {
            length = try sealer!.sealFrame(&chunk.bytes, dataCount: chunk.dataCount, index: index, isFinal: isFinal, into: &frame)
        } catch {
            failure = error
        }
        sealer = nil
        chunk.reset()
        lock.lock()
        sealed = true
        let owner = waiter
        waiter = nil
        lock.unlock()
        owner?.resume()
    }

    /// Whether the chunk is sealed (without waiting).
    var isDone: Bool {
        lock.lock()
        defer { lock.unlock() }
        return sealed
    }

    /// Suspends (without holding a thread) until the chunk is sealed.
    func waitUntilSealed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if sealed {
                lock.unlock()
                continuation.resume()
            } else {
                waiter = continuation
                lock.unlock()
            }
        }
    }

    /// Passes the frame of a sealed chunk (or throws the sealing error).
    func withFrame(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(isDone, "the chunk is not sealed yet")
        if let failure {
            self.failure = nil
            throw failure
        }
        try frame.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }
}

/// The process's sealing threads and their job queue. They are threads of
/// their own, not Swift's or Dispatch's shared pool: on a small machine that
/// pool is as wide as the cores, and sealing there would stall the very tasks
/// that read the payloads. Started with the first multi-chunk seal; they live
/// as long as the process.
final class SealingQueue: @unchecked Sendable {
    /// Sealing threads: one per core, up to four.
    static let threadCount = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 4))
    /// The one queue.
    static let shared = SealingQueue(threads: threadCount)

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [SealingSlot] = []

    private init(threads: Int) {
        for n in 0..<threads {
            let thread = Thread { [self] in
                ThreadName.set("seal-\(n)")
                work()
            }
            thread.start()
        }
    }

    /// Queues `slot` to be sealed by the next free thread.
    func push(_ slot: SealingSlot) {
        condition.lock()
        jobs.append(slot)
        condition.signal()
        condition.unlock()
    }

    /// A thread's life: seal queued chunks.
    private func work() -> Never {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let slot = jobs.removeFirst()
            condition.unlock()
            slot.seal()
        }
    }
}
