import LiaisonCore
import Testing

@Suite("A duration in seconds")
struct DurationSecondsTests {
    @Test("whole and fractional parts, down to nanoseconds", arguments: [
        (Duration.seconds(3), 3.0),
        (.milliseconds(1500), 1.5),
        (.microseconds(250), 0.000_25),
        (.nanoseconds(1), 1e-9),
        (.zero, 0.0),
        (.milliseconds(-2), -0.002),
    ])
    func seconds(_ duration: Duration, _ expected: Double) {
        #expect(abs(duration.seconds - expected) <= 1e-15)
    }
}
