#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import LiaisonCrypto

/// One line of `leaves.jsonl` as the streaming reader sees it.
enum LeafLine {
    /// A line that fits in a leaf, without its newline; valid only during the call.
    case leaf(UnsafeRawBufferPointer, isTerminated: Bool)
    /// A line longer than any leaf may be, hashed as a leaf as it streamed past
    /// so that the tree can still be computed.
    case oversized(byteCount: Int, leafHash: [UInt8], isTerminated: Bool)
}

extension AuditBundleReader {
    /// Calls `body` with every entry of `leaves.jsonl` in order: its index and its
    /// leaf bytes (valid only during the call). Returns the number of entries.
    ///
    /// Memory stays bounded however large the file is. Throws
    /// ``AuditError/Code/malformedBundle`` at a line longer than
    /// ``AuditEvent/maximumLeafByteCount`` or a last line without a newline, and
    /// ``AuditError/Code/bundleIO`` if the file cannot be read. To verify a log,
    /// use ``AuditBundle/verify(directory:trustedLogKey:trustedWitnesses:requiredWitnesses:trustedCheckpoint:)``,
    /// which reports such lines and carries on.
    @discardableResult
    public func forEachLeaf(_ body: (_ index: Int, _ leaf: UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        var index = 0
        try scanLeaves { line in
            switch line {
            case .leaf(let bytes, let isTerminated):
                guard isTerminated else {
                    throw Self.malformed(AuditBundle.leavesFile, "its last line, entry \(index), does not end with a newline: the file was cut short")
                }
                try body(index, bytes)
            case .oversized(let byteCount, _, _):
                throw Self.malformed(AuditBundle.leavesFile, "line \(index + 1) is \(byteCount) bytes, longer than any leaf")
            }
            index += 1
        }
        return index
    }

    /// Streams the lines of `leaves.jsonl` through one fixed buffer.
    func scanLeaves(_ body: (LeafLine) throws -> Void) throws {
        let path = path(AuditBundle.leavesFile)
        let fd = try BundleFileSystem.openRegularFile(path)
        defer { _ = close(fd) }
        let capacity = LeafStreamBuffer.capacity
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        let base = buffer.baseAddress!
        let maximum = AuditEvent.maximumLeafByteCount
        // Bytes start..<filled are read but not yet delivered; no newline lies in start..<searched.
        var start = 0
        var filled = 0
        var searched = 0
        var oversized: OversizedLine?
        while true {
            let count = try BundleFileSystem.readChunk(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), path: path)
            if count == 0 {
                if var line = oversized {
                    line.absorb(UnsafeRawBufferPointer(rebasing: buffer[start..<filled]))
                    try body(line.finish(isTerminated: false))
                } else if filled > start {
                    try body(Self.classify(UnsafeRawBufferPointer(rebasing: buffer[start..<filled]), isTerminated: false))
                }
                return
            }
            filled += count
            while searched < filled, let hit = memchr(base + searched, Int32(NoteSyntax.newline), filled - searched) {
                let newline = base.distance(to: hit)
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<newline])
                if var long = oversized {
                    long.absorb(line)
                    oversized = nil
                    try body(long.finish(isTerminated: true))
                } else {
                    try body(Self.classify(line, isTerminated: true))
                }
                start = newline + 1
                searched = start
            }
            searched = filled
            if oversized != nil || filled - start > maximum {
                // Too long for a leaf: hash it as it streams past instead of holding it.
                var long = oversized ?? OversizedLine()
                long.absorb(UnsafeRawBufferPointer(rebasing: buffer[start..<filled]))
                oversized = long
                start = filled
            }
            // Move the unfinished line to the front to make room.
            let pending = filled - start
            if start > 0 {
                if pending > 0 { memmove(base, base + start, pending) }
                start = 0
                filled = pending
                searched = pending
            }
        }
    }
}

extension AuditBundleReader {
    /// A whole line in the buffer: a leaf, or oversized if longer than any leaf.
    private static func classify(_ line: UnsafeRawBufferPointer, isTerminated: Bool) -> LeafLine {
        guard line.count > AuditEvent.maximumLeafByteCount else { return .leaf(line, isTerminated: isTerminated) }
        return .oversized(byteCount: line.count, leafHash: MerkleHasher.leafHash(line), isTerminated: isTerminated)
    }
}

/// Sizes of the streaming buffer: larger than any leaf, so a whole line always fits.
enum LeafStreamBuffer {
    static let capacity = 1 << 20
}

/// A line too long for a leaf, hashed incrementally as a Merkle leaf.
private struct OversizedLine {
    private var hasher = SHA256()
    private var byteCount = 0

    init() {
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update($0) }  // the RFC 6962 leaf prefix
    }

    mutating func absorb(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bytes)
        byteCount += bytes.count
    }

    mutating func finish(isTerminated: Bool) -> LeafLine {
        .oversized(byteCount: byteCount, leafHash: hasher.finalize(), isTerminated: isTerminated)
    }
}
