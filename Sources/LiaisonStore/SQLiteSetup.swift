import CSQLiteTuning

/// Process-wide SQLite settings. `sqlite3_config` may only run before SQLite
/// initialises and while no other thread uses SQLite, so the executables make
/// them first thing in `main`, before any thread opens a database; libraries and
/// test processes, which cannot promise that, leave SQLite's defaults alone.
public enum SQLiteSetup {
    /// Turns off SQLite's memory statistics, which nothing here reads: with them
    /// on, every allocation SQLite makes takes a process-wide mutex, on the audit
    /// committer's hot path among others. Call once, at process start, before any
    /// other thread exists that could use SQLite; later calls change nothing.
    public static func applyAtProcessStart() {
        _ = liaison_sqlite3_disable_memory_statistics()
    }
}
