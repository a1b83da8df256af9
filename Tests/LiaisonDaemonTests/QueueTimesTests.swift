import Foundation
import LiaisonCore
@testable import LiaisonDaemon
import Testing

/// `liaison_delivery_seconds` is timed from the queueing, to the nanosecond, and the
/// table behind it stays bounded whatever fails.
@Suite("QueueTimes: when each package being delivered was queued")
struct QueueTimesTests {
    private static func id(_ n: Int) -> PackageID {
        PackageID(unchecked: Array(repeating: 0, count: PackageFormat.packageIDByteCount - 2) + [UInt8(n >> 8), UInt8(n & 0xFF)])
    }

    @Test("a package is timed for each copy, then forgotten")
    func copies() {
        let times = QueueTimes()
        times.queued(Self.id(1), copies: 2, now: 1_000_000_000)
        #expect(times.delivered(Self.id(1), now: 1_002_500_000) == 0.0025)
        #expect(times.count == 1)
        #expect(times.delivered(Self.id(1), now: 3_000_000_000) == 2)
        #expect(times.count == 0 && times.delivered(Self.id(1)) == nil)
        // One this daemon did not queue (before a restart) is not timed.
        #expect(times.delivered(Self.id(2)) == nil)
    }

    @Test("full, it forgets the oldest first; what was delivered does not pile up")
    func bounded() {
        let times = QueueTimes(capacity: 3)
        for n in 1...4 { times.queued(Self.id(n), copies: 1, now: UInt64(n) * 1_000_000) }
        #expect(times.count == 3 && times.delivered(Self.id(1)) == nil)
        #expect(times.delivered(Self.id(4), now: 5_000_000) == 0.001)
        // Many queued and delivered: the order is compacted, never past twice the capacity.
        for n in 10..<1_000 {
            times.queued(Self.id(n % 250), copies: 1, now: UInt64(n) * 1_000_000)
            _ = times.delivered(Self.id(n % 250))
        }
        #expect(times.count <= 3 && times.orderCount <= 6)
    }

    @Test("an id queued again after its delivery keeps its new time when its old place comes up")
    func queuedAgain() {
        let times = QueueTimes(capacity: 2)
        times.queued(Self.id(1), copies: 1, now: 1_000)
        _ = times.delivered(Self.id(1), now: 2_000)
        times.queued(Self.id(2), copies: 1, now: 3_000)
        times.queued(Self.id(1), copies: 1, now: 4_000)   // its first place is still at the front
        times.queued(Self.id(3), copies: 1, now: 5_000)   // full: id 2 goes, not the new id 1
        #expect(times.delivered(Self.id(2)) == nil)
        #expect(times.delivered(Self.id(1), now: 1_004_000) == 0.001)
    }
}
