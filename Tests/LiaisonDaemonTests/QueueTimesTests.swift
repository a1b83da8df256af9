import Foundation
import LiaisonCore
@testable import LiaisonDaemon
import Testing

/// `liaison_delivery_seconds` is timed from the queueing, to the nanosecond, and the
/// table behind it stays bounded whatever fails.
@Suite("QueueTimes: when each package being delivered was queued")
struct QueueTimesTests {
    private static func id(_ n: Int) -> PackageID {
        PackageID(unchecked: Array(repeating: 0, count: PackageFormat.packageIDByteCount - 1) + [UInt8(n)])
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

    @Test("full, it drops what has waited over an hour; if that frees nothing, new packages go untimed")
    func bounded() {
        let times = QueueTimes(capacity: 3)
        let hour: UInt64 = 3_600 * 1_000_000_000
        times.queued(Self.id(1), copies: 1, now: 1)
        times.queued(Self.id(2), copies: 1, now: hour)
        times.queued(Self.id(3), copies: 1, now: hour + 1)
        times.queued(Self.id(4), copies: 1, now: hour + 2)   // id 1 has waited an hour: dropped
        #expect(times.count == 3 && times.delivered(Self.id(1)) == nil)
        times.queued(Self.id(5), copies: 1, now: hour + 3)   // nothing stale: not timed
        #expect(times.count == 3 && times.delivered(Self.id(5)) == nil)
        #expect(times.delivered(Self.id(4), now: hour + 1_000_002) == 0.001)
    }
}
