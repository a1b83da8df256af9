import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
@testable import LiaisonWire
import Testing

@Suite("Session messages, receipts, rate limits and rekeying")
struct SessionProtocolTests {
    @Test("every message round-trips through its encoding")
    func roundTrip() throws {
        let id = try PackageID.random()
        let identity = try IdentitySecretKey(), sender = try IdentitySecretKey()
        let receipt = DeliveryReceipt(packageID: id, headerHash: [UInt8](repeating: 7, count: 64), recipient: identity,
                                      sender: NodeFingerprint(identity: sender.publicKey), receivedAt: 1_795_651_200)
        let messages: [SessionMessage] = [
            .offer(packageID: id, size: 123, expires: nil), .offer(packageID: id, size: .max, expires: 1_795_651_200),
            .accept(packageID: id, offset: 42), .reject(packageID: id, reason: .expired, detail: "too late"),
            .data([]), .data([UInt8](repeating: 1, count: SessionMessage.maximumDataByteCount)),
            .end(packageID: id, size: 9), .receipt(receipt), .rekey, .close(reason: .shutdown),
            .witnessRequest(note: Array("liaison/x\n3\nAAAA\n\n— liaison/x AAAA\n".utf8), oldSize: 2,
                            proof: [[UInt8](repeating: 1, count: 32), [UInt8](repeating: 2, count: 32)]),
            .witnessRequest(note: [], oldSize: 0, proof: []),
            .witnessCosignature(line: Array("— liaison-witness/x AAAA".utf8)),
            .witnessRefused(knownSize: 17, reason: "conflict: the last cosigned size is 17"),
            .witnessRefused(knownSize: 40, reason: "refused: a fork", evidence: Array("liaison/x\n40\nAAAA\n\n— liaison/x AAAA\n".utf8)),
            .revocation(try RevocationStatement(revoking: identity, at: 1_795_651_200, reason: "key compromised").encoded),
            .revocation([]),
            .rotation(Array("liaison key-rotation v1\n".utf8) + [UInt8](repeating: 5, count: 300)), .rotation([]), .rotationAccepted,
        ]
        for message in messages {
            #expect(try SessionMessage(decoding: message.encoded) == message)
        }
    }

    @Test("random and truncated bytes are rejected, never a crash")
    func fuzz() throws {
        var rng = SeededBytes(seed: 2026)
        let valid = SessionMessage.offer(packageID: try PackageID.random(), size: 5, expires: nil).encoded
        for round in 0..<3000 {
            let length = Int(rng.next(1)[0])
            var bytes = round % 3 == 0 ? Array(valid.prefix(length % (valid.count + 1))) : rng.next(length)
            if round % 3 == 1, !bytes.isEmpty { bytes[0] = UInt8(round % 13) }
            _ = try? SessionMessage(decoding: bytes)
        }
        #expect(throws: WireError.self) { try SessionMessage(decoding: []) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: [0xEE]) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: valid + [0]) }
        // A witness request whose lengths overrun the message, or claim too much, is refused.
        #expect(throws: WireError.self) { try SessionMessage(decoding: [9, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 20)) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: [9, 0, 0] + [UInt8](repeating: 0, count: 8) + [200]) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: [10, 0x10, 0x00]) }
        // A revocation longer than any statement can be is refused before it is read.
        #expect(throws: WireError.self) { try SessionMessage(decoding: [12, 0x10, 0x00] + [UInt8](repeating: 0, count: 0x1000)) }
        // So is a rotation statement longer than any can be, and an acknowledgement with trailing bytes.
        #expect(throws: WireError.self) { try SessionMessage(decoding: [13, 0x20, 0x00] + [UInt8](repeating: 0, count: 0x2000)) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: [14, 0]) }
        // A refusal's evidence: empty when present, longer than a note, or overrunning the message is refused.
        let refusal = SessionMessage.witnessRefused(knownSize: 3, reason: "refused").encoded
        #expect(throws: WireError.self) { try SessionMessage(decoding: refusal + [0, 0]) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: refusal + [0x40, 0x01] + [UInt8](repeating: 0x41, count: 0x4001)) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: refusal + [0, 5, 0x41]) }
        #expect(throws: WireError.self) { try SessionMessage(decoding: refusal + [0]) }
    }

    @Test("a long reason is cut between characters, within 255 bytes: what goes out is UTF-8 and survives a second trip")
    func shortTextCut() throws {
        let id = try PackageID.random()
        // 84 replacement characters (3 bytes each) and "éé": a cut by bytes at 255
        // would end inside the second "é". Found by the fuzzer's session target.
        let detail = String(repeating: "\u{FFFD}", count: 84) + "éé"
        for message in [SessionMessage.reject(packageID: id, reason: .refused, detail: detail), .witnessRefused(knownSize: 1, reason: detail)] {
            let once = message.encoded
            let decoded = try SessionMessage(decoding: once)
            #expect(decoded.encoded == once)
            guard case .reject(_, _, let text) = decoded else { continue }
            #expect(text == String(repeating: "\u{FFFD}", count: 84) + "é")
            #expect(String(validating: Array(text.utf8), as: UTF8.self) != nil)
        }
        #expect(SessionMessage.shortText(String(repeating: "x", count: 300)).count == 200)
        #expect(SessionMessage.shortText(String(repeating: "\u{FFFD}", count: 100)).count == 255)
    }

