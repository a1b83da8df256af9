/// Control-socket framing: a 4-byte big-endian length, then the body. The first
/// frame each way is JSON; payload bytes follow in data frames ended by an empty
/// frame.
public enum ControlFraming {
    /// Largest frame the daemon accepts from a client (a request, or payload data).
    public static let maximumFrameLength = 1 << 20
    /// Largest reply frame: a listing of up to 10,000 entries is larger than a request
    /// may be. The daemon never sends more (it refuses with `control.reply-too-large`),
    /// and a client reads no more.
    public static let maximumReplyLength = 64 << 20
    /// Leaf bytes past which the daemon adds no further entry to a page of the audit
    /// log (`audit.query`, `audit.leaves`): a page is full when it has its `limit`
    /// entries or this many bytes, and only then may more follow.
    public static let auditPageBytes = 4 << 20
    /// Payload bytes per data frame.
    public static let dataFrameLength = 256 * 1024

    /// The 4-byte length prefix for a body of `count` bytes.
    public static func prefix(_ count: Int) -> [UInt8] {
        precondition(count <= maximumFrameLength, "control frame too large")
        return [UInt8(count >> 24 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
    }

    /// Reads a length prefix, refusing a frame longer than `limit`.
    public static func length(_ prefix: [UInt8], limit: Int = maximumFrameLength) throws -> Int {
        let n = prefix.reduce(0) { $0 << 8 | Int($1) }
        guard n <= limit else {
            throw ControlFailure(code: "control.frame-too-large", message: "a control frame of \(n) bytes exceeds the limit")
        }
        return n
    }

    /// The default socket path inside a node's home.
    public static func socketPath(home: String) -> String { home + "/liaisond.sock" }

    /// The lock file a running daemon holds (`flock`) inside a node's home: taken
    /// before it touches anything, so it tells "running or starting" from "not running".
    public static func lockPath(home: String) -> String { home + "/liaisond.lock" }
}
