#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Somewhere package bytes come from: a file, a socket's spool, memory.
public protocol ByteSource {
    /// Reads up to `buffer.count` bytes; returns 0 only at the end of the input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int

    /// How many bytes are left, if the source knows (memory does; a file or a
    /// stream need not): a length read from the input that is larger is refused
    /// before a buffer that large is made for it.
    var knownRemaining: Int? { get }
}

/// Somewhere package bytes go.
public protocol ByteSink {
    /// Writes all of `bytes`.
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws
}

extension ByteSource {
    /// Unknown unless the source says.
    public var knownRemaining: Int? { nil }

    /// Reads until `buffer` is full or the input ends; returns the bytes read.
    public mutating func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n == 0 { break }
            filled += n
        }
        return filled
    }

    /// Reads exactly `count` bytes into a new array, or throws `error` at a short read.
    public mutating func readExactly(_ count: Int, orThrow error: CoreError) throws -> [UInt8] {
        if let left = knownRemaining, left < count { throw error }
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try bytes.withUnsafeMutableBytes { try readFully(into: $0) }
        guard n == count else { throw error }
        return bytes
    }
}

extension ByteSink {
    /// Writes an array.
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

/// An in-memory source over an array (tests, small packages).
public struct MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var offset = 0

    /// Reads from `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var knownRemaining: Int? { bytes.count - offset }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = Swift.min(buffer.count, bytes.count - offset)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset..<(offset + n)]))
        }
        offset += n
        return n
    }
}

/// An in-memory sink that collects everything written.
public struct MemorySink: ByteSink {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty sink.
    public init() {}

    /// Reserves room for `count` bytes, to avoid regrowth when the size is known.
    public mutating func reserveCapacity(_ count: Int) { bytes.reserveCapacity(count) }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        self.bytes.append(contentsOf: bytes)
    }
}

/// A source or sink over a POSIX file descriptor that it does not own.
public struct FileDescriptorStream: ByteSource, ByteSink {
    /// The descriptor read from or written to.
    public let descriptor: Int32

    /// Wraps `descriptor`; the caller closes it.
    public init(descriptor: Int32) { self.descriptor = descriptor }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return 0 }
        while true {
            let n = Glibc.read(descriptor, base, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw CoreError(.io, "read failed: \(String(cString: strerror(errno)))")
        }
    }

    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw CoreError(.io, "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
