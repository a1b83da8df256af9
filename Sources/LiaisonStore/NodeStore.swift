#if canImport(Glibc)
import Glibc
#endif
import GRDB
import LiaisonAudit
import LiaisonCore

/// The node's durable store: `<home>/liaison.db`, one SQLite database in WAL
/// mode holding the outbox (packages and their per-recipient deliveries), the
/// receipts recipients returned, the inbox (every package ever accepted) and
/// per-peer session state.
///
/// The only owner of the file. Every public operation is one transaction and
/// keeps the database consistent; the schema's constraints and triggers back
/// that up. Safe to share between tasks and threads. Writes are `async` and go
/// through a group commit (``StoreGroupCommit``): concurrent writes share one
/// transaction and one fsync on the store's own thread, and none returns before
/// it is durable. Reads run concurrently on snapshots and block the calling
/// thread for one short query.
public final class NodeStore: Sendable {
    /// The database file's name inside a node's home.
    public static let fileName = "liaison.db"

    /// How long an operation waits for another process's lock before failing with ``StoreError/Code/busy``.
    public static let busyTimeoutSeconds: Double = 10

    /// Largest sealed package kept in the database rather than a file (one `push`
    /// message's worth; the schema refuses larger bodies).
    public static let maximumInlineBytes = Schema.maximumInlineBytes

    /// Longest error text kept in `last_error` columns; longer text is cut.
    public static let maximumErrorLength = 1024

    /// The database file's path.
    public let path: String

    let pool: DatabasePool
    /// How rows name package files (relative to the home).
    let files: PackageFilePaths
    private let committer: StoreGroupCommit
    /// The audit journal, once ``attachAuditJournal(to:)`` has tied it to the node's log.
    let journalLink = JournalLink()

    /// Opens (creating if needed) the store of the node in `home`, and brings
    /// its schema up to date.
    public convenience init(home: NodeHome) throws {
        try self.init(path: home.path + "/" + Self.fileName)
    }

    /// Opens (creating if needed) the store at `path`, and brings its schema up to date.
    ///
    /// - Throws: ``StoreError`` with ``StoreError/Code/cannotOpen`` if the file cannot be
    ///   opened or migrated, ``StoreError/Code/unsupportedSchema`` if a newer Liaison wrote it.
    public init(path: String) throws {
        self.path = path
        files = PackageFilePaths(databasePath: path)
        // The file holds markings and receipts: owner-only from the start
        // (SQLite gives the -wal and -shm files the database file's mode).
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw StoreError(.cannotOpen, "cannot open the database \(path): \(String(cString: strerror(errno))); check that the node's home exists and is writable")
        }
        close(fd)

