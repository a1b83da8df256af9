import LiaisonCore
import Testing
@testable import LiaisonCLI

@Suite("audit query --since/--until: a time, a day, or a duration back")
struct AuditQueryTimeTests {
    @Test("each form becomes the UTC time the daemon takes; anything else is refused")
    func forms() {
        let now: Int64 = 1_796_000_000   // 2026-11-30T…Z
        #expect(AuditQueryTime.resolve("2026-11-26T09:40:00Z", now: now) == "2026-11-26T09:40:00Z")
        #expect(AuditQueryTime.resolve("2026-11-26", now: now) == "2026-11-26T00:00:00Z")
        #expect(AuditQueryTime.resolve("10m", now: now) == Timestamp.iso8601(now - 600))
        #expect(AuditQueryTime.resolve("7d", now: now) == Timestamp.iso8601(now - 7 * 86_400))
        for bad in ["yesterday", "2026-11", "-1d", "0m", "2026-13-01", ""] {
            #expect(AuditQueryTime.resolve(bad, now: now) == nil, "\(bad)")
        }
    }
}
