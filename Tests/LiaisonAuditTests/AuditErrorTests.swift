import LiaisonAudit
import Testing

@Suite("AuditError")
struct AuditErrorTests {
    @Test("codes are unique, stable-looking and namespaced")
    func codes() {
        let raw = AuditError.Code.allCases.map(\.rawValue)
        #expect(Set(raw).count == raw.count)
        #expect(raw.allSatisfy { $0.hasPrefix("audit.") && $0 == $0.lowercased() && !$0.contains(" ") })
    }

    @Test("errors compare by code; the description carries message and code")
    func equality() {
        let a = AuditError(.malformedNote, "one message")
        let b = AuditError(.malformedNote, "another message")
        #expect(a == b)
        #expect(a != AuditError(.malformedCheckpoint, "one message"))
        #expect(a.description == "one message [audit.malformed-note]")
    }
}
