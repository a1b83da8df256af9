import Dispatch
import LiaisonCore
import NIOConcurrencyHelpers
import NIOCore

/// When this daemon queued each package it is delivering, to the nanosecond, for
/// `liaison_delivery_seconds`. The store knows only a package's creation time, in
/// whole seconds (its header's), which puts an idle delivery of 2 ms at 0 or 1 s;
/// this measures queued → receipt stored as it happened, for every package queued
/// since the daemon started. A package's time is forgotten once each copy it was
/// queued with is delivered. Those that fail or expire stay until ``capacity`` is
/// reached; then the oldest are forgotten first (in queueing order, O(1) each), and
/// their deliveries, if they ever come, are timed from the header in whole seconds.
final class QueueTimes: Sendable {
    private struct Entry {
        var queuedAt: UInt64
        var copiesLeft: Int
    }

    private struct State {
        var entries: [PackageID: Entry] = [:]
        /// Queueing order, with each queueing's time (an id queued again after its delivery
        /// has a later place, and its earlier one no longer matches); ids delivered since
        /// stay until they reach the front or a compaction.
        var order = CircularBuffer<(id: PackageID, queuedAt: UInt64)>()
    }

    private let state = NIOLockedValueBox(State())
    /// Most packages timed at once.
    let capacity: Int

    init(capacity: Int = 100_000) { self.capacity = capacity }

    /// Records that `id` was queued now, for `copies` recipients (a package already
    /// timed keeps its first time).
    func queued(_ id: PackageID, copies: Int, now: UInt64 = QueueTimes.now()) {
        state.withLockedValue { state in
            guard state.entries[id] == nil else { return }
            state.entries[id] = Entry(queuedAt: now, copiesLeft: copies)
            state.order.append((id, now))
            while state.entries.count > capacity, let oldest = state.order.popFirst() {
                if state.entries[oldest.id]?.queuedAt == oldest.queuedAt { state.entries[oldest.id] = nil }
            }
            // Ids delivered since are dropped from the order now and then, so it stays bounded too.
            if state.order.count > 2 * capacity {
                let live = state.order.filter { state.entries[$0.id]?.queuedAt == $0.queuedAt }
                state.order = CircularBuffer(live)
            }
        }
    }

    /// Seconds since `id` was queued, if it was timed; forgets it after its last copy.
    func delivered(_ id: PackageID, now: UInt64 = QueueTimes.now()) -> Double? {
        state.withLockedValue { state in
            guard var entry = state.entries[id] else { return nil }
            entry.copiesLeft -= 1
            state.entries[id] = entry.copiesLeft > 0 ? entry : nil
            return Double(now &- entry.queuedAt) / 1e9
        }
    }

    /// How many packages are timed now.
    var count: Int { state.withLockedValue { $0.entries.count } }

    /// How many ids the queueing order holds (timed ones, and some delivered since).
    var orderCount: Int { state.withLockedValue { $0.order.count } }

    /// The monotonic clock, in nanoseconds.
    static func now() -> UInt64 { UInt64(DispatchTime.now().uptimeNanoseconds) }
}
