import Foundation
import LiaisonCore

/// A byte source that draws a ``ProgressLine`` as it is read: sealing or opening
/// a large file shows how far it got (on a terminal, and only if it takes a while).
struct ProgressSource<Base: ByteSource>: ByteSource {
    private var base: Base
    private let progress: ProgressLine

    /// Reads `base`, `total` bytes if known, showing `label`.
    init(_ base: Base, total: Int64?, label: String) {
        self.init(base, progress: ProgressLine(total: total, label: label, unit: .bytes))
    }

    /// Reads `base`, counting on `progress`.
    init(_ base: Base, progress: ProgressLine) {
        self.base = base
        self.progress = progress
    }

    /// Reading `descriptor`: its size is the total if it is a regular file.
    init(_ base: Base, descriptor: Int32, label: String) where Base == FileDescriptorStream {
        var info = stat()
        let regular = fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        self.init(base, total: regular ? Int64(info.st_size) : nil, label: label)
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = try base.read(into: buffer)
        if n == 0 { progress.finish() } else { progress.advance(by: n) }
        return n
    }
}
