import Foundation
import LiaisonCore
import NIOConcurrencyHelpers

/// Free space on the volume of the node's home that packages never take
/// (`disk-reserve-mib` in `[daemon]`).
///
/// The daemon fails closed: an action the store or the audit log cannot record is
/// not done. A volume filled by packages — a partner pushing without a
/// `bytes-per-day` limit, or one very large `send` — would therefore stop every
/// action, down to the operator's own commands. Incoming packages and new sends
/// are refused (for now: a sender keeps them queued and retries) while taking them
/// would leave less than the reserve free, so the records, receipts and journal
/// that need little room can still be written.
struct DiskReserve: Sendable {
    /// Bytes always left free; 0 turns the reserve off.
    let bytes: UInt64
    /// Reads the bytes available to the daemon on the volume; nil if it cannot tell.
    private let available: @Sendable () -> UInt64?
    /// When a shortage was last logged.
    private let lastWarning = NIOLockedValueBox<ContinuousClock.Instant?>(nil)

    /// A reserve of `bytes` on the volume holding `path`.
    init(bytes: UInt64, path: String) {
        self.init(bytes: bytes) { Self.availableBytes(on: path) }
    }

    /// A reserve of `bytes` measured by `available` (tests give their own readings).
    init(bytes: UInt64, available: @escaping @Sendable () -> UInt64?) {
        self.bytes = bytes
        self.available = available
    }

    /// What the volume holds free now, and how much of it is the reserve.
    struct Reading: Sendable, Equatable {
        let available: UInt64
        let reserve: UInt64
    }

    /// The volume's free space now; nil if it cannot be read.
    func reading() -> Reading? { available().map { Reading(available: $0, reserve: bytes) } }

    /// The reading that refuses `incoming` more bytes (besides `pending`, already
    /// promised to transfers under way): the one that would leave less than the
    /// reserve free. Nil when they fit, when the reserve is off, or when the free
    /// space cannot be read — the write itself then fails cleanly if it does not fit.
    func shortage(adding incoming: UInt64, pending: UInt64 = 0) -> Reading? {
        guard bytes > 0, let now = reading() else { return nil }
        return leavesTooLittle(now, taking: incoming, pending: pending) ? now : nil
    }

    /// The reading that refuses a transfer of `incoming` bytes promised `window`
    /// bytes of disk at a time: it does not fit alone, or its first window does not
    /// fit beside the windows `pending` (promised to the transfers under way). One
    /// reading for both.
    func shortage(adding incoming: UInt64, window: UInt64, pending: UInt64) -> Reading? {
        guard bytes > 0, let now = reading() else { return nil }
        return leavesTooLittle(now, taking: incoming, pending: 0) || leavesTooLittle(now, taking: min(incoming, window), pending: pending) ? now : nil
    }

    private func leavesTooLittle(_ now: Reading, taking incoming: UInt64, pending: UInt64) -> Bool {
        let (taken, tooMuch) = incoming.addingReportingOverflow(pending)
        let (needed, overflow) = bytes.addingReportingOverflow(taken)
        return tooMuch || overflow || now.available < needed
    }

    /// Throws unless `incoming` more bytes leave the reserve free; `action` says
    /// what was refused ("queue the package").
    func ensureRoom(adding incoming: UInt64 = 0, to action: String) throws {
        guard let shortage = shortage(adding: incoming) else { return }
        // With a package to add, say that it is what would cross the reserve.
        let crossing = incoming > 0 ? "; these \(ByteCount.format(incoming)) would take it below the reserve" : ""
        throw CoreError(.diskReserve, "cannot \(action): the volume holding the node's home has \(shortage.description)\(crossing) "
                            + "(disk-reserve-mib in [daemon] of liaison.toml); nothing was queued. Free space on it, then retry")
    }

    /// Whether to log a shortage now: at most once every 10 s, so a flood of refused
    /// packages cannot flood the log (which may well share the nearly full volume).
    func warnNow() -> Bool {
        let now = ContinuousClock.now
        return lastWarning.withLockedValue { last in
            if let last, now - last < .seconds(10) { return false }
            last = now
            return true
        }
    }

    /// Bytes an unprivileged writer may still use on the volume holding `path`
    /// (`statvfs`'s `f_bavail`, in fragments of `f_frsize`).
    static func availableBytes(on path: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow ? .max : bytes
    }
}

extension DiskReserve.Reading {
    /// "1.2 GiB free, 256.0 MiB kept in reserve", for messages.
    var description: String { "\(ByteCount.format(available)) free, \(ByteCount.format(reserve)) kept in reserve" }
}
