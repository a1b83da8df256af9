import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import Testing

/// Two logs held against each other (``DeliveryMatch``), built entry by entry.
@Suite("Delivery match between two partners' logs")
struct DeliveryMatchTests {
    static let hour: Int64 = 3600
    static let start: Int64 = 1_795_651_200   // Unix seconds

    /// A fresh node fingerprint.
    static func node() throws -> String { NodeFingerprint(identity: try IdentitySecretKey().publicKey).description }

    /// A log under construction, its entries dated from `start`; by default its first
    /// entry is a `daemon.started` of a version that names receipts.
    struct Log {
        var log: DeliveryLog
        var index = 0
        init(log: DeliveryLog) { self.log = log }

        init(_ fingerprint: String, namesReceipts: Bool = true) throws {
            log = try #require(DeliveryLog(origin: "liaison/" + fingerprint))
            add(.daemonStarted, at: 0, details: namesReceipts ? ["names-receipts": "true"] : [:])
        }

        mutating func add(_ kind: AuditEventKind, at seconds: Int64, outcome: AuditOutcome = .ok, peer: String? = nil,
                          package: String? = nil, details: [String: String] = [:]) {
            log.add(AuditEvent(time: (DeliveryMatchTests.start + seconds) * 1000, kind: kind, outcome: outcome, actor: .daemon, peer: peer,
                               package: package, details: details), index: index)
            index += 1
        }

