import LiaisonWire
import Testing

@Suite("Connection slots: per-source handshakes, the oldest handshake gives way")
struct ConnectionAdmissionTests {
    @Test("a source has at most perSource connections in their handshakes; authenticating frees its share")
    func perSource() {
        var slots = ConnectionAdmission<Int>(capacity: 10, perSource: 2)
        #expect(slots.arrive(1, source: "a") == .admit)
        #expect(slots.arrive(2, source: "a") == .admit)
        #expect(slots.arrive(3, source: "a") == .refuseSourceBusy)
        #expect(slots.arrive(4, source: "b") == .admit, "another source is not held back")
        slots.authenticate(1)
        #expect(slots.arrive(5, source: "a") == .admit, "an authenticated session no longer counts against its source")
        slots.leave(2)
        #expect(slots.arrive(6, source: "a") == .admit)
        #expect(slots.count == 4, "1 (a session), 4, 5 and 6")
    }

    @Test("when every slot is taken the oldest connection still in its handshake gives way, never a session")
    func evictsOldestHandshake() {
        var slots = ConnectionAdmission<Int>(capacity: 3, perSource: 3)
        #expect(slots.arrive(1, source: "a") == .admit)
        slots.authenticate(1)
        #expect(slots.arrive(2, source: "b") == .admit)
        #expect(slots.arrive(3, source: "c") == .admit)
        #expect(slots.arrive(4, source: "d") == .admitEvicting(2), "the oldest handshake, not the session")
        #expect(slots.arrive(5, source: "e") == .admitEvicting(3))
        #expect(slots.count == 3)
        // The evicted connection's own leave, when its task ends, changes nothing.
        slots.leave(2)
        #expect(slots.count == 3)
        slots.authenticate(4)
        slots.authenticate(5)
        #expect(slots.arrive(6, source: "f") == .refuseFull, "only sessions hold the slots")
        slots.leave(1)
        #expect(slots.arrive(6, source: "f") == .admit)
    }

    @Test("the source with the most handshakes gives way first, though a partner's handshake is older")
    func busiestSourceFirst() {
        var slots = ConnectionAdmission<Int>(capacity: 4, perSource: 3)
        #expect(slots.arrive(1, source: "partner") == .admit)
        for ticket in 2...4 { #expect(slots.arrive(ticket, source: "flood") == .admit) }
        #expect(slots.arrive(5, source: "flood2") == .admitEvicting(2), "the partner's older handshake gave way")
        #expect(slots.arrive(6, source: "flood2") == .admitEvicting(3))
        // flood2 now holds two, flood and the partner one each: the oldest of flood2's goes.
        #expect(slots.arrive(7, source: "flood3") == .admitEvicting(5))
        // Then flood, flood2, flood3 and the partner hold one each: the oldest goes, the partner's.
        #expect(slots.arrive(8, source: "flood4") == .admitEvicting(1))
    }

    @Test("an evicted connection frees its source's share")
    func evictionFreesSource() {
        var slots = ConnectionAdmission<Int>(capacity: 2, perSource: 1)
        #expect(slots.arrive(1, source: "a") == .admit)
        #expect(slots.arrive(2, source: "b") == .admit)
        #expect(slots.arrive(3, source: "c") == .admitEvicting(1))
        #expect(slots.arrive(4, source: "a") == .admitEvicting(2), "a's one handshake was evicted, so a may try again")
        #expect(slots.arrive(5, source: "a") == .refuseSourceBusy)
    }

    @Test("a source is an IPv4 address or an IPv6 /64; IPv4-mapped addresses count as IPv4")
    func sources() {
        #expect(SourceAddress.key([192, 0, 2, 7]) == "192.0.2.7")
        let v6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x02, 1, 2, 3, 4, 5, 6, 7, 8]
        var sameNetwork = v6
        sameNetwork[15] = 9
        #expect(SourceAddress.key(v6) == "2001:db8:1:2::/64")
        #expect(SourceAddress.key(sameNetwork) == SourceAddress.key(v6))
        var otherNetwork = v6
        otherNetwork[7] = 3
        #expect(SourceAddress.key(otherNetwork) != SourceAddress.key(v6))
        #expect(SourceAddress.key([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7]) == "192.0.2.7")
        #expect(SourceAddress.key([1, 2, 3]) == nil)
    }
}
