import LiaisonWire
import NIOCore

/// An established Noise session over a connection: sends and receives
/// ``SessionMessage``s, rekeying by time and message count.
struct SecureSession {
    var reader: FrameReader
    var writer: FrameWriter
    private var noise: NoiseSession
    private var rekeyPolicy: RekeyPolicy
    /// How many times each direction switched keys.
    private(set) var sentRekeys = 0
    private(set) var receivedRekeys = 0

    init(reader: FrameReader, writer: FrameWriter, noise: NoiseSession, settings: DaemonSettings) {
        self.reader = reader
        self.writer = writer
        self.noise = noise
        self.rekeyPolicy = RekeyPolicy(messageLimit: settings.rekeyMessages, secondsLimit: settings.rekeySeconds, now: Self.now())
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Encrypts and sends one message; sends `rekey` and switches keys when due.
    mutating func send(_ message: SessionMessage) async throws {
        try await writer.write(try noise.sender.encrypt(message.encoded))
        if rekeyPolicy.recordMessage(now: Self.now()) {
            try await writer.write(try noise.sender.encrypt(SessionMessage.rekey.encoded))
            try noise.sender.rekey()
            sentRekeys += 1
        }
    }

    /// The next message, or `nil` if the peer closed the connection without a
    /// `close` message. A `rekey` from the peer is handled here.
    mutating func receive() async throws -> SessionMessage? {
        while true {
            guard let frame = try await reader.next() else { return nil }
            let message = try SessionMessage(decoding: try noise.receiver.decrypt(frame))
            if case .rekey = message {
                try noise.receiver.rekey()
                receivedRekeys += 1
                continue
            }
            return message
        }
    }
}

import Dispatch
