import LiaisonCore
import Testing

@Suite("Timestamps and durations")
struct TimestampTests {
    @Test("RFC 3339 round trip", arguments: [Int64(0), 951_782_400, 1_795_651_200, 4_102_444_799])
    func roundTrip(seconds: Int64) {
        #expect(Timestamp.parse(Timestamp.iso8601(seconds)) == seconds)
    }

    @Test("absurd times from a peer are shown clamped, never trapped on", arguments: [Int64.max, Int64.min, 67_767_976_233_532_800, -67_768_040_609_740_800])
    func absurd(seconds: Int64) {
        let text = Timestamp.iso8601(seconds)
        #expect(text == (seconds > 0 ? "9999-12-31T23:59:59Z" : "0001-01-01T00:00:00Z"))
    }

    @Test("known values")
    func known() {
        #expect(Timestamp.iso8601(1_795_651_200) == "2026-11-26T00:00:00Z")
        #expect(Timestamp.parse("2000-02-29T00:00:00Z") == 951_782_400)
    }

    @Test("anything but the canonical UTC form is refused", arguments: [
        "", "2026-11-26", "2026-11-26T00:00:00", "2026-11-26T00:00:00+01:00", "2026-11-26T00:00:00.5Z",
        "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-26T24:00:00Z", "2026-11-26t00:00:00Z",
        "1969-12-31T23:59:59Z", "２026-11-26T00:00:00Z", "2026-11-26T00:00:60Z",
    ])
    func refused(text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test("durations")
    func durations() throws {
        #expect(try Timestamp.parseDuration("90s") == 90)
        #expect(try Timestamp.parseDuration("12h") == 43_200)
        #expect(try Timestamp.parseDuration("2w") == 1_209_600)
        for bad in ["", "d", "0d", "-1d", "1y", "1.5h", "99999999999999999w"] {
            #expect(throws: CoreError(.invalidArgument, "")) { try Timestamp.parseDuration(bad) }
        }
        // Zero or less is a duration in form, and said to be one that must be positive.
        for zero in ["0s", "0d", "-1d"] {
            #expect(throws: CoreError(.invalidArgument, "")) { try Timestamp.parseDuration(zero) }
            #expect(IdentityFixtures.coreError { try Timestamp.parseDuration(zero) }?.message.contains("must be positive") == true)
        }
    }
}
