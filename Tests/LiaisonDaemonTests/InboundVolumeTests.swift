import LiaisonCore
import Testing
@testable import LiaisonDaemon

@Suite("Inbound volume: a sender's last day, counted by the minute")
struct InboundVolumeTests {
    static let now: Int64 = 1_800_000_030   // 30 s into a minute

    static func sender(_ seed: UInt8) throws -> NodeFingerprint { try testFingerprint("sender-\(seed)") }

    @Test("the store is read once per sender; what is stored after is added; a sender not yet asked about is left to its read")
    func seedsOnceThenAdds() throws {
        let volume = InboundVolume()
        let alice = try Self.sender(1), bob = try Self.sender(2)
        var reads = 0
        let seed: (Int64) throws -> [Int64: Int64] = { since in
            reads += 1
            #expect(since == InboundVolume.minuteOf(Self.now - 86_400) * 60, "the window starts at its first minute")
            return [InboundVolume.minuteOf(Self.now - 3_600): 1_000]
        }
        volume.add(500, from: alice, at: Self.now)   // before the first question: the read has it
        #expect(try volume.bytes(from: alice, now: Self.now, seed: seed) == 1_000)
        volume.add(250, from: alice, at: Self.now)
        volume.add(250, from: alice, at: Self.now + 1)
        #expect(try volume.bytes(from: alice, now: Self.now + 2, seed: seed) == 1_500)
        #expect(reads == 1)
        #expect(try volume.bytes(from: bob, now: Self.now, seed: { _ in [:] }) == 0, "another sender has its own count")
        #expect(try volume.bytes(from: alice, now: Self.now + 2, seed: seed) == 1_500)
    }

    @Test("the store is read outside the lock: a package stored meanwhile is counted, other senders go on; a failed read is tried again",
          .timeLimit(.minutes(1)))
    func readOutsideTheLock() throws {
        let volume = InboundVolume()
        let alice = try Self.sender(1), bob = try Self.sender(2)
        #expect(try volume.bytes(from: bob, now: Self.now, seed: { _ in [:] }) == 0)
        let total = try volume.bytes(from: alice, now: Self.now) { _ in
            // While alice's minutes are read: another of her packages is stored, and bob's volume is asked for.
            volume.add(700, from: alice, at: Self.now)
            volume.add(5, from: bob, at: Self.now)
            #expect((try? volume.bytes(from: bob, now: Self.now, seed: { _ in [:] })) == 5)
            return [InboundVolume.minuteOf(Self.now): 300]
        }
        #expect(total == 1_000, "what was read, and what was stored during the read")
        #expect(try volume.bytes(from: alice, now: Self.now, seed: { _ in Issue.record("read once"); return [:] }) == 1_000)

        struct Unreadable: Error {}
        let carol = try Self.sender(3)
        #expect(throws: Unreadable.self) { try volume.bytes(from: carol, now: Self.now, seed: { _ in throw Unreadable() }) }
        #expect(try volume.bytes(from: carol, now: Self.now, seed: { _ in [InboundVolume.minuteOf(Self.now): 42] }) == 42, "read again")
    }

    @Test("a minute leaves the window once it is more than a day old; the window's first minute counts whole")
    func window() throws {
        let volume = InboundVolume()
        let alice = try Self.sender(1)
        let dayAgo = Self.now - 86_400
        #expect(try volume.bytes(from: alice, now: Self.now, seed: { _ in [:] }) == 0)
        volume.add(100, from: alice, at: dayAgo - 20)   // same minute as the window's start (10 s into it)
        volume.add(10, from: alice, at: dayAgo - 31)    // the minute before
        volume.add(1, from: alice, at: Self.now)
        #expect(try volume.bytes(from: alice, now: Self.now, seed: { _ in [:] }) == 101, "counted by the minute: up to a minute more than a day")
        #expect(try volume.bytes(from: alice, now: Self.now + 30, seed: { _ in [:] }) == 1, "a minute later it has gone")
    }

    @Test("sums saturate instead of trapping, and old minutes are dropped as they pile up")
    func boundsAndSaturation() throws {
        let volume = InboundVolume()
        let alice = try Self.sender(1)
        #expect(try volume.bytes(from: alice, now: Self.now, seed: { _ in [InboundVolume.minuteOf(Self.now): .max - 1] }) == .max - 1)
        volume.add(.max, from: alice, at: Self.now)
        volume.add(5, from: alice, at: Self.now - 60)
        #expect(try volume.bytes(from: alice, now: Self.now, seed: { _ in [:] }) == .max)
        // Three days of minutes, one byte each: only the last day's stay counted.
        let bob = try Self.sender(2)
        #expect(try volume.bytes(from: bob, now: Self.now, seed: { _ in [:] }) == 0)
        for minute in 0..<Int64(3 * 1440) { volume.add(1, from: bob, at: Self.now - minute * 60) }
        #expect(try volume.bytes(from: bob, now: Self.now, seed: { _ in [:] }) == 1441)
    }

    @Test("minutes round down, before 1970 too")
    func minutes() {
        #expect(InboundVolume.minuteOf(0) == 0 && InboundVolume.minuteOf(59) == 0 && InboundVolume.minuteOf(60) == 1)
        #expect(InboundVolume.minuteOf(-1) == -1 && InboundVolume.minuteOf(-60) == -1 && InboundVolume.minuteOf(-61) == -2)
    }
}
