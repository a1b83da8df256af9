import GRDB

/// The audit database's schema (`audit.db`), as named migrations of its own.
///
/// A migration is never edited once released. The schema itself keeps the log
/// append-only: triggers abort every UPDATE and DELETE of a leaf, interior node
/// or checkpoint, a leaf must take the next index (dense, from 0), and a new
/// checkpoint must be larger than every earlier one. Someone with `sqlite3` can
/// still drop the triggers; that is what checkpoints, witnesses and
/// `liaison audit verify` are for.
enum AuditSchema {
    /// The migration that builds the query index by peer and package (and files a
    /// v1 log's leaves in it): a log it has run on must have that index.
    static let queryIndexMigration = "audit-v2-key-index"
    /// The migration that added `journal_mark` and its triggers.
    static let journalMarkMigration = "audit-v3-journal-mark"
    /// The migration that stops `INSERT OR REPLACE` from rewriting rows.
    static let noReplaceMigration = "audit-v4-no-replace"
    /// The migration that added `log_name` and its triggers.
    static let logNameMigration = "audit-v6-log-name"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("audit-v1") { db in try db.execute(sql: v1) }
        migrator.registerMigration(queryIndexMigration) { db in
            try db.execute(sql: v2)
            try fileExistingLeaves(db)
        }
        migrator.registerMigration(journalMarkMigration) { db in try db.execute(sql: v3) }
        migrator.registerMigration(noReplaceMigration) { db in try db.execute(sql: v4) }
        migrator.registerMigration("audit-v5-witnessed-root") { db in try db.execute(sql: v5) }
        migrator.registerMigration(logNameMigration) { db in try db.execute(sql: v6) }
        return migrator
    }

    /// Files the leaves a v1 log already holds in the new query index, merged.
    private static func fileExistingLeaves(_ db: Database) throws {
        var entries: [LeafKeyEntry] = []
        let rows = try Row.fetchCursor(db, sql: "SELECT idx, peer, package FROM leaf ORDER BY idx")
        while let row = try rows.next() {
            let index: Int = row[0]
            for key in LeafKey.keys(peer: row[1], package: row[2]) { entries.append(LeafKeyEntry(key: key, index: index)) }
        }
        try LeafKeyIndex.insertMerged(entries, inserter: try LeafInserter(db))
    }

    private static func appendOnly(_ table: String) -> String {
        """
        CREATE TRIGGER \(table)_no_update BEFORE UPDATE ON \(table)
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: \(table) rows cannot change'); END;
        CREATE TRIGGER \(table)_no_delete BEFORE DELETE ON \(table)
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: \(table) rows cannot be deleted'); END;
        """
    }

    /// The leaf table, called `name`, as v1 created it and v2 rebuilt it (they differ
    /// only in how the outcome is checked).
    private static func leafTable(_ name: String, outcomeCheck: String) -> String {
        """
        CREATE TABLE \(name) (
            idx INTEGER NOT NULL PRIMARY KEY CHECK (idx >= 0),
            hash BLOB NOT NULL CHECK (length(hash) = 32),
            data BLOB NOT NULL CHECK (length(data) > 0),
            time INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind <> ''),
            outcome TEXT NOT NULL CHECK (\(outcomeCheck)),
            peer TEXT,
            package TEXT
        ) STRICT;
        """
    }

    // Triggers that refer to `leaf`, shared by v1 and by v2's rebuild of the table.
    private static let leafDense = """
        CREATE TRIGGER leaf_dense BEFORE INSERT ON leaf
            WHEN NEW.idx IS NOT (SELECT coalesce(max(idx) + 1, 0) FROM leaf)
        BEGIN SELECT RAISE(ABORT, 'audit leaves are appended densely: the next index is one past the last'); END;
        """
    private static let subtreeComplete = """
        CREATE TRIGGER subtree_complete BEFORE INSERT ON subtree
            WHEN ((NEW.idx + 1) << NEW.level) > (SELECT coalesce(max(idx) + 1, 0) FROM leaf)
        BEGIN SELECT RAISE(ABORT, 'an interior node can only cover leaves that exist'); END;
        """
    private static let checkpointGrows = """
        CREATE TRIGGER checkpoint_grows BEFORE INSERT ON checkpoint
            WHEN NEW.size <= (SELECT coalesce(max(size), -1) FROM checkpoint)
              OR NEW.size > (SELECT coalesce(max(idx) + 1, 0) FROM leaf)
        BEGIN SELECT RAISE(ABORT, 'a new checkpoint must be larger than every earlier one and within the log'); END;
        """

    static let v1 = """
        -- One row per event: leaf idx of the Merkle tree. data is the canonical
        -- leaf (AuditEvent+Encoding.swift); hash is SHA-256(0x00 || data); the other
        -- columns copy fields of data so that queries can use indexes.
        \(leafTable("leaf", outcomeCheck: "outcome IN ('ok', 'denied', 'failed')"))
        CREATE INDEX leaf_peer ON leaf(peer, idx) WHERE peer IS NOT NULL;
        CREATE INDEX leaf_package ON leaf(package, idx) WHERE package IS NOT NULL;
        CREATE INDEX leaf_time ON leaf(time);
        \(leafDense)
        \(appendOnly("leaf"))

        -- Perfect interior subtrees of 2^level leaves (level >= 4: every 16
        -- leaves and up), written as they complete, so roots and proofs read
        -- O(log n) rows plus at most 15 leaf hashes per level below 4.
        CREATE TABLE subtree (
            level INTEGER NOT NULL CHECK (level BETWEEN \(AuditLog.minimumStoredLevel) AND 62),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            hash BLOB NOT NULL CHECK (length(hash) = 32),
            PRIMARY KEY (level, idx)
        ) STRICT, WITHOUT ROWID;
        \(subtreeComplete)
        \(appendOnly("subtree"))

        -- Checkpoints this node signed with its log key (C2SP signed notes).
        CREATE TABLE checkpoint (
            size INTEGER NOT NULL PRIMARY KEY CHECK (size >= 0),
            root BLOB NOT NULL CHECK (length(root) = 32),
            note TEXT NOT NULL CHECK (note <> ''),
            signed_at INTEGER NOT NULL
        ) STRICT;
        \(checkpointGrows)
        \(appendOnly("checkpoint"))

        -- Cosignatures peers (witnesses) returned for our checkpoints.
        CREATE TABLE cosignature (
            size INTEGER NOT NULL REFERENCES checkpoint(size),
            witness TEXT NOT NULL CHECK (witness <> ''),
            key_id INTEGER NOT NULL,
            line TEXT NOT NULL CHECK (line <> ''),
            timestamp INTEGER NOT NULL,
            received_at INTEGER NOT NULL,
            PRIMARY KEY (size, witness, key_id)
        ) STRICT;
        \(appendOnly("cosignature"))

        -- As a witness: the newest checkpoint of each peer's log we cosigned.
        -- It only ever grows; a peer that shows us a smaller or forked tree is refused.
        CREATE TABLE witnessed_log (
            origin TEXT NOT NULL PRIMARY KEY CHECK (origin <> ''),
            peer TEXT NOT NULL,
            size INTEGER NOT NULL CHECK (size >= 0),
            root BLOB NOT NULL CHECK (length(root) = 32),
            note TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TRIGGER witnessed_log_grows BEFORE UPDATE ON witnessed_log
            WHEN NEW.size < OLD.size OR NEW.origin IS NOT OLD.origin
        BEGIN SELECT RAISE(ABORT, 'a witnessed log only moves forward'); END;
        CREATE TRIGGER witnessed_log_no_delete BEFORE DELETE ON witnessed_log
        BEGIN SELECT RAISE(ABORT, 'witness state is never deleted'); END;
        """

    /// The query index by peer and package as a log-structured merge
    /// (``LeafKeyIndex``) in place of v1's two B-tree indexes on `leaf`, which
    /// every append dirtied a random page of. The leaf table is rebuilt without
    /// them, and with its outcome check written as comparisons: SQLite checked
    /// v1's `IN (…)` list through a temporary table built for every insert.
    static let v2 = """
        DROP TRIGGER subtree_complete;
        DROP TRIGGER checkpoint_grows;
        \(leafTable("leaf_v2", outcomeCheck: "outcome = 'ok' OR outcome = 'denied' OR outcome = 'failed'"))
        INSERT INTO leaf_v2 SELECT idx, hash, data, time, kind, outcome, peer, package FROM leaf ORDER BY idx;
        DROP TABLE leaf;
        ALTER TABLE leaf_v2 RENAME TO leaf;
        CREATE INDEX leaf_time ON leaf(time);
        \(leafDense)
        \(appendOnly("leaf"))
        \(subtreeComplete)
        \(checkpointGrows)

        -- Merged entries: leaf idx is about the peer or package whose LeafKey is key.
        CREATE TABLE leaf_key (
            key INTEGER NOT NULL,
            idx INTEGER NOT NULL CHECK (idx >= 0),
            PRIMARY KEY (key, idx)
        ) STRICT, WITHOUT ROWID;
        \(appendOnly("leaf_key"))

        -- Entries not merged yet: one row per group commit, its entries sorted by
        -- key then idx, 16 bytes each (key, idx; big-endian). first is its lowest idx.
        CREATE TABLE leaf_key_run (
            first INTEGER NOT NULL PRIMARY KEY CHECK (first >= 0),
            entries BLOB NOT NULL CHECK (length(entries) > 0 AND length(entries) % 16 = 0)
        ) STRICT;
        """

    /// How far the log has taken each node store's audit journal (`AuditJournal`):
    /// the highest journal `seq` of that store (by its `store_identity`) whose
    /// event is a leaf here, written in the same commit as those leaves. Not part
    /// of the tree: it only lets a restart carry over what a crash left in the
    /// journal, and a repeated transfer skip what is already here.
    static let v3 = """
        CREATE TABLE journal_mark (
            store TEXT NOT NULL PRIMARY KEY CHECK (length(store) = 32),
            seq INTEGER NOT NULL CHECK (seq > 0)
        ) STRICT;
        CREATE TRIGGER journal_mark_only_grows BEFORE UPDATE ON journal_mark
        WHEN NEW.seq < OLD.seq OR NEW.store IS NOT OLD.store
        BEGIN SELECT RAISE(ABORT, 'a journal mark only moves forward'); END;
        CREATE TRIGGER journal_mark_no_delete BEFORE DELETE ON journal_mark
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: journal marks cannot be deleted'); END;
        """

    /// `INSERT OR REPLACE` deletes the row it replaces without firing a DELETE
    /// trigger, so the UPDATE and DELETE triggers alone let it rewrite an interior
    /// node, a cosignature, a witnessed log or a journal mark. These refuse an insert
    /// that would replace such a row (`leaf` and `checkpoint` are covered already: an
    /// insert must be one past the last). The daemon's own upserts move marks and
    /// witnessed logs forward, which these let through; a second cosignature of one
    /// checkpoint by one witness is skipped, as the daemon's `ON CONFLICT DO NOTHING`
    /// always did, whatever the statement asked.
    static let v4 = """
        CREATE TRIGGER subtree_no_replace BEFORE INSERT ON subtree
            WHEN EXISTS (SELECT 1 FROM subtree WHERE level = NEW.level AND idx = NEW.idx)
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: subtree rows cannot be replaced'); END;
        CREATE TRIGGER cosignature_no_replace BEFORE INSERT ON cosignature
            WHEN EXISTS (SELECT 1 FROM cosignature WHERE size = NEW.size AND witness = NEW.witness AND key_id = NEW.key_id)
        BEGIN SELECT RAISE(IGNORE); END;
        CREATE TRIGGER witnessed_log_no_replace BEFORE INSERT ON witnessed_log
            WHEN EXISTS (SELECT 1 FROM witnessed_log WHERE origin = NEW.origin AND size > NEW.size)
        BEGIN SELECT RAISE(ABORT, 'a witnessed log only moves forward'); END;
        CREATE TRIGGER journal_mark_no_replace BEFORE INSERT ON journal_mark
            WHEN EXISTS (SELECT 1 FROM journal_mark WHERE store = NEW.store AND seq > NEW.seq)
        BEGIN SELECT RAISE(ABORT, 'a journal mark only moves forward'); END;
        """

    /// A witnessed log at the size it had with another root is a fork, which a
    /// witness must refuse: v1's and v4's triggers stopped only a smaller size, so an
    /// UPDATE or an `INSERT OR REPLACE` at the same size could swap the root the
    /// witness remembers. The daemon records the same root again at the same size,
    /// which these still let through. (Same names: `verify --database` checks them.)
    static let v5 = """
        DROP TRIGGER witnessed_log_grows;
        CREATE TRIGGER witnessed_log_grows BEFORE UPDATE ON witnessed_log
            WHEN NEW.size < OLD.size OR NEW.origin IS NOT OLD.origin OR (NEW.size = OLD.size AND NEW.root IS NOT OLD.root)
        BEGIN SELECT RAISE(ABORT, 'a witnessed log only moves forward, and never to another root at its size'); END;
        DROP TRIGGER witnessed_log_no_replace;
        CREATE TRIGGER witnessed_log_no_replace BEFORE INSERT ON witnessed_log
            WHEN EXISTS (SELECT 1 FROM witnessed_log WHERE origin = NEW.origin
                         AND (size > NEW.size OR (size = NEW.size AND root IS NOT NEW.root)))
        BEGIN SELECT RAISE(ABORT, 'a witnessed log only moves forward, and never to another root at its size'); END;
        """

    /// The name of a log the node began after another (`liaison audit new-log`):
    /// one row, written before its first entry, never changed. A log without it is
    /// the node's first, named `liaison/<fingerprint>`; one with it is
    /// `liaison/<fingerprint>/<label>` (`origin`, the label its end), and holds the statement its log key
    /// signed (`LogSuccessionStatement`): which log it follows, how large that one was
    /// when it was closed (NULL: lost), and when it began (also in its first entry,
    /// `log.started`).
    static let v6 = """
        CREATE TABLE log_name (
            one INTEGER NOT NULL PRIMARY KEY CHECK (one = 1),
            origin TEXT NOT NULL CHECK (origin GLOB '?*/[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'),
            succeeds TEXT NOT NULL CHECK (succeeds <> ''),
            succeeded_size INTEGER CHECK (succeeded_size >= 0),
            succeeded_root BLOB CHECK (length(succeeded_root) = 32),
            begun_at INTEGER NOT NULL,
            signature BLOB NOT NULL CHECK (length(signature) = 64),
            CHECK ((succeeded_size IS NULL) = (succeeded_root IS NULL))
        ) STRICT;
        CREATE TRIGGER log_name_first BEFORE INSERT ON log_name
            WHEN EXISTS (SELECT 1 FROM leaf)
        BEGIN SELECT RAISE(ABORT, 'a log is named before its first entry'); END;
        \(appendOnly("log_name"))
        """
}
