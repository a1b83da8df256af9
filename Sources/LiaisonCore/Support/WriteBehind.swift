import CLinux

/// Starts the kernel writing a file out every few MiB while it is being
/// written (`sync_file_range`, a hint), so that the `fsync` which makes it
/// durable at the end waits for the last few MiB rather than for all of it.
/// Durability still comes from that `fsync` alone.
public struct WriteBehind: Sendable {
    /// How much is written between two hints.
    public static let step: UInt64 = 8 << 20

    private var written: UInt64
    private var started: UInt64

    /// For a file that already holds `offset` bytes.
    public init(from offset: UInt64 = 0) {
        written = offset
        started = offset
    }

    /// Records `count` more bytes written to `descriptor`, starting their writeback every ``step``.
    public mutating func wrote(_ count: Int, to descriptor: Int32) {
        written += UInt64(count)
        guard written - started >= Self.step else { return }
        _ = sync_file_range(descriptor, Int64(started), Int64(written - started), LIAISON_SYNC_FILE_RANGE_WRITE)
        started = written
    }
}
