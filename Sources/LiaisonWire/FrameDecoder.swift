/// Splits a byte stream into Liaison's transport frames: a 2-byte big-endian
/// length, then that many bytes (one Noise message, at most 65535 bytes).
///
/// Pure and incremental: feed whatever arrived (a byte at a time or many frames
/// at once) and take out complete frames. Never buffers more than one frame.
public struct FrameDecoder: Sendable {
    /// Largest frame body.
    public static let maximumFrameLength = 65_535

    private var buffer: [UInt8] = []
    private var readIndex = 0
    private let maximumLength: Int

    /// A decoder that refuses frames longer than `maximumLength` (≤ 65535).
    public init(maximumLength: Int = FrameDecoder.maximumFrameLength) {
        precondition(maximumLength <= Self.maximumFrameLength, "frames are at most 65535 bytes")
        self.maximumLength = maximumLength
    }

    /// Adds received bytes.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        if readIndex > 0 && readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or `nil` if more bytes are needed.
    public mutating func nextFrame() throws -> [UInt8]? {
        guard buffer.count - readIndex >= 2 else { return nil }
        let length = Int(buffer[readIndex]) << 8 | Int(buffer[readIndex + 1])
        guard length <= maximumLength else {
            throw WireError(.frameTooLarge, "a frame of \(length) bytes exceeds the \(maximumLength)-byte limit")
        }
        guard buffer.count - readIndex - 2 >= length else { return nil }
        let frame = Array(buffer[(readIndex + 2)..<(readIndex + 2 + length)])
        readIndex += 2 + length
        if readIndex > 65_536 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        return frame
    }

    /// Bytes received but not yet returned as a frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Frames `body` for sending.
    public static func frame(_ body: [UInt8]) -> [UInt8] {
        precondition(body.count <= maximumFrameLength, "frame body too long")
        return [UInt8(body.count >> 8), UInt8(body.count & 0xFF)] + body
    }
}