    @Test("a receipt verifies only for its recipient, package, header and sender")
    func receipts() throws {
        let recipient = try IdentitySecretKey(), sender = try IdentitySecretKey(), other = try IdentitySecretKey()
        let id = try PackageID.random(), hash = [UInt8](repeating: 9, count: 64)
        let senderID = NodeFingerprint(identity: sender.publicKey)
        let receipt = DeliveryReceipt(packageID: id, headerHash: hash, recipient: recipient, sender: senderID, receivedAt: 100)
        #expect(receipt.verify(recipient: recipient.publicKey, packageID: id, headerHash: hash, sender: senderID))
        #expect(!receipt.verify(recipient: other.publicKey, packageID: id, headerHash: hash, sender: senderID))
        #expect(!receipt.verify(recipient: recipient.publicKey, packageID: try PackageID.random(), headerHash: hash, sender: senderID))
        #expect(!receipt.verify(recipient: recipient.publicKey, packageID: id, headerHash: [UInt8](repeating: 8, count: 64), sender: senderID))
        #expect(!receipt.verify(recipient: recipient.publicKey, packageID: id, headerHash: hash, sender: NodeFingerprint(identity: other.publicKey)))
        var forged = receipt.encoded
        forged[forged.count - 70] ^= 1   // the received-at time
        #expect(!(try DeliveryReceipt(decoding: forged)).verify(recipient: recipient.publicKey, packageID: id, headerHash: hash, sender: senderID))
    }

    @Test("the handshake hello carries a version and a timestamp")
    func hello() throws {
        let hello = HandshakeHello(timestamp: 0x0102_0304_0506_0708)
        #expect(try HandshakeHello(decoding: hello.encoded) == hello)
        #expect(throws: WireError(.malformedHandshake, "")) { try HandshakeHello(decoding: [2] + hello.encoded.dropFirst()) }
        #expect(throws: WireError(.malformedHandshake, "")) { try HandshakeHello(decoding: hello.encoded + [0]) }
    }

    @Test("the handshake rate limiter allows a burst, then the steady rate, per source")
    func rateLimiter() {
        var limiter = HandshakeRateLimiter(ratePerSecond: 2, burst: 4)
        var burst: [Bool] = []
        for _ in 0..<5 { burst.append(limiter.allow(source: "10.0.0.1", now: 100)) }
        #expect(burst == [true, true, true, true, false])
        let other = limiter.allow(source: "10.0.0.2", now: 100)
        #expect(other, "one source's flood must not block another")
        let tooSoon = limiter.allow(source: "10.0.0.1", now: 100.4)
        let refilled = limiter.allow(source: "10.0.0.1", now: 100.5)
        #expect(!tooSoon && refilled)
        var later: [Bool] = []
        for _ in 0..<5 { later.append(limiter.allow(source: "10.0.0.1", now: 110)) }
        #expect(later == [true, true, true, true, false], "the bucket refills to the burst, no further")
    }

    @Test("a flood from more sources than the rate limiter remembers refuses no newcomer, and keeps a busy source throttled")
    func rateLimiterUnderAFlood() {
        var limiter = HandshakeRateLimiter(ratePerSecond: 1, burst: 2, capacity: 100)
        // One source uses up its bucket, then keeps knocking while 1,000 others come
        // and go (each also using up its own): it is never forgotten, so never let in.
        let first = [limiter.allow(source: "busy", now: 50), limiter.allow(source: "busy", now: 50)]
        #expect(first == [true, true])
        var busyLetIn = 0
        for i in 0..<1000 {
            _ = limiter.allow(source: "flood-\(i)", now: 50)
            _ = limiter.allow(source: "flood-\(i)", now: 50)
            if limiter.allow(source: "busy", now: 50) { busyLetIn += 1 }
            #expect(limiter.rememberedSources <= 100, "the table stays within its capacity")
        }
        #expect(busyLetIn == 0, "a source that keeps coming stays throttled, however many others pass")
        // Every one of those remembered sources is out of tokens: a newcomer (a partner
        // dialling from an address not seen before) still gets its burst.
        let newcomer = (0..<2).map { _ in limiter.allow(source: "partner", now: 50) }
        #expect(newcomer == [true, true], "a newcomer is never refused for want of room")
        // A flooding source forgotten meanwhile starts again with a full bucket: what such
        // sources cost together is NewSourceBudget's to bound.
        let forgotten = limiter.allow(source: "flood-0", now: 50)
        #expect(forgotten)
    }

    @Test("a token bucket allows its burst, then its rate, and never more than the burst")
    func tokenBucket() {
        var bucket = TokenBucket(rate: 1, burst: 3)
        let burst = (0..<4).map { _ in bucket.take(now: 10) }
        #expect(burst == [true, true, true, false])
        let early = bucket.take(now: 10.5)
        let refilled = bucket.take(now: 11.5)
        #expect(!early && refilled)
        let afterIdle = (0..<4).map { _ in bucket.take(now: 1000) }
        #expect(afterIdle == [true, true, true, false])
        let clockBack = bucket.take(now: 5)   // a clock step back adds nothing
        #expect(!clockBack)
    }

    @Test("rekey is due by message count and by time")
    func rekeyPolicy() {
        var byCount = RekeyPolicy(messageLimit: 3, secondsLimit: 1000, now: 0)
        let counts = (1...4).map { byCount.recordMessage(now: Double($0)) }
        #expect(counts == [false, false, true, false])
        var byTime = RekeyPolicy(messageLimit: 1000, secondsLimit: 120, now: 0)
        let times = [119.0, 120, 121].map { byTime.recordMessage(now: $0) }
        #expect(times == [false, true, false])
    }
}
