import Dispatch
import LiaisonCore
import NIOConcurrencyHelpers

/// When this daemon queued each package it is delivering, to the nanosecond, for
/// `liaison_delivery_seconds`. The store knows only a package's creation time, in
/// whole seconds (its header's), which puts an idle delivery of 2 ms at 0 or 1 s;
/// this measures queued → receipt stored as it happened, for every package queued
/// since the daemon started. A package's time is forgotten once each copy it was
/// queued with is delivered; those that fail or expire are left until the table is
/// full, then dropped by age.
final class QueueTimes: Sendable {
    private struct Entry {
        var queuedAt: UInt64
        var copiesLeft: Int
    }

    private let entries = NIOLockedValueBox([PackageID: Entry]())
    /// Most packages timed at once: past it the oldest hour is dropped, and if that
    /// leaves no room, new packages go untimed (their metric falls back to seconds).
    let capacity: Int
    private static let staleNanoseconds: UInt64 = 3_600 * 1_000_000_000

    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// Records that `id` was queued now, for `copies` recipients.
    func queued(_ id: PackageID, copies: Int, now: UInt64 = QueueTimes.now()) {
        entries.withLockedValue { entries in
            if entries.count >= capacity {
                entries = entries.filter { now &- $0.value.queuedAt < Self.staleNanoseconds }
                guard entries.count < capacity else { return }
            }
            entries[id] = Entry(queuedAt: now, copiesLeft: copies)
        }
    }

    /// Seconds since `id` was queued, if it was timed; forgets it after its last copy.
    func delivered(_ id: PackageID, now: UInt64 = QueueTimes.now()) -> Double? {
        entries.withLockedValue { entries in
            guard var entry = entries[id] else { return nil }
            entry.copiesLeft -= 1
            entries[id] = entry.copiesLeft > 0 ? entry : nil
            return Double(now &- entry.queuedAt) / 1e9
        }
    }

    /// How many packages are timed now.
    var count: Int { entries.withLockedValue { $0.count } }

    /// The monotonic clock, in nanoseconds.
    static func now() -> UInt64 { UInt64(DispatchTime.now().uptimeNanoseconds) }
}
