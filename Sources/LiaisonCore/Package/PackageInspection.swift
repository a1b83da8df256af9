/// What anyone can learn from a package without a key: the cleartext header and
/// the chunk frames' sizes. Nothing here is authenticated.
public struct PackageInspection: Sendable {
    /// The parsed (unverified) header.
    public let header: PackageHeader
    /// Number of chunk frames seen.
    public let chunkCount: Int
    /// Payload bytes the frames claim to carry.
    public let payloadByteCount: UInt64
    /// True when the frames are in order, well formed and end with a final chunk.
    public let isComplete: Bool
    /// Why the frame walk stopped early, if it did.
    public let problem: String?

    /// Reads the header and walks the frames without decrypting.
    public init<Source: ByteSource>(reading input: inout Source) throws {
        header = try PackageOpener.readHeader(from: &input)
        var count = 0
        var bytes: UInt64 = 0
        var complete = false
        var problem: String?
        var skip = [UInt8](repeating: 0, count: 64 * 1024)
        walk: while true {
            var frame = [UInt8](repeating: 0, count: PackageFormat.chunkFrameHeaderByteCount)
            let got = try frame.withUnsafeMutableBytes { try input.readFully(into: $0) }
            if got == 0 { if !complete { problem = "no final chunk" }; break }
            if complete { problem = "bytes after the final chunk"; complete = false; break }
            guard got == frame.count else { problem = "truncated inside a chunk frame"; break }
            var r = ByteReader(frame)
            let index = try r.readUInt64(), flags = try r.readUInt8(), length = Int(try r.readUInt32())
            let isFinal = flags & PackageFormat.finalFlag != 0
            let dataCount = length - PackageFormat.chunkOverhead
            guard index == UInt64(count), flags & ~PackageFormat.finalFlag == 0,
                  (0...header.chunkSize).contains(dataCount),
                  isFinal || dataCount == header.chunkSize, !(isFinal && dataCount == 0 && count > 0)
            else { problem = "chunk \(count) is malformed or out of order"; break }
            var left = length
            while left > 0 {
                let n = try skip.withUnsafeMutableBytes { try input.readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Swift.min(left, $0.count)])) }
                if n == 0 { problem = "truncated inside chunk \(count)"; break walk }
                left -= n
            }
            count += 1
            bytes += UInt64(length - PackageFormat.chunkOverhead)
            complete = flags & PackageFormat.finalFlag != 0
        }
        chunkCount = count
        payloadByteCount = bytes
        isComplete = complete && problem == nil
        self.problem = problem
    }
}
