import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Temporary files that must not outlive a process ended by a signal: a
/// half-written `--out` file of `liaison inbox get` or `package open` holds
/// decrypted, not yet verified plaintext.
///
/// ``AtomicOutputFile`` registers its temporary file for as long as it exists.
/// A program that wants the files removed when it is interrupted calls
/// ``removeOnTerminatingSignals()`` once at start (the CLI does; the daemon, whose
/// SIGTERM drains transfers instead, does not). The handler only calls `unlink`
/// on paths copied in advance, then lets the signal end the process as it would
/// have, so the exit status still tells which signal it was.
public enum InterruptCleanup {
    /// At most this many files are registered at once; more are not tracked.
    static let slotCount = 64
    static let slotBytes = Int(PATH_MAX)
    /// Path bytes, NUL-terminated, one slot each. Written only while a slot is not
    /// marked ready; read by the signal handler only while it is.
    nonisolated(unsafe) private static let slots = UnsafeMutablePointer<CChar>.allocate(capacity: slotCount * slotBytes)
    /// Bit i: slot i holds a complete path the handler may remove.
    private static let ready = Atomic<UInt64>(0)
    /// Bit i: slot i is taken (ready or being filled), guarded by the mutex.
    private static let taken = Mutex<UInt64>(0)

    /// A registration; ``remove()`` ends it.
    public struct Registration: Sendable {
        fileprivate let slot: Int?
    }

    /// Tracks `path` until the registration is removed. A path too long for a slot,
    /// or one past the slot count, is not tracked.
    public static func register(_ path: String) -> Registration {
        let bytes = Array(path.utf8)
        guard bytes.count < slotBytes, !bytes.contains(0) else { return Registration(slot: nil) }
        let slot: Int? = taken.withLock { taken in
            guard taken != .max else { return nil }
            let free = (~taken).trailingZeroBitCount
            taken |= 1 << UInt64(free)
            return free
        }
        guard let slot else { return Registration(slot: nil) }
        let base = slots + slot * slotBytes
        bytes.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { base.update(from: $0.baseAddress!, count: $0.count) }
        }
        base[bytes.count] = 0
        ready.bitwiseOr(1 << UInt64(slot), ordering: .releasing)
        return Registration(slot: slot)
    }

    /// Stops tracking a path (once its file is committed or removed).
    public static func remove(_ registration: Registration) {
        guard let slot = registration.slot else { return }
        ready.bitwiseAnd(~(1 << UInt64(slot)), ordering: .acquiringAndReleasing)
        taken.withLock { $0 &= ~(1 << UInt64(slot)) }
    }

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP (those not ignored) that
    /// remove the tracked files, then end the process by the same signal.
    public static func removeOnTerminatingSignals() {
        // Initialised now, not lazily inside a handler (`swift_once` is no signal-safe call).
        _ = ready.load(ordering: .relaxed)
        _ = slots
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            var previous = sigaction()
            guard sigaction(signalNumber, nil, &previous) == 0,
                  unsafeBitCast(previous.__sigaction_handler.sa_handler, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self)
            else { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signalNumber in
                InterruptCleanup.removeTracked()
                // SA_RESETHAND put back the default action; it runs once this handler returns.
                raise(signalNumber)
            }
            action.sa_flags = Int32(truncatingIfNeeded: SA_RESETHAND)   // 0x80000000
            sigemptyset(&action.sa_mask)
            sigaction(signalNumber, &action, nil)
        }
    }

    /// Unlinks every ready path; only async-signal-safe calls.
    static func removeTracked() {
        var pending = ready.load(ordering: .acquiring)
        while pending != 0 {
            let slot = pending.trailingZeroBitCount
            pending &= pending - 1
            unlink(slots + slot * slotBytes)
        }
    }
}
