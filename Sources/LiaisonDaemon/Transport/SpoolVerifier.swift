import Foundation
import LiaisonCore

/// Verifies a package while it is still arriving: a thread of its own reads the
/// spool file behind the session that writes it, so that by the time the last
/// byte is on disk the package is (nearly) verified too, instead of being read
/// back and checked from the start after the transfer.
///
/// The session reports each write with ``advance(to:)``; the thread never reads
/// past what was reported. ``complete()`` says the file is whole and waits for
/// the verdict; ``cancel()`` stops the thread (a dropped or replaced transfer).
/// What the thread checks is the file's content, which is what the recipient keeps.
final class SpoolVerifier: @unchecked Sendable {
    typealias Verification = @Sendable (inout GrowingFileSource) throws -> OpenedPackage

    private enum Phase { case receiving, complete, cancelled }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var available: UInt64
    private var phase = Phase.receiving
    private var verdict: Result<OpenedPackage, any Error>?
    private var waiter: CheckedContinuation<Result<OpenedPackage, any Error>, Never>?

    /// Starts verifying the file at `path`, of which `available` bytes are already written.
    init(path: String, available: UInt64, verify: @escaping Verification) {
        self.available = available
        let thread = Thread { [self] in run(path: path, verify: verify) }
        thread.name = "spool-verify"
        thread.start()
    }

    /// The file now holds `written` bytes.
    func advance(to written: UInt64) {
        condition.lock()
        available = written
        condition.broadcast()
        condition.unlock()
    }

    /// The file is complete (and durable): waits for the verdict on all of it.
    func complete() async -> Result<OpenedPackage, any Error> {
        await withCheckedContinuation { continuation in
            condition.lock()
            phase = .complete
            condition.broadcast()
            if let verdict {
                condition.unlock()
                continuation.resume(returning: verdict)
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// Stops verifying; the thread ends at its next read.
    func cancel() {
        condition.lock()
        if phase == .receiving { phase = .cancelled }
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until bytes past `position` are reported, or the file is complete
    /// (returns false: the end) or the transfer was cancelled (throws).
    fileprivate func waitForBytes(after position: UInt64) throws -> UInt64? {
        condition.lock()
        defer { condition.unlock() }
        while available <= position && phase == .receiving { condition.wait() }
        if phase == .cancelled { throw CoreError(.io, "the transfer was abandoned") }
        return available > position ? available : nil
    }

    private func run(path: String, verify: Verification) {
        let result: Result<OpenedPackage, any Error>
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor < 0 {
            result = .failure(CoreError(.io, "cannot read the spool file: \(String(cString: strerror(errno)))"))
        } else {
            var source = GrowingFileSource(descriptor: descriptor, verifier: self)
            result = Result { try verify(&source) }
            close(descriptor)
        }
        condition.lock()
        verdict = result
        let waiting = waiter
        waiter = nil
        condition.unlock()
        waiting?.resume(returning: result)
    }
}

/// The spool file as a ``ByteSource`` that waits for bytes still to arrive and
/// ends where the complete file ends.
struct GrowingFileSource: ByteSource {
    fileprivate let descriptor: Int32
    fileprivate let verifier: SpoolVerifier
    private var position: UInt64 = 0
    private var limit: UInt64 = 0

    fileprivate init(descriptor: Int32, verifier: SpoolVerifier) {
        self.descriptor = descriptor
        self.verifier = verifier
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        if position >= limit {
            guard let reported = try verifier.waitForBytes(after: position) else { return 0 }
            limit = reported
        }
        let wanted = Int(min(UInt64(buffer.count), limit - position))
        while true {
            let n = pread(descriptor, base, wanted, off_t(position))
            if n > 0 {
                position += UInt64(n)
                return n
            }
            if n < 0 && errno == EINTR { continue }
            // Bytes reported written are in the file; anything else means it changed under us.
            throw CoreError(.io, n == 0 ? "the spool file is shorter than was written" : "read failed: \(String(cString: strerror(errno)))")
        }
    }
}
