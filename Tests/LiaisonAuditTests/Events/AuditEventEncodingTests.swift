import LiaisonAudit
import Testing

@Suite("Audit leaf encoding")
struct AuditEventEncodingTests {
    static let full = AuditEvent(
        time: 1_795_651_200_123, kind: .packageRejected, outcome: .denied, actor: .peer("abcde-fghij"),
        peer: "abcde-fghij", peerName: "bravo", package: "0123456789abcdef0123456789abcdef",
        markings: "TLP:AMBER CONFIDENTIAL REL TO NATO", reason: "policy.tlp-above-maximum: \"quoted\" \\ tab\there",
        remote: "127.0.0.1:4500", details: ["size": "1024", "attempt": "2"])

    @Test("the documented layout, byte for byte")
    func layout() {
        let minimal = AuditEvent(time: 5, kind: .nodeCreated, actor: .local(uid: 1000, role: "operator"))
        #expect(String(decoding: minimal.canonicalBytes, as: UTF8.self)
                == #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"uid:1000:operator"}"#)
        #expect(String(decoding: Self.full.canonicalBytes, as: UTF8.self) == #"""
            {"v":1,"time":1795651200123,"event":"package.rejected","outcome":"denied","actor":"peer:abcde-fghij","peer":"abcde-fghij","peer_name":"bravo","package":"0123456789abcdef0123456789abcdef","markings":"TLP:AMBER CONFIDENTIAL REL TO NATO","reason":"policy.tlp-above-maximum: \"quoted\" \\ tab\u0009here","remote":"127.0.0.1:4500","details":{"attempt":"2","size":"1024"}}
            """#)
    }

    @Test("every event decodes back to itself")
    func roundTrip() throws {
        for kind in AuditEventKind.allCases {
            for actor in [AuditActor.daemon, .local(uid: 0, role: "auditor"), .peer("x")] {
                var event = Self.full
                event.kind = kind
                event.actor = actor
                #expect(try AuditEvent(canonicalBytes: event.canonicalBytes) == event)
            }
        }
        let unicode = AuditEvent(time: -1, kind: .peerAdded, actor: .daemon, peerName: "ü-ß-日本\u{1}\u{7f}")
        #expect(try AuditEvent(canonicalBytes: unicode.canonicalBytes) == unicode)
    }

    @Test("anything but the canonical form is refused", arguments: [
        #"{"v":1, "time":5,"event":"node.created","outcome":"ok","actor":"daemon"}"#,
        #"{"time":5,"v":1,"event":"node.created","outcome":"ok","actor":"daemon"}"#,
        #"{"v":1,"time":05,"event":"node.created","outcome":"ok","actor":"daemon"}"#,
        #"{"v":2,"time":5,"event":"node.created","outcome":"ok","actor":"daemon"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","extra":"x"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","peer":"a","peer":"a"}"#,
        #"{"v":1,"time":5,"event":"node.exploded","outcome":"ok","actor":"daemon"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"maybe","actor":"daemon"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"root"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","reason":"\u001F"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","reason":"\n"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","reason":"\/"}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","details":{"b":"1","a":"2"}}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","details":{}}"#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon"}  "#,
        #"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon""#,
        #"{"v":1,"time":99999999999999999999,"event":"node.created","outcome":"ok","actor":"daemon"}"#,
        "",
    ])
    func refused(text: String) {
        #expect { try AuditEvent(canonicalBytes: Array(text.utf8)) } throws: { ($0 as? AuditError)?.code == .malformedLeaf }
    }

    @Test("invalid UTF-8 and oversized leaves are refused")
    func bytesRefused() {
        var bytes = Array(#"{"v":1,"time":5,"event":"node.created","outcome":"ok","actor":"daemon","reason":"x"}"#.utf8)
        bytes[bytes.count - 4] = 0xFF
        #expect(throws: AuditError.self) { try AuditEvent(canonicalBytes: bytes) }
        #expect(throws: AuditError.self) { try AuditEvent(canonicalBytes: [UInt8](repeating: 0x20, count: 70_000)) }
    }

    @Test("long text is cut so one leaf stays small")
    func bounded() throws {
        let event = AuditEvent(time: 0, kind: .packageRejected, actor: .daemon, reason: String(repeating: "x", count: 10_000),
                               details: Dictionary(uniqueKeysWithValues: (0..<100).map { ("k\($0)", String(repeating: "y", count: 5000)) }))
        #expect(event.reason?.utf8.count == AuditEvent.maximumTextLength)
        #expect(event.details.count == AuditEvent.maximumDetailCount)
        #expect(event.canonicalBytes.count <= AuditEvent.maximumLeafByteCount)
        #expect(try AuditEvent(canonicalBytes: event.canonicalBytes) == event)
    }

    @Test("text that escaping would blow up still gives a leaf under the limit")
    func escapingBound() throws {
        let control = String(repeating: "\u{1}", count: 5000)
        let combining = "e" + String(repeating: "\u{301}", count: 3000)   // one character, 6001 bytes
        let event = AuditEvent(time: 0, kind: .controlCommand, outcome: .denied, actor: .local(uid: 1, role: "none"),
                               peer: control, peerName: combining, package: control, markings: control, reason: control, remote: control,
                               details: Dictionary(uniqueKeysWithValues: (0..<40).map { ("k\($0)" + control, control) }))
        #expect(event.canonicalBytes.count <= AuditEvent.maximumLeafByteCount)
        #expect(event.details["truncated"] == "true")
        #expect(try AuditEvent(canonicalBytes: event.canonicalBytes) == event)
    }

    @Test("the leaf size bound that spares a second encoding is never below the leaf's size")
    func sizeBound() {
        let control = String(repeating: "\u{1}", count: 300)
        let events = [
            AuditEvent(time: Int64.min, kind: .controlCommand, outcome: .denied, actor: .local(uid: UInt32.max, role: control),
                       peer: control, peerName: "\"\\", package: control, markings: control, reason: control, remote: control,
                       details: Dictionary(uniqueKeysWithValues: (0..<32).map { ("k\($0)" + control, control) })),
            AuditEvent(time: Int64.max, kind: .daemonStarted, actor: .daemon),
            AuditEvent(time: 0, kind: .packageReceived, actor: .peer(String(repeating: "ab", count: 32)), peer: "x", package: "",
                       details: ["": ""]),
        ]
        for event in events { #expect(event.leafByteCountBound >= event.canonicalBytes.count) }
    }

    @Test("actors parse only in their written form")
    func actors() {
        #expect(AuditActor("uid:0:auditor") == .local(uid: 0, role: "auditor"))
        #expect(AuditActor("peer:abc") == .peer("abc"))
        for bad in ["uid:01:x", "uid:-1:x", "uid:1:", "peer:", "uid:1", "Daemon", "uid:1:a:b"] {
            #expect(AuditActor(bad) == nil, "\(bad)")
        }
    }
}
