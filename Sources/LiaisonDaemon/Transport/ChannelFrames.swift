import LiaisonWire
import NIOCore

/// Reads Liaison transport frames from an NIO async channel's inbound stream.
struct FrameReader {
    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private var decoder = FrameDecoder()
    /// Bytes received so far (for traffic counters).
    private(set) var bytesRead = 0

    init(_ inbound: NIOAsyncChannelInboundStream<ByteBuffer>) {
        iterator = inbound.makeAsyncIterator()
    }

    /// What the last read brought and no frame has taken yet.
    private var unread: ByteBuffer?

    /// The next frame, or `nil` when the peer closed the connection.
    ///
    /// Whole frames are taken straight from what the socket read (one copy);
    /// only a frame split across reads goes through the decoder.
    mutating func next() async throws -> [UInt8]? {
        while true {
            if let frame = try decoder.nextFrame() { return frame }
            if var buffer = unread {
                unread = nil
                if decoder.bufferedByteCount == 0, let frame = Self.wholeFrame(&buffer) {
                    if buffer.readableBytes > 0 { unread = buffer }
                    return frame
                }
                decoder.feed(buffer.readableBytesView)
                continue
            }
            guard let buffer = try await iterator.next() else {
                if decoder.bufferedByteCount > 0 {
                    throw WireError(.malformedHandshake, "the connection closed in the middle of a frame")
                }
                return nil
            }
            bytesRead += buffer.readableBytes
            unread = buffer
        }
    }

    /// The first frame in `buffer` if all of it is there. (Any 16-bit length is
    /// within the decoder's limit, the most a frame can be.)
    private static func wholeFrame(_ buffer: inout ByteBuffer) -> [UInt8]? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self),
              buffer.readableBytes >= 2 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 2)
        return buffer.readBytes(length: Int(length))
    }
}

/// Writes Liaison transport frames.
struct FrameWriter {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private(set) var bytesWritten = 0

    init(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) { self.outbound = outbound }

    /// Allocates the buffers frames are built in.
    var allocator: ByteBufferAllocator { ByteBufferAllocator() }

    /// Writes a frame already built (length prefix included).
    mutating func write(_ frame: ByteBuffer) async throws {
        bytesWritten += frame.readableBytes
        try await outbound.write(frame)
    }

    /// Writes frames already built, in order, handed to the channel together (one
    /// flush, so one write to the socket where they fit).
    mutating func write(contentsOf frames: [ByteBuffer]) async throws {
        if frames.count == 1 { return try await write(frames[0]) }
        bytesWritten += frames.reduce(0) { $0 + $1.readableBytes }
        try await outbound.write(contentsOf: frames)
    }

    mutating func write(_ body: [UInt8]) async throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(body.count + 2)
        buffer.writeInteger(UInt16(body.count))
        buffer.writeBytes(body)
        bytesWritten += buffer.readableBytes
        try await outbound.write(buffer)
    }
}

/// How much a connection reads at once: NIO's adaptive sizes, allowed to grow to
/// 256 KiB (NIO's default stops at 64 KiB) so that a bulk transfer or a large
/// `send` takes a quarter of the reads and hops; idle connections stay small.
enum ChannelReads {
    static let allocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: 256 * 1024)
}
