import Foundation
import LiaisonCore
import NIOConcurrencyHelpers

/// Verifies a package while it is still arriving: a thread of its own reads the
/// spool file behind the session that writes it, so that by the time the last
/// byte is on disk the package is (nearly) verified too, instead of being read
/// back and checked from the start after the transfer.
///
/// The session reports each write with ``advance(to:)``; the thread never reads
/// past what was reported. ``complete()`` says the file is whole and waits for
/// the verdict; ``cancel()`` stops the thread (a dropped or replaced transfer).
/// What the thread checks is the file's content, which is what the recipient keeps.
///
/// At most ``maximumLive`` run at once in the daemon, and ``maximumPerPeer`` for
/// one sender (a peer that offers again and again, or holds transfers open, must
/// neither start threads without bound nor take every verifier): past that,
/// ``start(path:available:peer:verify:)`` declines and the receiver verifies the
/// file after its last byte (``verifyWhole(path:verify:)``), on a thread of its
/// own too, never on the tasks' shared threads. A cancelled verifier stops at its
/// next read, at most one read buffer later.
final class SpoolVerifier: @unchecked Sendable {
    /// Verifier threads running at once, at most, in the whole daemon.
    static let maximumLive = 8
    /// Of those, at most this many verify one peer's transfers.
    static let maximumPerPeer = 2
    private static let live = NIOLockedValueBox((total: 0, byPeer: [String: Int]()))
    /// Verifications after the last byte, one at a time: slower, but they take no
    /// thread from the tasks (a large package takes seconds to check).
    private static let afterTheFact = DispatchQueue(label: "spool-verify-whole")

    typealias Verification = @Sendable (inout GrowingFileSource) throws -> OpenedPackage

    private enum Phase { case receiving, complete, cancelled }

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var available: UInt64
    private var phase = Phase.receiving
    private var verdict: Result<OpenedPackage, any Error>?
    private var waiter: CheckedContinuation<Result<OpenedPackage, any Error>, Never>?

    /// Starts verifying the file at `path`, of which `available` bytes are
    /// already written, for the sender `peer` (its lifelong fingerprint); nil if
    /// ``maximumLive`` verifiers are already running, or ``maximumPerPeer`` for it.
    static func start(path: String, available: UInt64, peer: String, verify: @escaping Verification) -> SpoolVerifier? {
        let admitted = live.withLockedValue { live in
            guard live.total < maximumLive, live.byPeer[peer, default: 0] < maximumPerPeer else { return false }
            live.total += 1
            live.byPeer[peer, default: 0] += 1
            return true
        }
        guard admitted else { return nil }
        let verifier = SpoolVerifier(available: available)
        let thread = Thread { [verifier] in
            ThreadName.set("spool-verify")
            verifier.run(path: path, verify: verify)
            live.withLockedValue { live in
                live.total -= 1
                live.byPeer[peer, default: 1] -= 1
                if live.byPeer[peer] == 0 { live.byPeer[peer] = nil }
            }
        }
        thread.start()
        return verifier
    }

    /// Verifies the complete file at `path` off the tasks' threads (when no
    /// verifier followed the transfer), one such verification at a time; nil if the
    /// file cannot be opened.
    static func verifyWhole(path: String, verify: @escaping @Sendable (inout FileDescriptorStream) throws -> OpenedPackage) async -> Result<OpenedPackage, any Error>? {
        await withCheckedContinuation { continuation in
            afterTheFact.async {
                let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
                guard fd >= 0 else {
                    continuation.resume(returning: nil)
                    return
                }
                defer { close(fd) }
                var input = FileDescriptorStream(descriptor: fd)
                continuation.resume(returning: Result { try verify(&input) })
            }
        }
    }

    private init(available: UInt64) {
        self.available = available
    }

    /// The file now holds `written` bytes.
    func advance(to written: UInt64) {
        condition.lock()
        available = written
        condition.broadcast()
        condition.unlock()
    }

    /// The file is complete (and durable): waits for the verdict on all of it
    /// (after ``cancel()``, for the thread to stop).
    func complete() async -> Result<OpenedPackage, any Error> {
        await withCheckedContinuation { continuation in
            condition.lock()
            if phase == .receiving { phase = .complete }
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

    /// How far the file may be read from `position`: blocks until bytes past it
    /// are reported; nil once the file is complete and read to its end; throws
    /// once the transfer was cancelled (asked before every read, so a cancelled
    /// verifier stops at once even while bytes are left to read).
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

    fileprivate init(descriptor: Int32, verifier: SpoolVerifier) {
        self.descriptor = descriptor
        self.verifier = verifier
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        guard let limit = try verifier.waitForBytes(after: position) else { return 0 }
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
