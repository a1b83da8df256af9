import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

@Suite("Noise IK handshake (in memory)")
struct NoiseIKHandshakeTests {
    let prologue = Array("liaison/transport/v1".utf8)

    struct Pair {
        var initiator: NoiseSession
        var responder: NoiseSession
    }

    func handshake(initiatorKey: TransportSecretKey, responderKey: TransportSecretKey) throws -> Pair {
        var i = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: prologue)
        var r = try NoiseIKResponder(localStatic: responderKey, prologue: prologue)
        let m1 = try i.writeMessage1(payload: Array("timestamp".utf8))
        let (rs, p1) = try r.readMessage1(m1)
        #expect(rs == initiatorKey.publicKey.rawRepresentation)
        #expect(p1 == Array("timestamp".utf8))
        let (m2, rSession) = try r.writeMessage2(payload: Array("welcome".utf8))
        let (p2, iSession) = try i.readMessage2(m2)
        #expect(p2 == Array("welcome".utf8))
        return Pair(initiator: iSession, responder: rSession)
    }

    @Test("both sides agree and transport messages flow both ways")
    func roundTrip() throws {
        var pair = try handshake(initiatorKey: try TransportSecretKey(), responderKey: try TransportSecretKey())
        #expect(pair.initiator.handshakeHash == pair.responder.handshakeHash)
        for i in 0..<50 {
            let out = try pair.initiator.sender.encrypt(Array("ping \(i)".utf8))
            #expect(try pair.responder.receiver.decrypt(out) == Array("ping \(i)".utf8))
            let back = try pair.responder.sender.encrypt(Array("pong \(i)".utf8))
            #expect(try pair.initiator.receiver.decrypt(back) == Array("pong \(i)".utf8))
        }
    }

    @Test("message 1 carries the initiator's static key encrypted, and is 96 bytes plus the payload")
    func message1Shape() throws {
        let initiatorKey = try TransportSecretKey(), responderKey = try TransportSecretKey()
        var i = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: prologue)
        let m1 = try i.writeMessage1(payload: [1, 2, 3])
        #expect(m1.count == 32 + 48 + 3 + 16)
        let needle = initiatorKey.publicKey.rawRepresentation
        #expect(!(0...(m1.count - 32)).contains { Array(m1[$0..<($0 + 32)]) == needle }, "static key in clear")
    }

    @Test("a message 1 for another responder is refused")
    func wrongResponder() throws {
        let initiatorKey = try TransportSecretKey(), intended = try TransportSecretKey(), other = try TransportSecretKey()
        var i = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: intended.publicKey, prologue: prologue)
        var r = try NoiseIKResponder(localStatic: other, prologue: prologue)
        #expect(throws: WireError(.decryptFailed, "")) { try r.readMessage1(try i.writeMessage1(payload: [])) }
    }

    @Test("a different prologue is refused")
    func prologueBinding() throws {
        let initiatorKey = try TransportSecretKey(), responderKey = try TransportSecretKey()
        var i = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: Array("liaison/transport/v2".utf8))
        var r = try NoiseIKResponder(localStatic: responderKey, prologue: prologue)
        #expect(throws: WireError(.decryptFailed, "")) { try r.readMessage1(try i.writeMessage1(payload: [])) }
    }

    @Test("any flipped bit in message 1 or 2 is refused")
    func tampering() throws {
        let initiatorKey = try TransportSecretKey(), responderKey = try TransportSecretKey()
        var probe = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: prologue)
        let length = try probe.writeMessage1(payload: [9, 9]).count
        for position in stride(from: 0, to: length, by: 7) {
            var i = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: prologue)
            var r = try NoiseIKResponder(localStatic: responderKey, prologue: prologue)
            var m1 = try i.writeMessage1(payload: [9, 9])
            m1[position] ^= 0x10
            #expect(throws: WireError.self) { try r.readMessage1(m1) }
        }
        var i = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: prologue)
        var r = try NoiseIKResponder(localStatic: responderKey, prologue: prologue)
        _ = try r.readMessage1(try i.writeMessage1(payload: []))
        var (m2, _) = try r.writeMessage2(payload: [7])
        m2[40] ^= 1
        #expect(throws: WireError(.decryptFailed, "")) { try i.readMessage2(m2) }
    }

    @Test("low-order ephemeral keys are refused", arguments: [[UInt8](repeating: 0, count: 32), [1] + [UInt8](repeating: 0, count: 31)])
    func lowOrder(point: [UInt8]) throws {
        let responderKey = try TransportSecretKey()
        var r = try NoiseIKResponder(localStatic: responderKey, prologue: prologue)
        #expect(throws: WireError(.lowOrderKey, "")) { try r.readMessage1(point + [UInt8](repeating: 0, count: 64)) }
    }

    @Test("short messages are refused without a crash", arguments: [0, 1, 31, 32, 95])
    func short(length: Int) throws {
        var r = try NoiseIKResponder(localStatic: try TransportSecretKey(), prologue: prologue)
        #expect(throws: WireError(.malformedHandshake, "")) { try r.readMessage1([UInt8](repeating: 0x42, count: length)) }
    }

    @Test("transport: replayed, reordered or altered messages fail; rekey keeps both sides in step")
    func transport() throws {
        var pair = try handshake(initiatorKey: try TransportSecretKey(), responderKey: try TransportSecretKey())
        let a = try pair.initiator.sender.encrypt([1]), b = try pair.initiator.sender.encrypt([2])
        #expect(throws: WireError(.decryptFailed, "")) { try pair.responder.receiver.decrypt(b) }   // reordered
        #expect(try pair.responder.receiver.decrypt(a) == [1])
        #expect(throws: WireError(.decryptFailed, "")) { try pair.responder.receiver.decrypt(a) }   // replayed
        var altered = b
        altered[0] ^= 1
        #expect(throws: WireError(.decryptFailed, "")) { try pair.responder.receiver.decrypt(altered) }
        #expect(try pair.responder.receiver.decrypt(b) == [2])
        try pair.initiator.sender.rekey()
        let c = try pair.initiator.sender.encrypt([3])
        #expect(throws: WireError(.decryptFailed, "")) { try pair.responder.receiver.decrypt(c) }
        try pair.responder.receiver.rekey()
        // The failed attempt did not advance the nonce, so the rekeyed receiver reads it.
        #expect(try pair.responder.receiver.decrypt(c) == [3])
    }
}

