import GRDB

extension DatabasePool {
    /// Copies every committed page from the WAL into the database file itself and
    /// empties the WAL (`wal_checkpoint(TRUNCATE)`), so the file alone holds
    /// everything. Serialised with the writer's other work; fails with `SQLITE_BUSY`
    /// if a reader still holds an older snapshot (then nothing is lost: the WAL
    /// keeps what the file does not yet have).
    func checkpointIntoFile() throws {
        try writeWithoutTransaction { db in
            let result = try db.checkpoint(.truncate)
            guard result.walFrameCount == result.checkpointedFrameCount else {
                throw StoreError(.busy, "\(result.walFrameCount - result.checkpointedFrameCount) WAL frame(s) could not be copied into the database file yet")
            }
        }
    }
}

extension NodeStore {
    /// Copies everything committed into `liaison.db` itself and empties its
    /// `liaison.db-wal`: the daemon's clean stop calls it, so that a copy of the
    /// stopped node's `liaison.db` is complete on its own.
    public func checkpointIntoFile() throws {
        do { try pool.checkpointIntoFile() } catch { throw StoreError.wrapping(error, while: "checkpoint the store into its file") }
    }
}

extension AuditLog {
    /// Copies every entry into `audit.db` itself and empties its `audit.db-wal`:
    /// the daemon's clean stop calls it, so that a copy of the stopped node's
    /// `audit.db` holds the whole log.
    public func checkpointIntoFile() throws {
        do { try pool.checkpointIntoFile() } catch { throw StoreError.wrapping(error, while: "checkpoint the audit log into its file", in: path) }
    }
}
