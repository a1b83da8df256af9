import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

/// The `push` session message (tag 16): a whole small sealed package in one message.
@Suite("Push messages")
struct PushMessageTests {
    /// The encoded header of a push: tag, package id, expiry (0 for none).
    static func header(_ id: PackageID, expires: UInt64) -> [UInt8] {
        var bytes: [UInt8] = [16] + id.bytes
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: expires >> UInt64(shift))) }
        return bytes
    }

    @Test("a push round-trips with and without an expiry, and its layout is tag, id, expiry, bytes")
    func roundTrip() throws {
        let id = try PackageID.random()
        var rng = SeededBytes(seed: 16)
        let bytes = rng.next(1234)
        let cases: [SessionMessage] = [
            .push(packageID: id, expires: nil, bytes: bytes),
            .push(packageID: id, expires: 1_795_651_200, bytes: bytes),
            .push(packageID: id, expires: Int64.max, bytes: [0x42]),
        ]
        for message in cases {
            #expect(try SessionMessage(decoding: message.encoded) == message)
        }
        #expect(cases[0].encoded == Self.header(id, expires: 0) + bytes)
        #expect(cases[1].encoded == Self.header(id, expires: 1_795_651_200) + bytes)
        #expect(cases[1].encoded.count == 1 + 16 + 8 + bytes.count)
        // A push is not an offer, nor the other way round.
        #expect(try SessionMessage(decoding: cases[1].encoded) != .offer(packageID: id, size: UInt64(bytes.count), expires: 1_795_651_200))
    }

    @Test("the largest allowed push round-trips and, encrypted, still fits one transport frame")
    func largest() throws {
        let id = try PackageID.random()
        var rng = SeededBytes(seed: 17)
        let message = SessionMessage.push(packageID: id, expires: 1_795_651_200, bytes: rng.next(SessionMessage.maximumPushByteCount))
        let encoded = message.encoded
        #expect(try SessionMessage(decoding: encoded) == message)

        // Through a real Noise session and the framing, as the daemon sends it.
        let initiatorKey = try TransportSecretKey(), responderKey = try TransportSecretKey()
        let prologue = Array("liaison/transport/v1".utf8)
        var initiator = try NoiseIKInitiator(localStatic: initiatorKey, remoteStatic: responderKey.publicKey, prologue: prologue)
        var responder = try NoiseIKResponder(localStatic: responderKey, prologue: prologue)
        _ = try responder.readMessage1(try initiator.writeMessage1(payload: []))
        let (m2, established) = try responder.writeMessage2(payload: [])
        var responderSession = established
        var initiatorSession = try initiator.readMessage2(m2).session
        let ciphertext = try initiatorSession.sender.encrypt(encoded)
        #expect(ciphertext.count == FrameDecoder.maximumFrameLength)   // exactly a full frame: nothing to spare, nothing over
        var decoder = FrameDecoder()
        decoder.feed(FrameDecoder.frame(ciphertext))
        let frame = try #require(try decoder.nextFrame())
        #expect(try SessionMessage(decoding: try responderSession.receiver.decrypt(frame)) == message)
    }

    @Test("a push without bytes is refused as malformed")
    func emptyBody() throws {
        let id = try PackageID.random()
        for expires: UInt64 in [0, 1_795_651_200] {
            let error = #expect(throws: WireError.self) { try SessionMessage(decoding: Self.header(id, expires: expires)) }
            #expect(error?.code == .unexpectedMessage)
        }
    }

    @Test("a push whose expiry is above Int64.max is refused as malformed")
    func expiryOutOfRange() throws {
        let id = try PackageID.random()
        for expires in [UInt64(Int64.max) + 1, UInt64.max] {
            let error = #expect(throws: WireError.self) { try SessionMessage(decoding: Self.header(id, expires: expires) + [1, 2, 3]) }
            #expect(error?.code == .unexpectedMessage)
        }
        // Int64.max itself is the largest expiry a push carries.
        #expect(try SessionMessage(decoding: Self.header(id, expires: UInt64(Int64.max)) + [1])
                == .push(packageID: id, expires: Int64.max, bytes: [1]))
    }

    @Test("every truncation of a push header is a WireError, never a crash")
    func truncated() throws {
        let id = try PackageID.random()
        let encoded = SessionMessage.push(packageID: id, expires: 99, bytes: [7, 7, 7]).encoded
        // Cut anywhere inside the tag, id and expiry (1 + 16 + 8 bytes), including right after them.
        for length in 1...25 {
            let error = #expect(throws: WireError.self, "cut at \(length)") { try SessionMessage(decoding: Array(encoded.prefix(length))) }
            #expect(error?.code == .unexpectedMessage)
        }
        // A cut inside the bytes is a shorter package, which the recipient's verification refuses.
        #expect(try SessionMessage(decoding: Array(encoded.prefix(26))) == .push(packageID: id, expires: 99, bytes: [7]))
    }

    @Test("random bytes after the push tag never crash the decoder")
    func fuzz() throws {
        var rng = SeededBytes(seed: 18)
        var decoded = 0
        for round in 0..<2000 {
            let length = Int(rng.next(1)[0]) % 64
            let bytes: [UInt8] = [16] + rng.next(length)
            if let message = try? SessionMessage(decoding: bytes) {
                guard case .push(_, let expires, let body) = message else {
                    Issue.record("round \(round): tag 16 decoded as \(message)")
                    continue
                }
                #expect(!body.isEmpty && (expires ?? 1) > 0)
                decoded += 1
            }
        }
        // Some random tails are well-formed pushes (expiry below 2^63, at least one byte).
        #expect(decoded > 0)
    }

    @Test("the handshake's welcome says whether the responder takes pushes; an earlier release's version-only welcome means it does not")
    func welcomeFeatures() throws {
        #expect(HandshakeWelcome.encoded == [HandshakeHello.version, HandshakeWelcome.Features.push.rawValue])
        #expect(try HandshakeWelcome.features(decoding: HandshakeWelcome.encoded).contains(.push))
        #expect(try HandshakeWelcome.features(decoding: [HandshakeHello.version]) == [])
        #expect(try HandshakeWelcome.features(decoding: [HandshakeHello.version, 0]) == [])
        for bad: [UInt8] in [[], [HandshakeHello.version &+ 1], [HandshakeHello.version &+ 1, 1], [HandshakeHello.version, 1, 0]] {
            #expect(throws: WireError.self) { try HandshakeWelcome.features(decoding: bad) }
        }
    }
}