@Suite("Frame decoder")
struct FrameDecoderTests {
    let frames: [[UInt8]] = [[], [1], Array(repeating: 7, count: 300), Array(repeating: 9, count: 65_535), [1, 2, 3]]

    @Test("byte at a time")
    func byteAtATime() throws {
        var decoder = FrameDecoder()
        var out: [[UInt8]] = []
        for byte in frames.flatMap(FrameDecoder.frame) {
            decoder.feed([byte])
            while let frame = try decoder.nextFrame() { out.append(frame) }
        }
        #expect(out == frames)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("many frames in one read, and reads split at every offset")
    func batched() throws {
        let stream = frames.flatMap(FrameDecoder.frame)
        for split in [1, 2, 3, 500, 65_540, stream.count - 1] {
            var decoder = FrameDecoder()
            var out: [[UInt8]] = []
            decoder.feed(stream[0..<split])
            while let frame = try decoder.nextFrame() { out.append(frame) }
            decoder.feed(stream[split...])
            while let frame = try decoder.nextFrame() { out.append(frame) }
            #expect(out == frames, "split at \(split)")
        }
    }

    @Test("frames above the limit are refused before they are buffered")
    func limit() throws {
        var decoder = FrameDecoder(maximumLength: 1000)
        decoder.feed([0x03, 0xE9])
        #expect(throws: WireError(.frameTooLarge, "")) { try decoder.nextFrame() }
    }
}
