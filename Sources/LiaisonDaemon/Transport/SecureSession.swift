import Dispatch
import LiaisonWire
import NIOCore

/// An established Noise session over a connection: sends and receives
/// ``SessionMessage``s, rekeying by time and message count.
///
/// The two directions are independent halves (each with its own cipher state),
/// so one task may read while another writes: see ``outbound`` and ``inbound``.
struct SecureSession {
    /// The sending direction.
    var outbound: Outbound
    /// The receiving direction.
    var inbound: Inbound
    /// What the peer said it takes when it answered this node's handshake (empty
    /// on sessions the peer dialled: the dialler only sends what every release takes).
    var peerFeatures: HandshakeWelcome.Features = []

    init(reader: FrameReader, writer: FrameWriter, noise: NoiseSession, settings: DaemonSettings) {
        outbound = Outbound(writer: writer, cipher: noise.sender,
                            rekeyPolicy: RekeyPolicy(messageLimit: settings.rekeyMessages, secondsLimit: settings.rekeySeconds, now: Self.now()))
        inbound = Inbound(reader: reader, cipher: noise.receiver)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Encrypts and sends one message; sends `rekey` and switches keys when due.
    mutating func send(_ message: SessionMessage) async throws { try await outbound.send(message) }

    /// The next message, or `nil` if the peer closed the connection without a
    /// `close` message. A `rekey` from the peer is handled here.
    mutating func receive() async throws -> SessionMessage? { try await inbound.receive() }

    var writer: FrameWriter { outbound.writer }
    var reader: FrameReader { inbound.reader }
    /// How many times this side switched its sending key.
    var sentRekeys: Int { outbound.rekeys }

    /// The sending half: encrypts with its own cipher state and rekeys by policy.
    struct Outbound {
        private(set) var writer: FrameWriter
        private var cipher: NoiseCipherState
        private var rekeyPolicy: RekeyPolicy
        private(set) var rekeys = 0

        init(writer: FrameWriter, cipher: NoiseCipherState, rekeyPolicy: RekeyPolicy) {
            self.writer = writer
            self.cipher = cipher
            self.rekeyPolicy = rekeyPolicy
        }

        mutating func send(_ message: SessionMessage) async throws {
            try await writer.write(try sealedFrame(message))
            if rekeyPolicy.recordMessage(now: SecureSession.now()) {
                try await writer.write(try sealedFrame(.rekey))
                try cipher.rekey()
                rekeys += 1
            }
        }

        /// `message` as one frame — length, then the message encrypted in place
        /// — built in the buffer that goes to the socket. A data message's
        /// payload is copied once, straight into it.
        private mutating func sealedFrame(_ message: SessionMessage) throws -> ByteBuffer {
            var body: [UInt8] = []
            var count: Int
            if case .data(let bytes) = message {
                count = 1 + bytes.count
            } else {
                body = message.encoded
                count = body.count
            }
            var frame = writer.allocator.buffer(capacity: 2 + count + 16)
            frame.writeInteger(UInt16(count + 16))
            if case .data(let bytes) = message {
                frame.writeInteger(SessionMessage.dataTag)
                frame.writeBytes(bytes)
            } else {
                frame.writeBytes(body)
            }
            frame.writeRepeatingByte(0, count: 16)
            count = try frame.withUnsafeMutableReadableBytes { raw in
                try cipher.encrypt(inPlace: UnsafeMutableRawBufferPointer(rebasing: raw[2...]), plaintextCount: count)
            }
            precondition(count + 2 == frame.readableBytes, "a sealed frame's length changed")
            return frame
        }
    }

    /// The receiving half: decrypts with its own cipher state and follows the peer's rekeys.
    struct Inbound {
        private(set) var reader: FrameReader
        private var cipher: NoiseCipherState
        private(set) var rekeys = 0

        init(reader: FrameReader, cipher: NoiseCipherState) {
            self.reader = reader
            self.cipher = cipher
        }

        mutating func receive() async throws -> SessionMessage? {
            while true {
                guard var frame = try await reader.next() else { return nil }
                let count = try frame.withUnsafeMutableBytes { try cipher.decrypt(inPlace: $0) }
                frame.removeLast(frame.count - count)
                let message = try SessionMessage(decoding: frame)
                if case .rekey = message {
                    try cipher.rekey()
                    rekeys += 1
                    continue
                }
                return message
            }
        }
    }
}
