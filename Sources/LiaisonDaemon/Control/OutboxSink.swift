import LiaisonCore
import LiaisonWire

/// Where a package being sealed for the outbox goes: memory while it is small
/// enough to travel in one `push` message (it is then kept in the database),
/// otherwise a file in the outbox directory, created the moment it outgrows
/// memory. Ciphertext only: nothing here is secret.
final class OutboxSink: ByteSink {
    /// Largest sealed package kept in the database (and pushed in one message).
    static let inlineLimit = SessionMessage.maximumPushByteCount

    private let path: String
    private let memoryLimit: Int
    private var buffer: [UInt8] = []
    private var file: AtomicOutputFile?
    /// Bytes written so far: the sealed package's size once it is finished.
    private(set) var byteCount = 0

    /// A sink for the package that would be stored at `path` if it grows past
    /// `memoryLimit` bytes (at most ``inlineLimit``; 0 makes a file from the start).
    init(path: String, memoryLimit: Int = OutboxSink.inlineLimit) {
        self.path = path
        self.memoryLimit = min(memoryLimit, Self.inlineLimit)
    }

    /// Whether the package is (so far) held in memory rather than in a file.
    var isInMemory: Bool { file == nil }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        byteCount += bytes.count
        if let file { return try file.write(bytes) }
        if buffer.count + bytes.count <= memoryLimit {
            buffer.append(contentsOf: bytes)
            return
        }
        let spilled = try AtomicOutputFile(path: path)
        try buffer.withUnsafeBytes { try spilled.write($0) }
        try spilled.write(bytes)
        buffer = []
        file = spilled
    }

    /// Where the finished package is: its durable file's path, or its bytes for the database.
    enum Stored {
        case file(path: String)
        case inline([UInt8])
    }

    /// Makes a file durable and moves it to its path (a package in memory becomes
    /// durable with its database row); if that fails, no file is left. Until then a
    /// spilled package is a temporary file, removed if the sink is dropped and swept
    /// at start after a crash.
    func finish() throws -> Stored {
        if let file {
            try file.commit()
            return .file(path: path)
        }
        return .inline(buffer)
    }
}
