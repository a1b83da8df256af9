import LiaisonAudit
import Testing

/// The verifier checks leaves with a fast scanner and falls back to
/// `AuditEvent(canonicalBytes:)`; it must accept exactly what the decoder accepts.
@Suite("AuditLogVerifier: leaf checks agree with AuditEvent(canonicalBytes:)")
struct LeafCheckTests {
    /// True when the verifier reports no problem with `leaf` as an entry.
    static func verifierAccepts(_ leaf: [UInt8], logKey: NoteVerifierKey) throws -> Bool {
        var verifier = try AuditLogVerifier(logKey: logKey, checkpoints: [])
        verifier.append(leaf: leaf)
        return verifier.finish().failures.allSatisfy { $0.code != .entryMalformed }
    }

    static func decoderAccepts(_ leaf: [UInt8]) -> Bool {
        (try? AuditEvent(canonicalBytes: leaf)) != nil
    }

    static let head = #"{"v":1,"time":5,"event":"package.sent","outcome":"ok","actor":"#

    static func leaf(actor: String = #""daemon""#, time: String = "5", rest: String = "") -> [UInt8] {
        Array(#"{"v":1,"time":\#(time),"event":"package.sent","outcome":"ok","actor":\#(actor)\#(rest)}"#.utf8)
    }

    static func details(_ count: Int) -> String {
        #","details":{"# + (0..<count).map { #""k\#(String(100 + $0))":"v""# }.joined(separator: ",") + "}"
    }

    static let cases: [(String, [UInt8], Bool)] = [
        ("minimal", leaf(), true),
        ("negative time", leaf(time: "-5"), true),
        ("largest time", leaf(time: "9223372036854775807"), true),
        ("smallest time", leaf(time: "-9223372036854775808"), true),
        ("time too large", leaf(time: "9223372036854775808"), false),
        ("time -0", leaf(time: "-0"), false),
        ("time with leading zero", leaf(time: "05"), false),
        ("time as string", leaf(time: #""5""#), false),
        ("local actor", leaf(actor: #""uid:1000:operator""#), true),
        ("largest uid", leaf(actor: #""uid:4294967295:auditor""#), true),
        ("uid too large", leaf(actor: #""uid:4294967296:auditor""#), false),
        ("uid with leading zero", leaf(actor: #""uid:01000:operator""#), false),
        ("uid with plus", leaf(actor: #""uid:+1:operator""#), false),
        ("role with colon", leaf(actor: #""uid:5:a:b""#), false),
        ("empty role", leaf(actor: #""uid:5:""#), false),
        ("peer actor", leaf(actor: #""peer:abc123""#), true),
        ("empty peer", leaf(actor: #""peer:""#), false),
        ("peer with colon", leaf(actor: #""peer:a:b""#), false),
        ("unknown actor", leaf(actor: #""root""#), false),
        ("non-ASCII peer actor", leaf(actor: "\"peer:caf\u{E9}\""), true),
        ("escaped quote in role", leaf(actor: #""uid:5:a\"b""#), true),
        ("all optional members", leaf(rest: #","peer":"p","peer_name":"n","package":"k","markings":"TLP:RED","reason":"r","remote":"192.0.2.1:7443""#), true),
        ("empty optional string", leaf(rest: #","peer":"""#), true),
        ("optional members out of order", leaf(rest: #","peer_name":"n","peer":"p""#), false),
        ("a member twice", leaf(rest: #","peer":"p","peer":"p""#), false),
        ("unknown member", leaf(rest: #","colour":"red""#), false),
        ("control escape", leaf(rest: #","reason":"a\u001fb""#), true),
        ("upper-case control escape", leaf(rest: #","reason":"a\u001Fb""#), false),
        ("needless escape of a space", leaf(rest: #","reason":"a\u0020b""#), false),
        ("escaped slash", leaf(rest: #","reason":"a\/b""#), false),
        ("short escape", leaf(rest: #","reason":"a\nb""#), false),
        ("escaped backslash and quote", leaf(rest: #","reason":"a\\b\"c""#), true),
        ("raw tab", leaf(rest: ",\"reason\":\"a\tb\""), false),
        ("non-ASCII text", leaf(rest: ",\"markings\":\"TLP:AMBER \u{2014} caf\u{E9} \u{1F512}\""), true),
        ("longest reason", leaf(rest: #","reason":""# + String(repeating: "a", count: 1024) + "\""), true),
        ("reason too long", leaf(rest: #","reason":""# + String(repeating: "a", count: 1025) + "\""), false),
        ("1024 bytes of non-ASCII text", leaf(rest: #","reason":""# + String(repeating: "\u{E9}", count: 512) + "\""), true),
        ("few characters but too many bytes", leaf(rest: #","reason":""# + String(repeating: "\u{E9}", count: 700) + "\""), false),
        ("sorted details", leaf(rest: #","details":{"a":"1","b":"2","ba":"3"}"#), true),
        ("unsorted details", leaf(rest: #","details":{"b":"1","a":"2"}"#), false),
        ("duplicate detail", leaf(rest: #","details":{"a":"1","a":"2"}"#), false),
        ("empty details", leaf(rest: #","details":{}"#), false),
        ("32 details", leaf(rest: details(32)), true),
        ("33 details", leaf(rest: details(33)), false),
        ("detail value not a string", leaf(rest: #","details":{"a":1}"#), false),
        ("non-ASCII detail key", leaf(rest: ",\"details\":{\"cl\u{E9}\":\"1\"}"), true),
        ("escaped detail key", leaf(rest: #","details":{"a\"b":"1","c":"2"}"#), true),
        ("details before reason", leaf(rest: #","details":{"a":"1"},"reason":"r""#), false),
        ("unknown kind", Array(#"{"v":1,"time":5,"event":"package.eaten","outcome":"ok","actor":"daemon"}"#.utf8), false),
        ("unknown outcome", Array(#"{"v":1,"time":5,"event":"package.sent","outcome":"meh","actor":"daemon"}"#.utf8), false),
        ("version 2", Array(#"{"v":2,"time":5,"event":"package.sent","outcome":"ok","actor":"daemon"}"#.utf8), false),
        ("a space", Array(#"{"v":1, "time":5,"event":"package.sent","outcome":"ok","actor":"daemon"}"#.utf8), false),
        ("trailing newline", leaf() + [0x0A], false),
        ("cut short", Array(leaf().dropLast()), false),
        ("empty", [], false),
        ("invalid UTF-8", Array(#"{"v":1,"time":5,"event":"package.sent","outcome":"ok","actor":"daemon","reason":""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8), false),
        ("overlong UTF-8", Array(#"{"v":1,"time":5,"event":"package.sent","outcome":"ok","actor":"daemon","reason":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8), false),
    ]

    @Test("hand-picked leaves are judged as the decoder judges them", arguments: cases.indices)
    func handPicked(_ index: Int) throws {
        let logKey = try AuditLogFixture(entryCount: 0).logKey
        let (name, leaf, expected) = Self.cases[index]
        #expect(Self.decoderAccepts(leaf) == expected, "the decoder on \(name)")
        #expect(try Self.verifierAccepts(leaf, logKey: logKey) == expected, "the verifier on \(name)")
    }

    @Test("random mutations of canonical leaves are judged as the decoder judges them")
    func mutations() throws {
        let logKey = try AuditLogFixture(entryCount: 0).logKey
        var random = SplitMix64(seed: 0x5EED_1EAF)
        let seeds = (0..<10).map { AuditLogFixture.event($0).canonicalBytes } + Self.cases.filter(\.2).map(\.1)
        let alphabet: [UInt8] = Array(#""\u0123456789abfF:,{}- /Ze"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xA9, 0xE2, 0x80, 0xFF]
        var accepted = 0
        for round in 0..<3000 {
            var leaf = seeds[Int(random.next() % UInt64(seeds.count))]
            for _ in 0...(random.next() % 2) {
                let position = Int(random.next() % UInt64(leaf.count + 1))
                let byte = alphabet[Int(random.next() % UInt64(alphabet.count))]
                switch random.next() % 3 {
                case 0 where position < leaf.count: leaf[position] = byte
                case 1: leaf.insert(byte, at: position)
                default: if position < leaf.count { leaf.remove(at: position) }
                }
            }
            let decoder = Self.decoderAccepts(leaf)
            if decoder { accepted += 1 }
            #expect(try Self.verifierAccepts(leaf, logKey: logKey) == decoder, "round \(round): \(String(decoding: leaf, as: UTF8.self))")
        }
        #expect(accepted > 0, "some mutations stay canonical (e.g. a changed digit)")
    }
}

/// A small deterministic generator, so failures reproduce.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
