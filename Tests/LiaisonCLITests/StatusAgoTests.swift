import Testing
@testable import LiaisonCLI

/// `status` says how long ago things happened, as `wg show` does.
@Suite("status: times as how long ago")
struct StatusAgoTests {
    @Test("seconds, minutes, hours and days, singular and plural; a time ahead or unreadable says so",
          arguments: [(0, "0 seconds ago"), (1, "1 second ago"), (59, "59 seconds ago"), (60, "1 minute ago"), (7199, "1 hour ago"),
                      (7200, "2 hours ago"), (86_400, "1 day ago"), (90 * 86_400, "90 days ago"), (-5, "in the future")])
    func ago(secondsBefore: Int64, expected: String) {
        let now: Int64 = 1_795_737_600   // 2026-11-27T00:00:00Z
        #expect(StatusCommand.ago("2026-11-27T00:00:00Z", now: now + secondsBefore) == expected)
    }

    @Test("an unreadable time")
    func unreadable() {
        #expect(StatusCommand.ago("yesterday") == "?")
    }
}
