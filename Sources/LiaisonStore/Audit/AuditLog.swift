#if canImport(Glibc)
import Glibc
#endif
import Foundation
import GRDB
import LiaisonAudit
import LiaisonCore

/// A node's audit log: `<home>/audit.db`, an RFC 6962 Merkle tree of
/// ``AuditEvent`` leaves in SQLite (WAL, `synchronous=FULL`), with the
/// checkpoints the node signed and the cosignatures its witnesses returned.
///
/// The only owner of the file. Appends go through a group commit: concurrent
/// callers share one transaction and one fsync, and none is told "done" before
/// its leaf is durable. When the log cannot be written (disk full, I/O error,
/// read-only file) the append throws, and the caller must not carry out the
/// action it was recording: that is how Liaison fails closed.
///
/// Several processes may append to one file (the daemon and an offline
/// `liaison` command): every append reads the tree's edge inside its own
/// immediate transaction.
public final class AuditLog: Sendable {
    /// The database file's name inside a node's home.
    public static let fileName = "audit.db"
    /// Most events committed in one transaction.
    public static let maximumBatch = 8192
    /// Interior nodes of 2^4 = 16 leaves and up are stored; smaller ones are
    /// recomputed from leaf hashes when needed (a sixteenth of the rows to write).
    static let minimumStoredLevel = 4
    /// The writer's SQLite page cache, in KiB. At 64 MiB it filled as the log grew
    /// and took a daemon past 100 MiB resident after 30,000 packages; at 8 MiB appends,
    /// queries and proofs over 1,000,000 events measured the same (docs/performance.md).
    static let pageCacheKiB = 8192

    /// The database file's path.
    public let path: String
    let pool: DatabasePool
    let committer: AuditGroupCommit

    /// Opens (creating if needed) the audit log of the node in `home`.
    public convenience init(home: NodeHome) throws {
        try self.init(path: home.path + "/" + Self.fileName)
    }

    /// Opens (creating if needed) the audit log at `path` and brings its schema up to date.
    ///
    /// - Throws: ``StoreError`` (``StoreError/Code/cannotOpen``, ``StoreError/Code/diskFull``,
    ///   ``StoreError/Code/unsupportedSchema`` …) when the log cannot be used.
    public init(path: String) throws {
        self.path = path
        pool = try Self.openPool(path: path)
        committer = AuditGroupCommit(pool: pool)
    }

