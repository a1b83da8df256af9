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
            try await writer.write(try cipher.encrypt(message.encoded))
            if rekeyPolicy.recordMessage(now: SecureSession.now()) {
                try await writer.write(try cipher.encrypt(SessionMessage.rekey.encoded))
                try cipher.rekey()
                rekeys += 1
            }
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
                guard let frame = try await reader.next() else { return nil }
                let message = try SessionMessage(decoding: try cipher.decrypt(frame))
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
