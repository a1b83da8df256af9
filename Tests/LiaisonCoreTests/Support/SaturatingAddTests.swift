import LiaisonCore
import Testing

@Suite("Saturating sums: sizes a peer or a file makes up never trap")
struct SaturatingAddTests {
    @Test("a sum that fits is the sum; one that does not stops at the type's bound")
    func bounds() {
        #expect(UInt64(40).saturatingAdd(2) == 42)
        #expect(UInt64.max.saturatingAdd(1) == .max)
        #expect((UInt64.max - 1).saturatingAdd(.max) == .max)
        #expect(Int64(-5).saturatingAdd(7) == 2)
        #expect(Int64.max.saturatingAdd(Int64.max) == .max)
        #expect(Int64.min.saturatingAdd(-1) == .min)
    }
}
