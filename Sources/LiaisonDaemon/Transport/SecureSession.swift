import Dispatch
import LiaisonCore
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
    /// Sends `messages` in order, handing the socket up to ``Outbound/gatherBytes``
    /// of frames at once (one write, rather than one per message).
    mutating func send(contentsOf messages: [SessionMessage]) async throws { try await outbound.send(contentsOf: messages) }

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
            try await writer.write(contentsOf: try sealedFrames(of: message))
        }

        /// Most bytes of frames handed to the socket in one write by ``send(contentsOf:)``.
        static let gatherBytes = 256 * 1024

        mutating func send(contentsOf messages: [SessionMessage]) async throws {
            var frames: [ByteBuffer] = [], bytes = 0
            for message in messages {
                for frame in try sealedFrames(of: message) {
                    if bytes + frame.readableBytes > Self.gatherBytes, !frames.isEmpty {
                        try await writer.write(contentsOf: frames)
                        frames = []
                        bytes = 0
                    }
                    bytes += frame.readableBytes
                    frames.append(frame)
                }
            }
            if !frames.isEmpty { try await writer.write(contentsOf: frames) }
        }

        /// Sends a data message of `count` bytes read from `source` straight into
        /// the frame (no copy in between).
        mutating func sendData<Source: ByteSource>(count: Int, from source: inout Source) async throws {
            precondition(count <= SessionMessage.maximumDataByteCount, "data message too large")
            try await sendFrame(bodyCount: 1 + count) { frame in
                frame.writeInteger(SessionMessage.dataTag)
                let read = try frame.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { raw in
                    try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]))
                }
                guard read == count else { throw CoreError(.io, "the package is shorter than recorded") }
            }
        }

        /// Sends one frame — its length, then a message of `bodyCount` bytes
        /// that `fill` writes, encrypted in place — built in the buffer that goes
        /// to the socket; then rekeys if the policy says so.
        private mutating func sendFrame(bodyCount: Int, _ fill: (inout ByteBuffer) throws -> Void) async throws {
            try await writer.write(contentsOf: try sealedFrames(bodyCount: bodyCount, fill))
        }

        /// The frames of `message`: a data message's bytes go straight into its frame
        /// (no encoded copy in between).
        private mutating func sealedFrames(of message: SessionMessage) throws -> [ByteBuffer] {
            if case .data(let bytes) = message {
                return try sealedFrames(bodyCount: 1 + bytes.count) { frame in
                    frame.writeInteger(SessionMessage.dataTag)
                    frame.writeBytes(bytes)
                }
            }
            let body = message.encoded
            return try sealedFrames(bodyCount: body.count) { $0.writeBytes(body) }
        }

        /// The frame of one message and, if the policy says so after it, the rekey
        /// that follows it (this side switches keys then).
        private mutating func sealedFrames(bodyCount: Int, _ fill: (inout ByteBuffer) throws -> Void) throws -> [ByteBuffer] {
            var frames = [try sealedFrame(bodyCount: bodyCount, fill)]
            if rekeyPolicy.recordMessage(now: SecureSession.now()) {
                let rekey = SessionMessage.rekey.encoded
                frames.append(try sealedFrame(bodyCount: rekey.count) { $0.writeBytes(rekey) })
                try cipher.rekey()
                rekeys += 1
            }
            return frames
        }

        private mutating func sealedFrame(bodyCount: Int, _ fill: (inout ByteBuffer) throws -> Void) throws -> ByteBuffer {
            var frame = writer.allocator.buffer(capacity: 2 + bodyCount + 16)
            frame.writeInteger(UInt16(bodyCount + 16))
            try fill(&frame)
            precondition(frame.readableBytes == 2 + bodyCount, "a frame's body is not the size announced")
            frame.writeRepeatingByte(0, count: 16)
            let sealed = try frame.withUnsafeMutableReadableBytes { raw in
                try cipher.encrypt(inPlace: UnsafeMutableRawBufferPointer(rebasing: raw[2...]), plaintextCount: bodyCount)
            }
            precondition(sealed + 2 == frame.readableBytes, "a sealed frame's length changed")
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
