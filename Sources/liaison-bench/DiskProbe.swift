import Foundation
import LiaisonCore

/// How long one small durable write takes on the disk the daemons use: what
/// each durable commit of a package's journey pays at least (SQLite's WAL
/// with `synchronous=FULL` ends every commit with one `fdatasync`).
///
/// Measured back to back and after a short idle gap, because a package's
/// commits are spread out: between two of them the other daemon and the
/// network do their part, and on a virtual machine a flush issued after a
/// pause costs several times one issued right after another.
enum DiskProbe {
    /// Sorted `fdatasync` times in microseconds, each after rewriting 8 KiB of
    /// a scratch file in `directory` and then sleeping `gapMicroseconds`.
    static func flushMicroseconds(directory: String, gapMicroseconds: UInt32, count: Int = 200) throws -> [Double] {
        let path = directory + "/disk-probe-\(getpid())"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CoreError(.io, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd); unlink(path) }
        let page = [UInt8](repeating: 0x5a, count: 8192)
        let clock = ContinuousClock()
        var times: [Double] = []
        for i in 0..<count {
            let written = page.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t((i % 64) * page.count)) }
            guard written == page.count else { throw CoreError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
            let start = clock.now
            guard fdatasync(fd) == 0 else { throw CoreError(.io, "cannot flush \(path): \(String(cString: strerror(errno)))") }
            times.append((clock.now - start).seconds * 1e6)
            if gapMicroseconds > 0 { usleep(gapMicroseconds) }
        }
        return times.sorted()
    }
}

extension Array where Element == Double {
    /// The value at `fraction` (0…1) of a sorted array.
    func percentile(_ fraction: Double) -> Double {
        self[Swift.min(count - 1, Int(Double(count) * fraction))]
    }
}
