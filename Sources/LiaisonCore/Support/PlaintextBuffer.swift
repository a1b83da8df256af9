import LiaisonCrypto

/// A payload read whole, up to a limit, before it is sealed (a STIX bundle whose
/// markings are checked first).
///
/// A growing array would leave copies of the plaintext in freed memory, so the
/// pieces are kept apart until the end, joined once into an array of the exact
/// size, and every byte held is wiped when joined or when the buffer is released.
public final class PlaintextBuffer {
    /// Most bytes held.
    public let limit: Int
    /// Bytes held.
    public private(set) var count = 0
    private var pieces: [[UInt8]] = []
    private var joined: [UInt8] = []

    /// An empty buffer of at most `limit` bytes.
    public init(limit: Int) { self.limit = limit }

    deinit {
        for i in pieces.indices { pieces[i].withUnsafeMutableBytes { Sodium.wipe($0) } }
        joined.withUnsafeMutableBytes { Sodium.wipe($0) }
    }

    /// Keeps a copy of `bytes`; returns false, keeping nothing, when that would pass the limit.
    public func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= limit - count else { return false }
        guard !bytes.isEmpty else { return true }
        if !joined.isEmpty {   // appending after a read: the joined bytes become a piece again
            pieces = [joined]
            joined = []
        }
        pieces.append(Array(bytes))
        count += bytes.count
        return true
    }

    /// ``append(_:)-(UnsafeRawBufferPointer)`` for an array.
    public func append(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Reads `source` to its end; throws `tooLarge(limit + 1)` as soon as it holds more than ``limit`` bytes.
    public func read<Source: ByteSource>(from source: inout Source, tooLarge: (Int) -> CoreError) throws {
        var piece = [UInt8](repeating: 0, count: 1 << 20)
        defer { piece.withUnsafeMutableBytes { Sodium.wipe($0) } }
        while true {
            let n = try piece.withUnsafeMutableBytes { try source.readFully(into: $0) }
            if n == 0 { return }
            guard piece.withUnsafeBytes({ append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) else { throw tooLarge(limit + 1) }
            if n < piece.count { return }
        }
    }

    /// Calls `body` with the bytes held, contiguous.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        join()
        return try joined.withUnsafeBytes(body)
    }

    /// A copy of `length` bytes from `offset` (fewer at the end); the caller wipes it.
    public func copy(from offset: Int, length: Int) -> [UInt8] {
        join()
        let end = min(count, offset + length)
        return offset < end ? Array(joined[offset..<end]) : []
    }

    /// A source over the bytes held, for sealing them.
    public func reader() -> Reader { Reader(buffer: self) }

    /// Reads a ``PlaintextBuffer`` from the start; copies out only into the caller's buffers.
    public struct Reader: ByteSource {
        let buffer: PlaintextBuffer
        private var offset = 0

        init(buffer: PlaintextBuffer) { self.buffer = buffer }

        public mutating func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
            let start = offset
            let n = buffer.withBytes { bytes in
                let n = Swift.min(destination.count, bytes.count - start)
                if n > 0 { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + n)])) }
                return Swift.max(n, 0)
            }
            offset += n
            return n
        }
    }

    private func join() {
        guard joined.isEmpty, !pieces.isEmpty else { return }
        if pieces.count == 1 {
            joined = pieces.removeLast()
            return
        }
        joined.reserveCapacity(count)   // exactly once: no regrowth, no stray copies
        for i in pieces.indices {
            joined.append(contentsOf: pieces[i])
            pieces[i].withUnsafeMutableBytes { Sodium.wipe($0) }
        }
        pieces.removeAll()
    }
}
