import Foundation
import LiaisonCore

/// A stored sealed package, read wherever it is kept: a small package's bytes
/// in the database (``NodeStore/outboxBody(id:)``, ``NodeStore/inboxBody(_:)``)
/// or a large one's file. Owns the file descriptor it opens; ``close()`` it.
public struct StoredPackageSource: ByteSource {
    private var file: FileDescriptorStream?
    private var memory: MemorySource?

    /// The sealed package `package` of this node's outbox.
    public static func outbox(_ package: OutboxPackage, store: NodeStore) throws -> StoredPackageSource {
        try StoredPackageSource(path: package.path, what: "package \(package.id)") { try store.outboxBody(id: package.id) }
    }

    /// The accepted package `entry` of this node's inbox.
    public static func inbox(_ entry: InboxEntry, store: NodeStore) throws -> StoredPackageSource {
        try StoredPackageSource(path: entry.path, what: "received package \(entry.id)") { try store.inboxBody(entry) }
    }

    private init(path: String?, what: String, body: () throws -> [UInt8]?) throws {
        if let path {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw CoreError(.io, "the file of \(what) (\(path)) cannot be read: \(String(cString: strerror(errno)))") }
            file = FileDescriptorStream(descriptor: fd)
        } else {
            guard let bytes = try body() else { throw CoreError(.io, "the stored bytes of \(what) are missing") }
            memory = MemorySource(bytes)
        }
    }

    /// Skips the first `offset` bytes (to resume a transfer).
    public mutating func skip(to offset: UInt64) throws {
        if let file {
            guard lseek(file.descriptor, off_t(offset), SEEK_SET) == off_t(offset) else { throw CoreError(.io, "cannot seek in a stored package") }
        } else {
            var remaining = offset
            var scratch = [UInt8](repeating: 0, count: 4096)
            while remaining > 0 {
                let n = try scratch.withUnsafeMutableBytes { try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<Int(min(remaining, 4096))])) }
                guard n > 0 else { throw CoreError(.io, "a stored package is shorter than the resume offset") }
                remaining -= UInt64(n)
            }
        }
    }

    /// Reads the next bytes of the sealed package (0 at its end).
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if file != nil { return try file!.read(into: buffer) }
        return try memory!.read(into: buffer)
    }

    /// Closes the file, if there is one.
    public func close() {
        if let file { Glibc.close(file.descriptor) }
    }
}
