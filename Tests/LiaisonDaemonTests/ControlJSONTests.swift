import Foundation
import LiaisonControl
import Testing

/// The busiest control answers and requests skip parts of `Codable`'s machinery
/// (``JSONWriter``, ``ControlRequest``'s own decoding): what goes over the socket
/// must stay what `JSONEncoder`/`JSONDecoder` make and read of the same values.
@Suite("Control JSON: the direct writer and the request decoder agree with Codable")
struct ControlJSONTests {
    /// Strings JSON must escape, and some it must not.
    static let awkward = "quote \" backslash \\ slash / newline \n tab \t nul \u{0} bell \u{7} del \u{7F} é 北 🛰"

    /// A receipt with every field set, two of them awkward.
    static let receipt: SendReceipt = {
        var receipt = SendReceipt(id: "0123456789abcdef0123456789abcdef", recipients: ["bravo", awkward],
                                  withheld: [WithheldRecipient(peer: "charlie", rule: "trust.blocked", reason: awkward),
                                             WithheldRecipient(peer: "", rule: "", reason: "")],
                                  markings: "TLP:AMBER · RESTRICTED", size: -9_223_372_036_854_775_807, expires: "2026-12-01T00:00:00Z",
                                  markingsNote: awkward)
        receipt.file = "/tmp/report \"final\".pdf"
        receipt.forwardedFrom = "fedcba9876543210fedcba9876543210"
        receipt.sealedSize = 9_223_372_036_854_775_807
        receipt.node = awkward
        return receipt
    }()

    @Test("a receipt written directly decodes to itself, and to what JSONEncoder's form decodes to; nil fields are left out")
    func receiptRoundTrip() throws {
        // Every stored property is set in the sample, so a field the writer forgot cannot pass.
        #expect(Mirror(reflecting: Self.receipt).children.allSatisfy { child in
            (child.value as Any?).map { "\($0)" != "nil" } ?? false
        })
        let direct = ControlEnvelope.directJSON(result: Self.receipt)
        let decoded = try JSONDecoder().decode(ControlEnvelope<SendReceipt>.self, from: Data(direct))
        #expect(decoded.result == Self.receipt && decoded.error == nil)
        let viaEncoder = try JSONDecoder().decode(ControlEnvelope<SendReceipt>.self, from: JSONEncoder().encode(ControlEnvelope(result: Self.receipt)))
        #expect(viaEncoder.result == decoded.result)

        let sparse = SendReceipt(id: "x", recipients: [], withheld: [], markings: "TLP:CLEAR", size: 0, expires: nil)
        let text = String(decoding: ControlEnvelope.directJSON(result: sparse), as: UTF8.self)
        #expect(text == #"{"result":{"id":"x","recipients":[],"withheld":[],"markings":"TLP:CLEAR","size":0}}"#)
    }

    @Test("a send.files answer, an array of receipts, round-trips too")
    func receiptsRoundTrip() throws {
        for receipts in [[], [Self.receipt], [Self.receipt, Self.receipt]] {
            let direct = ControlEnvelope.directJSON(result: receipts)
            #expect(try JSONDecoder().decode(ControlEnvelope<[SendReceipt]>.self, from: Data(direct)).result == receipts)
        }
    }

    @Test("a request with every field decodes to itself")
    func requestRoundTrip() throws {
        var request = ControlRequest(.peersAdd)
        request.name = Self.awkward; request.card = "card"; request.addresses = ["127.0.0.1:1", "[::1]:2"]; request.trust = "full"
        request.fingerprint = "fp"; request.maximumTLP = "AMBER"; request.organisation = "org"; request.maximumPackageBytes = 1
        request.packagesPerMinute = 2; request.bytesPerDay = 3; request.to = ["a", "b"]; request.tlp = "GREEN"; request.classification = "C"
        request.releasableTo = ["NATO"]; request.caveats = ["X"]; request.files = 4; request.expires = "30d"; request.contentType = "text/plain"
        request.id = "id"; request.limit = 5; request.peer = "p"; request.state = "queued"; request.events = ["e"]; request.outcomes = ["denied"]; request.since = "s"
        request.until = "u"; request.cursor = 6; request.newestFirst = true; request.entry = 7; request.strictMarkings = false
        request.clearLimits = true; request.reason = "r"; request.statement = "st"; request.overlapDays = 8; request.olderThanSeconds = 9
        request.again = true; request.despiteRevocation = true; request.allOrNothing = true
        #expect(Mirror(reflecting: request).children.allSatisfy { child in (child.value as Any?).map { "\($0)" != "nil" } ?? false })
        let encoded = try JSONEncoder().encode(request)
        #expect(try JSONDecoder().decode(ControlRequest.self, from: encoded) == request)
    }

    @Test("a request: null is absent, unknown members are ignored, the command is required, a wrong type is refused")
    func requestEdges() throws {
        let decode = { (text: String) in try JSONDecoder().decode(ControlRequest.self, from: Data(text.utf8)) }
        var expected = ControlRequest(.send)
        expected.to = ["bravo"]
        #expect(try decode(#"{"command":"send","to":["bravo"],"tlp":null,"future":{"x":1}}"#) == expected)
        #expect(throws: DecodingError.self) { try decode(#"{"to":["bravo"]}"#) }
        #expect(throws: DecodingError.self) { try decode(#"{"command":null}"#) }
        #expect(throws: DecodingError.self) { try decode(#"{"command":"launch"}"#) }
        #expect(throws: DecodingError.self) { try decode(#"{"command":"send","files":"many"}"#) }
        #expect(throws: DecodingError.self) { try decode(#"["send"]"#) }
    }
}
