import CSQLiteTuning

/// Process-wide SQLite settings, made once, before the first connection opens.
enum SQLiteSetup {
    /// Turns off SQLite's memory statistics, which nothing here reads: with them
    /// on, every allocation SQLite makes takes a process-wide mutex, on the audit
    /// committer's hot path among others. Evaluated by every store and log before
    /// it opens a connection; a no-op once SQLite is initialised.
    static let applied: Void = {
        _ = liaison_sqlite3_disable_memory_statistics()
    }()
}
