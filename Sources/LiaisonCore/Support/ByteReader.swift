/// Reads big-endian fields from a byte array with bounds checks. Every read that
/// would run past the end throws ``CoreError/Code/truncated`` (or the code the
/// caller chooses), so a short or lying input never traps.
package struct ByteReader {
    private let bytes: [UInt8]
    package private(set) var offset: Int
    private let truncation: CoreError

    package init(_ bytes: [UInt8], offset: Int = 0, truncation: CoreError = CoreError(.truncated, "the data ends early")) {
        self.bytes = bytes
        self.offset = offset
        self.truncation = truncation
    }

    package var remaining: Int { bytes.count - offset }
    package var isAtEnd: Bool { offset == bytes.count }

    package mutating func readBytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else { throw truncation }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    package mutating func readUInt8() throws -> UInt8 {
        guard remaining >= 1 else { throw truncation }
        defer { offset += 1 }
        return bytes[offset]
    }

    package mutating func readUInt16() throws -> UInt16 {
        UInt16(try readUnsigned(2))
    }

    package mutating func readUInt32() throws -> UInt32 {
        UInt32(try readUnsigned(4))
    }

    package mutating func readUInt64() throws -> UInt64 {
        try readUnsigned(8)
    }

    /// A string with a one-byte length prefix.
    package mutating func readShortString() throws -> [UInt8] {
        try readBytes(Int(try readUInt8()))
    }

    private mutating func readUnsigned(_ width: Int) throws -> UInt64 {
        guard remaining >= width else { throw truncation }
        var value: UInt64 = 0
        for i in 0..<width { value = value << 8 | UInt64(bytes[offset + i]) }
        offset += width
        return value
    }
}

/// Appends big-endian fields to a byte array (the encoding side of ``ByteReader``).
package struct ByteWriter {
    package private(set) var bytes: [UInt8] = []

    package init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    package mutating func write(_ data: [UInt8]) { bytes.append(contentsOf: data) }
    package mutating func write(_ value: UInt8) { bytes.append(value) }
    package mutating func write(_ value: UInt16) { writeUnsigned(UInt64(value), width: 2) }
    package mutating func write(_ value: UInt32) { writeUnsigned(UInt64(value), width: 4) }
    package mutating func write(_ value: UInt64) { writeUnsigned(value, width: 8) }

    /// A string with a one-byte length prefix; callers validate length ≤ 255.
    package mutating func writeShortString(_ utf8: [UInt8]) {
        precondition(utf8.count <= 255, "short string longer than 255 bytes")
        write(UInt8(utf8.count))
        write(utf8)
    }

    private mutating func writeUnsigned(_ value: UInt64, width: Int) {
        for i in stride(from: width - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }
}

extension FixedWidthInteger {
    /// The big-endian bytes of this integer.
    package var bigEndianBytes: [UInt8] {
        withUnsafeBytes(of: self.bigEndian) { Array($0) }
    }
}
