/// Control-socket framing: a 4-byte big-endian length, then the body. The first
/// frame each way is JSON; payload bytes follow in data frames ended by an empty
/// frame.
public enum ControlFraming {
    /// Largest frame accepted (JSON or data).
    public static let maximumFrameLength = 1 << 20
    /// Payload bytes per data frame.
    public static let dataFrameLength = 256 * 1024

    /// The 4-byte length prefix for a body of `count` bytes.
    public static func prefix(_ count: Int) -> [UInt8] {
        precondition(count <= maximumFrameLength, "control frame too large")
        return [UInt8(count >> 24 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
    }

    /// Reads a length prefix.
    public static func length(_ prefix: [UInt8]) throws -> Int {
        let n = prefix.reduce(0) { $0 << 8 | Int($1) }
        guard n <= maximumFrameLength else {
            throw ControlFailure(code: "control.frame-too-large", message: "a control frame of \(n) bytes exceeds the limit")
        }
        return n
    }

    /// The default socket path inside a node's home.
    public static func socketPath(home: String) -> String { home + "/liaisond.sock" }
}