        var configuration = Configuration()
        configuration.label = "LiaisonStore"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(Self.busyTimeoutSeconds)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool switches its writer to WAL with synchronous = NORMAL
            // after prepareDatabase runs; a committed delivery or inbox row must
            // survive power loss, so the writer goes back to FULL.
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        } catch {
            throw StoreError.wrapping(error, while: "open the database \(path)").opening
        }
        committer = StoreGroupCommit(pool: pool, journal: journalLink)
        let migrator = Schema.migrator
        do {
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError(.unsupportedSchema, "the database \(path) was written by a newer version of Liaison; upgrade Liaison to open it")
            }
            try migrator.migrate(pool)
        } catch {
            throw StoreError.wrapping(error, while: "bring the database \(path) up to date").opening
        }
    }

    /// Totals for a status view, from one consistent snapshot.
    public func counts() throws -> StoreCounts {
        try read("count the store's contents") { db in
            var counts = StoreCounts()
            counts.outboxPackages = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox_package") ?? 0
            counts.inbox = try Int.fetchOne(db, sql: "SELECT count(*) FROM inbox") ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT state, count(*) AS n FROM delivery GROUP BY state") {
                let n: Int = try row.value("n", in: "delivery")
                switch DeliveryState(rawValue: try row.value("state", in: "delivery")) {
                case .queued: counts.queued = n
                case .sending: counts.sending = n
                case .delivered: counts.delivered = n
                case .failed: counts.failed = n
                case .expired: counts.expired = n
                case nil: throw StoreError.corruptRow("delivery", "an unknown state")
                }
            }
            return counts
        }
    }

    deinit { committer.stop() }

    // MARK: - Transactions

    /// Runs `body` in the group commit: in its own savepoint of a transaction
    /// shared with concurrent writers, returning once that transaction is durable.
    /// An error from `body` rolls back only `body`'s changes; a failed commit fails
    /// every write in it. Errors come out as ``StoreError``.
    ///
    /// With `auditing` events, they are journaled in the same savepoint (see
    /// ``AuditJournal``): recorded exactly when `body`'s change is. That needs the
    /// journal attached and flowing: if it is not, a carry-over runs first, and
    /// its failure fails the write before anything is written. `journalingIf`
    /// decides from `body`'s result whether the events are journaled after all
    /// (a write that changed nothing records nothing). `auditingResult`, for a write
    /// whose events depend on what it changed, gives more events from `body`'s
    /// result, journaled with `events` in the same savepoint (at most
    /// `AuditLog.maximumBatch` in all). `whenDurable` runs on the
    /// thread that committed the write once it is durable, before the caller resumes: for
    /// telling others at once (it must not block).
    ///
    /// `@concurrent`: on an idle store the caller's own thread may run the commit
    /// (``StoreGroupCommit/idleCallers``), so it must be one of Swift's shared
    /// threads, never an actor's or an event loop's.
    @concurrent
    func commit<T: Sendable>(_ action: @autoclosure () -> String, auditing events: [AuditEvent] = [],
                             auditingResult: (@Sendable (T) -> [AuditEvent])? = nil,
                             journalingIf journals: @escaping @Sendable (T) -> Bool = { _ in true },
                             durable: Bool = true,
                             whenDurable: (@Sendable () -> Void)? = nil,
                             _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        precondition(durable || whenDurable == nil, "whenDurable runs once the write is durable: a write that need not be has no such moment")
        let description = action()
        let outcome = OperationOutcome<T>()
        var journaled: JournalWrite?
        var journal: AuditJournal?
        if !events.isEmpty || auditingResult != nil {
            journal = try await flowingJournal()
            journaled = try JournalWrite(AuditLog.leaves(events))
        }
        return try await withCheckedThrowingContinuation { [journaled, journal] continuation in
            committer.submit(StoreGroupCommit.Operation(
                perform: { db, isolated in
                    journaled?.seqs = []
                    do {
                        func run() throws -> T {
                            let result = try body(db)
                            if let journaled, let auditingResult { journaled.leaves = try AuditLog.leaves(events + auditingResult(result)) }
                            if let journaled, let journal, journals(result), !journaled.leaves.isEmpty {
                                journaled.seqs = try journal.write(journaled.leaves, db)
                            }
                            return result
                        }
                        if isolated {
                            try db.inSavepoint {
                                outcome.result = .success(try run())
                                return .commit
                            }
                        } else {
                            outcome.result = .success(try run())
                        }
                        return nil
                    } catch {
                        let failure = StoreError.wrapping(error, while: description)
                        outcome.result = .failure(failure)
                        return failure
                    }
                },
                complete: { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else {
                        let result = outcome.result ?? .failure(StoreError(.corrupt, "a write was committed without running"))
                        if case .success = result { whenDurable?() }
                        continuation.resume(with: result)
                    }
                },
                journal: journaled, durable: durable))
        }
    }

    /// Runs `body` on a consistent snapshot; errors come out as ``StoreError``.
    func read<T>(_ action: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw StoreError.wrapping(error, while: action()) }
    }

    /// Runs `body`, which must be one statement, on a reader without opening a
    /// snapshot transaction (one statement is atomic by itself, and the busiest
    /// reads need no more); errors come out as ``StoreError``.
    func readStatement<T>(_ action: @autoclosure () -> String, _ body: (Database) throws -> T) throws -> T {
        do { return try pool.unsafeRead(body) } catch { throw StoreError.wrapping(error, while: action()) }
    }

    /// `text` cut to ``maximumErrorLength`` characters, so a peer cannot fill the database with one message.
    static func bounded(_ text: String) -> String {
        text.count <= maximumErrorLength ? text : String(text.prefix(maximumErrorLength - 1)) + "…"
    }

    /// Refuses negative page sizes and offsets: a caller bug, not input.
    static func checkPage(limit: Int, offset: Int = 0) {
        precondition(limit >= 0 && offset >= 0, "limit and offset must not be negative")
    }
}

/// What one group-committed operation produced; written and read only by the commit
/// that runs it (on the committer thread, or an idle caller's), one commit at a time.
private final class OperationOutcome<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

extension StoreError {
    /// While opening, every failure means the store is unusable: report it as such,
    /// keeping the more specific codes that tell the operator what to fix.
    fileprivate var opening: StoreError {
        switch code {
        case .unsupportedSchema, .corrupt, .busy, .diskFull, .cannotOpen: self
        default: StoreError(.cannotOpen, message, diagnostics: diagnostics)
        }
    }
}
