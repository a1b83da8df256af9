import LiaisonAudit
import LiaisonCore
import Testing

/// Two logs held against each other (``DeliveryMatch``), built entry by entry.
@Suite("Delivery match between two partners' logs")
struct DeliveryMatchTests {
    static let hour: Int64 = 3600
    static let start: Int64 = 1_795_651_200   // Unix seconds

    /// A log under construction, its entries dated from `start`.
    struct Log {
        var log: DeliveryLog
        var index = 0
        init(_ fingerprint: String) { log = DeliveryLog(origin: "liaison/" + fingerprint) }

        mutating func add(_ kind: AuditEventKind, at seconds: Int64, outcome: AuditOutcome = .ok, peer: String? = nil,
                          package: String? = nil, details: [String: String] = [:]) {
            log.add(AuditEvent(time: (DeliveryMatchTests.start + seconds) * 1000, kind: kind, outcome: outcome, actor: .daemon, peer: peer,
                               package: package, details: details), index: index)
            index += 1
        }

        /// This node holds a receipt signed by `signer`, dated `at`.
        mutating func delivered(_ package: String, signature: String, signer: String, at: Int64) {
            add(.packageDelivered, at: at + 1, package: package, details: [
                "receipt-signature": signature, "receipt-signed-by": signer,
                "received-at": Timestamp.iso8601(DeliveryMatchTests.start + at), "bytes": "1",
            ])
        }

        /// This node issued a receipt to `sender`, signed by `signer`, at `at`.
        mutating func received(_ package: String, signature: String, signer: String, from sender: String, at: Int64) {
            add(.packageReceived, at: at, peer: sender, package: package, details: [
                "receipt-signature": signature, "receipt-signed-by": signer, "received-at": Timestamp.iso8601(DeliveryMatchTests.start + at),
            ])
        }
    }

    @Test("a receipt held by one is in the other's log: consistent; one that is not, dated within the other's log: missing")
    func missingReceipt() {
        var alpha = Log("A1"), bravo = Log("B1")
        bravo.received("p1", signature: "S1", signer: "B1", from: "A1", at: 10)
        alpha.delivered("p1", signature: "S1", signer: "B1", at: 10)
        alpha.delivered("p2", signature: "S2", signer: "B1", at: 20)   // bravo never logged it
        bravo.add(.daemonStopped, at: Self.hour)
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(!match.isConsistent)
        #expect(match.directions[0].matched == 1 && match.directions[0].missing.map(\.package) == ["p2"])
        #expect(match.directions[0].missing.first?.index == 1 && match.directions[0].sender == "liaison/A1")
        #expect(match.directions[1].matched == 0 && match.directions[1].missing.isEmpty)
    }

    @Test("receipts dated within the margin before the other's log ends, or after it, are not checked")
    func afterTheEnd() {
        var alpha = Log("A1"), bravo = Log("B1")
        bravo.add(.daemonStarted, at: 0)
        bravo.add(.daemonStopped, at: 100)
        alpha.delivered("p1", signature: "S1", signer: "B1", at: 100 - DeliveryMatch.marginSeconds + 1)   // within the last minute
        alpha.delivered("p2", signature: "S2", signer: "B1", at: 500)                                     // after bravo's export
        alpha.delivered("p3", signature: "S3", signer: "B1", at: 100 - DeliveryMatch.marginSeconds - 1)   // checked: missing
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(match.directions[0].afterRecipientLogEnds == 2 && match.directions[0].missing.map(\.package) == ["p3"])
    }

    @Test("what the recipient logged but the sender does not hold is counted, not failed")
    func issuedNotHeld() {
        var alpha = Log("A1"), bravo = Log("B1")
        bravo.received("p1", signature: "S1", signer: "B1", from: "A1", at: 10)
        bravo.received("p9", signature: "S9", signer: "B1", from: "C1", at: 11)   // from another node: not alpha's business
        bravo.add(.daemonStopped, at: Self.hour)
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(match.isConsistent && match.directions[0].issuedNotHeld == 1 && match.directions[0].matched == 0)
    }

    @Test("receipts from other nodes, failed entries and entries naming no receipt are left out or counted")
    func leftOut() {
        var alpha = Log("A1"), bravo = Log("B1")
        alpha.delivered("p1", signature: "S1", signer: "C1", at: 10)   // charlie's receipt: not bravo's to hold
        alpha.add(.packageDelivered, at: 12, package: "p0")            // before receipts were logged
        alpha.add(.packageDelivered, at: 13, outcome: .failed, package: "p2", details: ["receipt-signature": "S2", "receipt-signed-by": "B1"])
        bravo.add(.daemonStopped, at: Self.hour)
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(match.isConsistent && match.deliveriesWithoutReceipt == 1)
        #expect(match.directions[0].matched == 0 && match.directions[0].afterRecipientLogEnds == 0)
    }

    @Test("a node's keys, as its own log shows them, count: a receipt signed after its rotation is still its own")
    func rotatedRecipient() {
        var alpha = Log("A1"), bravo = Log("B1")
        bravo.add(.keyRotated, at: 5, details: ["by": "self", "previous": "B1", "fingerprint": "B2"])
        bravo.add(.keyRotated, at: 6, peer: "A1", details: ["by": "peer", "previous": "A0", "fingerprint": "X9"])   // a partner's: not bravo's key
        alpha.delivered("p1", signature: "S1", signer: "B2", at: 10)
        alpha.delivered("p2", signature: "S2", signer: "X9", at: 11)
        bravo.add(.daemonStopped, at: Self.hour)
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(bravo.log.fingerprints == ["B1", "B2"])
        #expect(match.directions[0].missing.map(\.package) == ["p1"], "B2 is bravo's key; X9 is not")
    }
}