        /// This node holds a receipt from `peer`, signed by `signer`, dated `at`.
        mutating func delivered(_ package: String, signature: String, signer: String, peer: String? = nil, at: Int64) {
            add(.packageDelivered, at: at + 1, peer: peer ?? signer, package: package, details: [
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
    func missingReceipt() throws {
        let (a, b) = (try Self.node(), try Self.node())
        var alpha = try Log(a), bravo = try Log(b)
        bravo.received("p1", signature: "S1", signer: b, from: a, at: 10)
        alpha.delivered("p1", signature: "S1", signer: b, at: 10)
        alpha.delivered("p1", signature: "S1", signer: b, at: 10)      // delivered again, answered with the stored receipt
        alpha.delivered("p2", signature: "S2", signer: b, at: 20)      // bravo never logged it
        bravo.add(.daemonStopped, at: Self.hour)
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(!match.isConsistent && match.checked == 3)
        #expect(match.directions[0].matched == 2 && match.directions[0].discrepancies.map(\.delivery.package) == ["p2"])
        #expect(match.directions[0].discrepancies.first?.kind == .missing && match.directions[0].discrepancies.first?.delivery.index == 3)
        #expect(match.directions[1].matched == 0 && match.directions[1].discrepancies.isEmpty)
    }

    @Test("the same receipt named for another package or sender, or signed by a key the recipient's log never shows: contradicted")
    func contradicted() throws {
        let (a, b, c) = (try Self.node(), try Self.node(), try Self.node())
        var alpha = try Log(a), bravo = try Log(b)
        bravo.received("p1", signature: "S1", signer: b, from: a, at: 10)
        bravo.received("p2", signature: "S2", signer: b, from: c, at: 11)
        alpha.delivered("p9", signature: "S1", signer: b, at: 10)            // bravo's receipt, another package
        alpha.delivered("p2", signature: "S2", signer: b, at: 11)            // bravo issued it to charlie
        alpha.delivered("p3", signature: "S3", signer: c, peer: b, at: 12)   // the entry says bravo, the key is not bravo's
        bravo.add(.daemonStopped, at: Self.hour)
        let kinds = DeliveryMatch(alpha.log, bravo.log).directions[0].discrepancies.map(\.kind)
        #expect(kinds == [.otherPackage, .otherPackage, .unknownSigner])
    }

    @Test("receipts within the margin before the other's export ends, after it, or before it named receipts, are not checked")
    func notChecked() throws {
        let (a, b) = (try Self.node(), try Self.node())
        var alpha = try Log(a), bravo = try Log(b, namesReceipts: false)
        bravo.add(.daemonStarted, at: 50, details: ["names-receipts": "true"])   // upgraded here
        bravo.add(.daemonStopped, at: 2000)
        let margin = DeliveryMatch.marginSeconds
        alpha.delivered("p0", signature: "S0", signer: b, at: 40)                  // before the upgrade
        alpha.delivered("p1", signature: "S1", signer: b, at: 2000 - margin)       // exactly at the margin: not checked
        alpha.delivered("p2", signature: "S2", signer: b, at: 3000)                // after bravo's export
        alpha.delivered("p3", signature: "S3", signer: b, at: 2000 - margin - 1)   // checked: missing
        let direction = DeliveryMatch(alpha.log, bravo.log).directions[0]
        #expect(direction.beforeRecipientNamedReceipts == 1 && direction.afterRecipientLogEnds == 2)
        #expect(direction.discrepancies.map(\.delivery.package) == ["p3"])
        // A log that never named receipts (an older version throughout) checks nothing.
        var old = try Log(b, namesReceipts: false)
        old.add(.daemonStopped, at: 10 * Self.hour)
        let none = DeliveryMatch(alpha.log, old.log)
        #expect(none.isConsistent && none.checked == 0 && none.directions[0].beforeRecipientNamedReceipts == 4)
    }

    @Test("the end of a log is its last entry in log order, not its latest date")
    func endInLogOrder() throws {
        let (a, b) = (try Self.node(), try Self.node())
        var alpha = try Log(a), bravo = try Log(b)
        bravo.add(.daemonStopped, at: 10 * Self.hour)   // a clock ahead, then set right
        bravo.add(.daemonStarted, at: 100, details: ["names-receipts": "true"])
        alpha.delivered("p1", signature: "S1", signer: b, at: 200)   // after bravo's export, by its corrected clock
        let direction = DeliveryMatch(alpha.log, bravo.log).directions[0]
        #expect(direction.discrepancies.isEmpty && direction.afterRecipientLogEnds == 1)
    }

    @Test("what the recipient logged but the sender does not hold is counted, not failed")
    func issuedNotHeld() throws {
        let (a, b, c) = (try Self.node(), try Self.node(), try Self.node())
        var alpha = try Log(a), bravo = try Log(b)
        bravo.received("p1", signature: "S1", signer: b, from: a, at: 10)
        bravo.received("p9", signature: "S9", signer: b, from: c, at: 11)   // from another node: not alpha's business
        bravo.add(.daemonStopped, at: Self.hour)
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(match.isConsistent && match.directions[0].issuedNotHeld == 1 && match.checked == 0)
    }

    @Test("receipts from other nodes, failed entries and entries naming no receipt are left out or counted")
    func leftOut() throws {
        let (a, b, c) = (try Self.node(), try Self.node(), try Self.node())
        var alpha = try Log(a), bravo = try Log(b)
        alpha.delivered("p1", signature: "S1", signer: c, at: 10)    // charlie's receipt: not bravo's to hold
        alpha.add(.packageDelivered, at: 12, peer: b, package: "p0")  // before receipts were logged
        alpha.add(.packageDelivered, at: 13, outcome: .failed, peer: b, package: "p2",
                  details: ["receipt-signature": "S2", "receipt-signed-by": b, "received-at": Timestamp.iso8601(Self.start + 13)])
        bravo.add(.packageReceived, at: 14, outcome: .failed, peer: a, package: "p3", details: ["receipt-signature": "S3"])
        bravo.add(.daemonStopped, at: Self.hour)
        let match = DeliveryMatch(alpha.log, bravo.log)
        #expect(match.isConsistent && match.deliveriesWithoutReceipt == 1 && match.checked == 0)
        #expect(bravo.log.issued.isEmpty)
    }

    @Test("a node's keys, as its own log shows them, count; a partner's rotation in its log does not make that key its own")
    func keys() throws {
        let (a, b, b2, x) = (try Self.node(), try Self.node(), try Self.node(), try Self.node())
        var alpha = try Log(a), bravo = try Log(b)
        bravo.add(.keyRotated, at: 5, details: ["by": "self", "previous": b, "fingerprint": b2])
        bravo.add(.keyRotated, at: 6, peer: a, details: ["by": "peer", "previous": a, "fingerprint": x])
        alpha.delivered("p1", signature: "S1", signer: b2, at: 10)
        alpha.delivered("p2", signature: "S2", signer: x, at: 11)   // not bravo's key, and the entry names x: another node's
        bravo.add(.daemonStopped, at: Self.hour)
        #expect(bravo.log.fingerprints == [b, b2])
        let direction = DeliveryMatch(alpha.log, bravo.log).directions[0]
        #expect(direction.discrepancies.map(\.delivery.package) == ["p1"] && direction.discrepancies.first?.kind == .missing)
    }

    @Test("a log not named liaison/<fingerprint> (with a later log's label, or none) is not a node's")
    func origin() throws {
        #expect(DeliveryLog(origin: "example.com/log") == nil)
        #expect(DeliveryLog(origin: "liaison/not-a-fingerprint") == nil)
        let a = try Self.node()
        #expect(DeliveryLog(origin: "liaison/\(a)/20261129T210000Z")?.fingerprints == [a])
        #expect(DeliveryLog(origin: "liaison/\(a)/yesterday") == nil)
    }

    @Test("a later log knows its node's keys from its log.started, which the rotations before it recorded")
    func laterLogKeys() throws {
        let (a, b, b2) = (try Self.node(), try Self.node(), try Self.node())
        var alpha = try Log(a)
        var bravo = Log(log: try #require(DeliveryLog(origin: "liaison/\(b)/20261129T210000Z")))
        bravo.add(.logStarted, at: 0, details: ["succeeds": "liaison/\(b)", "node-fingerprints": "\(b),\(b2)"])
        bravo.add(.daemonStarted, at: 1, details: ["names-receipts": "true"])
        bravo.received("p1", signature: "S1", signer: b2, from: a, at: 10)
        alpha.delivered("p1", signature: "S1", signer: b2, at: 10)
        alpha.delivered("p2", signature: "S2", signer: b2, at: 20)   // never in bravo's later log
        bravo.add(.daemonStopped, at: Self.hour)
        #expect(bravo.log.fingerprints == [b, b2])
        let direction = DeliveryMatch(alpha.log, bravo.log).directions[0]
        #expect(direction.matched == 1 && direction.discrepancies.map(\.kind) == [.missing], "\(direction.discrepancies)")
    }
}