    /// Opens an existing log for reading only: what `liaison audit verify` uses on a
    /// node's own file. Nothing is created or migrated.
    public init(readingOnly path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = true
        configuration.label = "AuditLog (read-only)"
        configuration.busyMode = .timeout(NodeStore.busyTimeoutSeconds)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            guard try pool.read({ try $0.tableExists("leaf") }) else {
                throw StoreError(.cannotOpen, "\(path) is not a Liaison audit log")
            }
        } catch {
            throw StoreError.wrapping(error, while: "open the audit log \(path)", in: path)
        }
        committer = AuditGroupCommit(pool: nil)
    }

    deinit { committer.stop() }

    /// Closes the log's connections once everything appended so far is committed.
    /// The last connection to the file in any process copies its WAL into
    /// `audit.db` and removes it as it closes (SQLite does so; with a daemon still
    /// holding the file, nothing is copied and nothing waits), so a command that
    /// wrote while no daemon ran leaves a file that is whole on its own. An append
    /// after it fails at once.
    public func close() throws {
        // An empty request completes once every earlier one has.
        let drained = BlockingResult<Range<Int>>()
        committer.submit([]) { drained.set($0) }
        _ = try? drained.wait()
        committer.stop()
        // Readers first: GRDB closes the writer before its readers, and a read-only
        // connection closing last cannot copy the WAL into the file.
        pool.invalidateReadOnlyConnections()
        do { try pool.close() } catch { throw StoreError.wrapping(error, while: "close the audit log \(path)", in: path) }
    }

    private static func openPool(path: String) throws -> DatabasePool {
        // Owner-only from the start (SQLite gives -wal and -shm the same mode).
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw StoreError(.cannotOpen, "cannot open the audit log \(path): \(String(cString: strerror(errno))); check that the node's home exists and is writable")
        }
        closeDescriptor(fd)
        var configuration = Configuration()
        configuration.label = "AuditLog"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(NodeStore.busyTimeoutSeconds)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool sets its writer to synchronous = NORMAL in WAL mode; an
            // acknowledged event must survive power loss.
            // A bounded page cache (the daemon's memory must stay flat however long the
            // log grows), and rarer WAL checkpoints, which write the database file in
            // larger runs (measured: docs/performance.md).
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL; PRAGMA cache_size = -\(Self.pageCacheKiB); PRAGMA wal_autocheckpoint = 8192")
            }
            let migrator = AuditSchema.migrator
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError(.unsupportedSchema, "the audit log \(path) was written by a newer version of Liaison; upgrade Liaison to open it")
            }
            try migrator.migrate(pool)
        } catch {
            throw StoreError.wrapping(error, while: "open the audit log \(path)", in: path)
        }
        return pool
    }

    // MARK: - Appending

    /// Appends `events` as consecutive leaves and returns their indices once they
    /// are durable. Throws (and records nothing) if the log cannot be written.
    @discardableResult
    public func append(_ events: [AuditEvent]) async throws -> Range<Int> {
        guard !events.isEmpty else { return 0..<0 }
        let leaves = try Self.leaves(events)
        return try await withCheckedThrowingContinuation { continuation in
            committer.submit(leaves) { continuation.resume(with: $0) }
        }
    }

    /// Appends one event; see ``append(_:)-([AuditEvent])``.
    @discardableResult
    public func append(_ event: AuditEvent) async throws -> Int {
        try await append([event]).lowerBound
    }

    /// Appends `events`, blocking the calling thread until they are durable: for
    /// the CLI and for threads outside Swift concurrency.
    @discardableResult
    public func appendBlocking(_ events: [AuditEvent]) throws -> Range<Int> {
        guard !events.isEmpty else { return 0..<0 }
        let leaves = try Self.leaves(events)
        let done = BlockingResult<Range<Int>>()
        committer.submit(leaves) { done.set($0) }
        return try done.wait()
    }

    static func leaves(_ events: [AuditEvent]) throws -> [PendingLeaf] {
        guard events.count <= maximumBatch else {
            throw StoreError(.invalidArgument, "at most \(maximumBatch) audit events can be appended at once")
        }
        return events.map(PendingLeaf.init)
    }

    // MARK: - Reading

    /// The number of leaves.
    public func size() throws -> Int {
        try read("read the audit log's size") { db in try Self.size(db) }
    }

    static func size(_ db: Database) throws -> Int {
        // Cached: every group commit asks first.
        try Int.fetchOne(try db.cachedStatement(sql: "SELECT coalesce(max(idx) + 1, 0) FROM leaf")) ?? 0
    }

    /// The canonical leaf bytes of entries `range` (clamped to the log), in order,
    /// stopping early once `byteBudget` bytes are read (the first leaf is always read).
    public func leaves(_ range: Range<Int>, byteBudget: Int = .max) throws -> [[UInt8]] {
        try read("read audit entries") { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT data FROM leaf WHERE idx >= ? AND idx < ? ORDER BY idx",
                                           arguments: [range.lowerBound, range.upperBound])
            var leaves: [[UInt8]] = [], bytes = 0
            // Past the budget no further leaf is read (the first always is).
            while bytes < byteBudget, let row = try rows.next() {
                let data: Data = try row.decode(atIndex: 0)
                leaves.append(Array(data))
                bytes += data.count
            }
            return leaves
        }
    }

    func read<T>(_ action: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw StoreError.wrapping(error, while: action(), in: path) }
    }

    func write<T>(_ action: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        guard committer.isWritable else {
            throw StoreError(.cannotOpen, "the audit log \(path) was opened read-only")
        }
        do {
            return try pool.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw StoreError.wrapping(error, while: action(), in: path)
        }
    }
}

/// One event on its way into the log, encoded, hashed and keyed by the caller,
/// so that the committer thread only writes. It holds only the leaf's columns
/// (not the whole event): the committer copies it for every leaf it writes.
struct PendingLeaf: Sendable {
    let data: [UInt8]
    let hash: [UInt8]
    let time: Int64
    let kind: AuditEventKind
    let outcome: AuditOutcome
    let peer: String?
    let package: String?
    /// What the query index files it under.
    let peerKey: LeafKey?
    let packageKey: LeafKey?

    init(_ event: AuditEvent) {
        self.init(event, data: event.canonicalBytes)
    }

    /// The leaf of `event` whose canonical bytes are `data` (already encoded, or
    /// read back from where they were kept).
    init(_ event: AuditEvent, data: [UInt8]) {
        self.data = data
        hash = MerkleHasher.leafHash(data)
        time = event.time
        kind = event.kind
        outcome = event.outcome
        peer = event.peer
        package = event.package
        peerKey = event.peer.map(LeafKey.peer)
        packageKey = event.package.map(LeafKey.package)
    }
}

/// A result handed from the committer thread to a blocked caller.
final class BlockingResult<T: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var result: Result<T, any Error>?

    func set(_ value: Result<T, any Error>) {
        condition.lock()
        result = value
        condition.signal()
        condition.unlock()
    }

    func wait() throws -> T {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}

/// `close(2)`, out of reach of ``AuditLog/close()`` inside the type.
private func closeDescriptor(_ fd: Int32) { close(fd) }
