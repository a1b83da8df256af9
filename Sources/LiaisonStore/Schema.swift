import GRDB

/// The store's schema, as named migrations.
///
/// A migration is never edited once released: a change to the schema is a new
/// migration appended to ``migrator``. Invariants live in the schema itself
/// (`STRICT` tables, `NOT NULL`, `CHECK`, foreign keys and triggers), so a bug
/// in Swift, or an operator with `sqlite3`, cannot make the file inconsistent.
enum Schema {
    /// Every migration, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: v1) }
        // Rebuilds two tables; foreign keys are checked once, at the end.
        migrator.registerMigration("v2-inline-packages", foreignKeyChecks: .deferred) { db in try db.execute(sql: v2) }
        migrator.registerMigration("v3-receipt-outranks-expiry") { db in try db.execute(sql: v3) }
        migrator.registerMigration("v4-audit-journal") { db in try db.execute(sql: v4) }
        migrator.registerMigration("v5-inbox-keyed-by-sender") { db in try db.execute(sql: v5) }
        migrator.registerMigration("v6-delivery-recipient") { db in try db.execute(sql: v6) }
        migrator.registerMigration("v7-listings-in-arrival-order") { db in try db.execute(sql: v7) }
        migrator.registerMigration("v8-package-paths-in-home") { db in try relativizePackagePaths(db) }
        migrator.registerMigration("v9-volume-by-sender-key") { db in try db.execute(sql: v9) }
        migrator.registerMigration("v10-delivery-knows-its-expiry") { db in try db.execute(sql: v10) }
        migrator.registerMigration("v11-outbox-files-pruned") { db in try db.execute(sql: v11) }
        return migrator
    }

    /// The TLP labels a row may carry (`TrafficLightProtocol.label`).
    private static let tlpLabels = "('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')"

    /// Largest sealed package kept in a row: one `push` message's worth
    /// (`SessionMessage.maximumPushByteCount`; the store does not depend on the wire module).
    static let maximumInlineBytes = 65_494

    /// A package id: 32 lower-case hex characters.
    private static func isPackageID(_ column: String) -> String {
        "length(\(column)) = 32 AND \(column) NOT GLOB '*[^0-9a-f]*'"
    }

    /// A node fingerprint in its human form: eleven groups of five base32 characters.
    private static func isFingerprint(_ column: String) -> String {
        "length(\(column)) = 65 AND \(column) NOT GLOB '*[^a-z2-7-]*'"
    }

    static let v1 = """
        -- Packages this node sealed and is sending. One row per package.
        CREATE TABLE outbox_package (
            id TEXT NOT NULL PRIMARY KEY CHECK (\(isPackageID("id"))),
            path TEXT NOT NULL CHECK (path <> ''),
            size INTEGER NOT NULL CHECK (size >= 0),
            created INTEGER NOT NULL,
            expires INTEGER CHECK (expires IS NULL OR expires > created),
            tlp TEXT NOT NULL CHECK (tlp IN \(tlpLabels)),
            markings TEXT NOT NULL CHECK (markings <> ''),
            sha TEXT CHECK (sha IS NULL OR (length(sha) = 64 AND sha NOT GLOB '*[^0-9a-f]*'))
        ) STRICT;
        CREATE INDEX outbox_package_newest ON outbox_package(created DESC, id);
        CREATE INDEX outbox_package_expires ON outbox_package(expires) WHERE expires IS NOT NULL;

        -- One row per (package, recipient): where that copy is.
        CREATE TABLE delivery (
            package_id TEXT NOT NULL REFERENCES outbox_package(id),
            peer TEXT NOT NULL CHECK (peer <> ''),
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sending', 'delivered', 'expired', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            next_attempt INTEGER NOT NULL,
            last_error TEXT,
            delivered_at INTEGER,
            PRIMARY KEY (package_id, peer),
            -- Delivered exactly when a delivery time is known.
            CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
        ) STRICT;
        CREATE INDEX delivery_due ON delivery(state, next_attempt);
        CREATE INDEX delivery_peer_due ON delivery(peer, state, next_attempt);

        -- Delivered and expired are final: the row never changes again.
        CREATE TRIGGER delivery_final_is_final
        BEFORE UPDATE ON delivery
        WHEN OLD.state IN ('delivered', 'expired')
        BEGIN
            SELECT RAISE(ABORT, 'delivery is final: a delivered or expired delivery never changes');
        END;

        -- Attempts only count up.
        CREATE TRIGGER delivery_attempts_only_grow
        BEFORE UPDATE OF attempts ON delivery
        WHEN NEW.attempts < OLD.attempts
        BEGIN
            SELECT RAISE(ABORT, 'delivery attempts never decrease');
        END;

        -- A delivery's identity never changes.
        CREATE TRIGGER delivery_key_is_fixed
        BEFORE UPDATE OF package_id, peer ON delivery
        WHEN NEW.package_id IS NOT OLD.package_id OR NEW.peer IS NOT OLD.peer
        BEGIN
            SELECT RAISE(ABORT, 'a delivery''s package and peer never change');
        END;

        -- The end-to-end receipt a recipient returned (opaque here; the caller verified it).
        CREATE TABLE receipt (
            package_id TEXT NOT NULL,
            peer TEXT NOT NULL,
            signed_by TEXT NOT NULL CHECK (\(isFingerprint("signed_by"))),
            received_at INTEGER NOT NULL,
            signature BLOB NOT NULL CHECK (length(signature) > 0),
            body BLOB NOT NULL CHECK (length(body) > 0),
            PRIMARY KEY (package_id, peer),
            FOREIGN KEY (package_id, peer) REFERENCES delivery(package_id, peer)
        ) STRICT;
        CREATE INDEX receipt_newest ON receipt(received_at DESC);

        -- Only a delivered delivery has a receipt.
        CREATE TRIGGER receipt_needs_delivered
        BEFORE INSERT ON receipt
        WHEN NOT EXISTS (SELECT 1 FROM delivery
                         WHERE package_id = NEW.package_id AND peer = NEW.peer AND state = 'delivered')
        BEGIN
            SELECT RAISE(ABORT, 'a receipt is stored only for a delivered delivery');
        END;

        -- Receipts are evidence: never rewritten.
        CREATE TRIGGER receipt_is_immutable
        BEFORE UPDATE ON receipt
        BEGIN
            SELECT RAISE(ABORT, 'a stored receipt never changes');
        END;

        -- Every package this node ever accepted. The primary key is the replay
        -- guard: a package takes effect once.
        CREATE TABLE inbox (
            id TEXT NOT NULL PRIMARY KEY CHECK (\(isPackageID("id"))),
            sender TEXT NOT NULL CHECK (sender <> ''),
            sender_fingerprint TEXT NOT NULL CHECK (\(isFingerprint("sender_fingerprint"))),
            path TEXT NOT NULL CHECK (path <> ''),
            size INTEGER NOT NULL CHECK (size >= 0),
            received_at INTEGER NOT NULL,
            tlp TEXT NOT NULL CHECK (tlp IN \(tlpLabels)),
            classification TEXT NOT NULL CHECK (classification <> ''),
            markings TEXT NOT NULL CHECK (markings <> ''),
            content_type TEXT NOT NULL CHECK (content_type <> ''),
            created INTEGER NOT NULL,
            expires INTEGER CHECK (expires IS NULL OR expires > created),
            receipt_body BLOB NOT NULL CHECK (length(receipt_body) > 0),
            receipt_signature BLOB NOT NULL CHECK (length(receipt_signature) > 0)
        ) STRICT;
        CREATE INDEX inbox_newest ON inbox(received_at DESC, id);

        -- A second copy of an accepted package takes no effect, whatever the
        -- statement (even INSERT OR REPLACE, which would bypass UPDATE triggers).
        CREATE TRIGGER inbox_duplicate_is_ignored
        BEFORE INSERT ON inbox
        WHEN EXISTS (SELECT 1 FROM inbox WHERE id = NEW.id)
        BEGIN
            SELECT RAISE(IGNORE);
        END;

        CREATE TRIGGER inbox_is_immutable
        BEFORE UPDATE ON inbox
        BEGIN
            SELECT RAISE(ABORT, 'an accepted package''s inbox row never changes');
        END;

        CREATE TRIGGER inbox_is_append_only
        BEFORE DELETE ON inbox
        BEGIN
            SELECT RAISE(ABORT, 'inbox rows are the replay guard and are never deleted');
        END;

        -- What this node knows about each peer's sessions.
        CREATE TABLE peer_state (
            fingerprint TEXT NOT NULL PRIMARY KEY CHECK (\(isFingerprint("fingerprint"))),
            -- The newest timestamp this peer sent in a handshake it started (the replay guard).
            last_handshake_timestamp INTEGER CHECK (last_handshake_timestamp >= 0),
            -- When a handshake with this peer last completed, in either direction.
            last_handshake_at INTEGER,
            last_error TEXT,
            bytes_sent INTEGER NOT NULL DEFAULT 0 CHECK (bytes_sent >= 0),
            bytes_received INTEGER NOT NULL DEFAULT 0 CHECK (bytes_received >= 0),
            -- A timestamp is only ever accepted with the time it was accepted.
            CHECK (last_handshake_timestamp IS NULL OR last_handshake_at IS NOT NULL)
        ) STRICT;

        -- The replay check: a handshake timestamp only moves forward.
        CREATE TRIGGER peer_handshake_only_forward
        BEFORE UPDATE OF last_handshake_timestamp ON peer_state
        WHEN OLD.last_handshake_timestamp IS NOT NULL
         AND (NEW.last_handshake_timestamp IS NULL OR NEW.last_handshake_timestamp <= OLD.last_handshake_timestamp)
        BEGIN
            SELECT RAISE(ABORT, 'a peer''s handshake timestamp only moves forward');
        END;

        -- Traffic counters only count up.
        CREATE TRIGGER peer_traffic_only_grows
        BEFORE UPDATE OF bytes_sent, bytes_received ON peer_state
        WHEN NEW.bytes_sent < OLD.bytes_sent OR NEW.bytes_received < OLD.bytes_received
        BEGIN
            SELECT RAISE(ABORT, 'traffic counters never decrease');
        END;
        """

    /// Small sealed packages are kept in the database instead of one file each
    /// (a file costs an inode, two fsyncs and a rename; a row shares its
    /// transaction's one fsync with everything committed alongside it). Each
    /// outbox and inbox row now has exactly one of `path` (a file) and `body`
    /// (the sealed bytes). SQLite cannot change a column's constraints, so both
    /// tables are rebuilt (the documented create-copy-drop-rename procedure);
    /// the triggers on `inbox` are created again as they were.
    static let v2 = """
        CREATE TABLE outbox_package_v2 (
            id TEXT NOT NULL PRIMARY KEY CHECK (\(isPackageID("id"))),
            path TEXT CHECK (path IS NULL OR path <> ''),
            size INTEGER NOT NULL CHECK (size >= 0),
            created INTEGER NOT NULL,
            expires INTEGER CHECK (expires IS NULL OR expires > created),
            tlp TEXT NOT NULL CHECK (tlp IN \(tlpLabels)),
            markings TEXT NOT NULL CHECK (markings <> ''),
            sha TEXT CHECK (sha IS NULL OR (length(sha) = 64 AND sha NOT GLOB '*[^0-9a-f]*')),
            -- Last: reading the columns before it never walks its overflow pages.
            body BLOB CHECK (body IS NULL OR (length(body) > 0 AND length(body) <= \(maximumInlineBytes))),
            -- Exactly one place holds the sealed bytes, and an inline body is the whole package.
            CHECK ((path IS NULL) <> (body IS NULL)),
            CHECK (body IS NULL OR length(body) = size)
        ) STRICT;
        INSERT INTO outbox_package_v2 (id, path, size, created, expires, tlp, markings, sha, body)
            SELECT id, path, size, created, expires, tlp, markings, sha, NULL FROM outbox_package;
        DROP TABLE outbox_package;
        ALTER TABLE outbox_package_v2 RENAME TO outbox_package;
        CREATE INDEX outbox_package_newest ON outbox_package(created DESC, id);
        CREATE INDEX outbox_package_expires ON outbox_package(expires) WHERE expires IS NOT NULL;

        -- A sealed package never changes once queued.
        CREATE TRIGGER outbox_package_is_immutable
        BEFORE UPDATE ON outbox_package
        BEGIN
            SELECT RAISE(ABORT, 'a queued package never changes');
        END;

        CREATE TABLE inbox_v2 (
            id TEXT NOT NULL PRIMARY KEY CHECK (\(isPackageID("id"))),
            sender TEXT NOT NULL CHECK (sender <> ''),
            sender_fingerprint TEXT NOT NULL CHECK (\(isFingerprint("sender_fingerprint"))),
            path TEXT CHECK (path IS NULL OR path <> ''),
            size INTEGER NOT NULL CHECK (size >= 0),
            received_at INTEGER NOT NULL,
            tlp TEXT NOT NULL CHECK (tlp IN \(tlpLabels)),
            classification TEXT NOT NULL CHECK (classification <> ''),
            markings TEXT NOT NULL CHECK (markings <> ''),
            content_type TEXT NOT NULL CHECK (content_type <> ''),
            created INTEGER NOT NULL,
            expires INTEGER CHECK (expires IS NULL OR expires > created),
            receipt_body BLOB NOT NULL CHECK (length(receipt_body) > 0),
            receipt_signature BLOB NOT NULL CHECK (length(receipt_signature) > 0),
            body BLOB CHECK (body IS NULL OR (length(body) > 0 AND length(body) <= \(maximumInlineBytes))),
            CHECK ((path IS NULL) <> (body IS NULL)),
            CHECK (body IS NULL OR length(body) = size)
        ) STRICT;
        INSERT INTO inbox_v2 (id, sender, sender_fingerprint, path, size, received_at, tlp, classification, markings,
                              content_type, created, expires, receipt_body, receipt_signature, body)
            SELECT id, sender, sender_fingerprint, path, size, received_at, tlp, classification, markings,
                   content_type, created, expires, receipt_body, receipt_signature, NULL FROM inbox;
        DROP TABLE inbox;
        ALTER TABLE inbox_v2 RENAME TO inbox;
        CREATE INDEX inbox_newest ON inbox(received_at DESC, id);
        -- Covers a peer's daily volume (sender, time, size) without reading any row.
        CREATE INDEX inbox_sender_volume ON inbox(sender_fingerprint, received_at, size);

        CREATE TRIGGER inbox_duplicate_is_ignored
        BEFORE INSERT ON inbox
        WHEN EXISTS (SELECT 1 FROM inbox WHERE id = NEW.id)
        BEGIN
            SELECT RAISE(IGNORE);
        END;

        CREATE TRIGGER inbox_is_immutable
        BEFORE UPDATE ON inbox
        BEGIN
            SELECT RAISE(ABORT, 'an accepted package''s inbox row never changes');
        END;

        CREATE TRIGGER inbox_is_append_only
        BEFORE DELETE ON inbox
        BEGIN
            SELECT RAISE(ABORT, 'inbox rows are the replay guard and are never deleted');
        END;
        """

    /// A verified receipt outranks the expiry sweep. A small package stays
    /// `queued` while it is in flight, so the sweep could mark it `expired`
    /// between the recipient's acceptance and the recording of its receipt, and
    /// v1's trigger then refused the receipt: the store said "expired" of a
    /// package the peer holds, and the evidence was dropped. Now `expired` may
    /// still become `delivered` (the `CHECK` on `delivered_at` still holds), and
    /// nothing else; `delivered` stays final.
    static let v3 = """
        DROP TRIGGER delivery_final_is_final;
        CREATE TRIGGER delivery_final_is_final
        BEFORE UPDATE ON delivery
        WHEN OLD.state = 'delivered' OR (OLD.state = 'expired' AND NEW.state IS NOT 'delivered')
        BEGIN
            SELECT RAISE(ABORT, 'delivery is final: a delivered delivery never changes, an expired one only becomes delivered');
        END;
        """

    /// The audit journal (`AuditJournal`): the audit events of a store write,
    /// committed in the same transaction, until the audit log holds them. `seq`
    /// is never reused (AUTOINCREMENT), so the log's mark of how far it has taken
    /// this journal stays true after rows are deleted; `store_identity` names this
    /// database in that mark, so a replaced or restored store is not mistaken for it.
    static let v4 = """
        CREATE TABLE audit_journal (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            leaf BLOB NOT NULL CHECK (length(leaf) > 0)
        ) STRICT;
        CREATE TABLE store_identity (
            only INTEGER PRIMARY KEY CHECK (only = 0),
            id TEXT NOT NULL CHECK (length(id) = 32)
        ) STRICT;
        INSERT INTO store_identity (only, id) VALUES (0, lower(hex(randomblob(16))));
        CREATE TRIGGER store_identity_is_fixed BEFORE UPDATE ON store_identity
        BEGIN SELECT RAISE(ABORT, 'the store''s identity never changes'); END;
        """

    /// A package is its sender's: the inbox is keyed by (package id, the fingerprint
    /// that names the sender for life), no longer by the id alone. Ids are random, so
    /// an id one sender already used in another's package is an attempt to pre-empt
    /// it: keyed by the id alone, the first copy in (a partner that was a co-recipient,
    /// say) made the real one be refused. The row's `sender_key` is that life
    /// fingerprint; rows from before take the key they arrived under (the same one
    /// unless the sender rotated its keys before sending them; the receiver matches a
    /// peer's rows by any of its keys anyway). The table is rebuilt (a primary key
    /// cannot change), and its indexes and triggers made again as they were, the
    /// duplicate guard now per sender: the same first key or the same signing key.
    static let v5 = """
        CREATE TABLE inbox_v5 (
            id TEXT NOT NULL CHECK (\(isPackageID("id"))),
            sender_key TEXT NOT NULL CHECK (\(isFingerprint("sender_key"))),
            sender TEXT NOT NULL CHECK (sender <> ''),
            sender_fingerprint TEXT NOT NULL CHECK (\(isFingerprint("sender_fingerprint"))),
            path TEXT CHECK (path IS NULL OR path <> ''),
            size INTEGER NOT NULL CHECK (size >= 0),
            received_at INTEGER NOT NULL,
            tlp TEXT NOT NULL CHECK (tlp IN \(tlpLabels)),
            classification TEXT NOT NULL CHECK (classification <> ''),
            markings TEXT NOT NULL CHECK (markings <> ''),
            content_type TEXT NOT NULL CHECK (content_type <> ''),
            created INTEGER NOT NULL,
            expires INTEGER CHECK (expires IS NULL OR expires > created),
            receipt_body BLOB NOT NULL CHECK (length(receipt_body) > 0),
            receipt_signature BLOB NOT NULL CHECK (length(receipt_signature) > 0),
            body BLOB CHECK (body IS NULL OR (length(body) > 0 AND length(body) <= \(maximumInlineBytes))),
            CHECK ((path IS NULL) <> (body IS NULL)),
            CHECK (body IS NULL OR length(body) = size),
            PRIMARY KEY (id, sender_key)
        ) STRICT;
        INSERT INTO inbox_v5 (id, sender_key, sender, sender_fingerprint, path, size, received_at, tlp, classification, markings,
                              content_type, created, expires, receipt_body, receipt_signature, body)
            SELECT id, sender_fingerprint, sender, sender_fingerprint, path, size, received_at, tlp, classification, markings,
                   content_type, created, expires, receipt_body, receipt_signature, body FROM inbox;
        DROP TABLE inbox;
        ALTER TABLE inbox_v5 RENAME TO inbox;
        CREATE INDEX inbox_newest ON inbox(received_at DESC, id);
        -- Covers a peer's daily volume (sender, time, size) without reading any row.
        CREATE INDEX inbox_sender_volume ON inbox(sender_fingerprint, received_at, size);

        -- The same sender: the same first key, or the same key it sent under (a peer
        -- removed and imported again from its rotated card has a new first key).
        CREATE TRIGGER inbox_duplicate_is_ignored
        BEFORE INSERT ON inbox
        WHEN EXISTS (SELECT 1 FROM inbox WHERE id = NEW.id
                     AND (sender_key = NEW.sender_key OR sender_fingerprint = NEW.sender_fingerprint))
        BEGIN
            SELECT RAISE(IGNORE);
        END;

        CREATE TRIGGER inbox_is_immutable
        BEFORE UPDATE ON inbox
        BEGIN
            SELECT RAISE(ABORT, 'an accepted package''s inbox row never changes');
        END;

        CREATE TRIGGER inbox_is_append_only
        BEFORE DELETE ON inbox
        BEGIN
            SELECT RAISE(ABORT, 'inbox rows are the replay guard and are never deleted');
        END;
        """

    /// A delivery names the node it is for, not only the peer name: the lifelong
    /// fingerprint (first identity key) of the peer the name held when the package
    /// was queued. A node that later holds the name is another recipient; its sender
    /// never takes those deliveries. Rows queued before have none (any holder).
    static let v6 = """
        ALTER TABLE delivery ADD COLUMN recipient TEXT CHECK (recipient IS NULL OR (\(isFingerprint("recipient"))));

        CREATE TRIGGER delivery_recipient_is_fixed
        BEFORE UPDATE OF recipient ON delivery
        WHEN OLD.recipient IS NOT NEW.recipient
        BEGIN
            SELECT RAISE(ABORT, 'a delivery''s recipient never changes');
        END;
        """

    /// The outbox and the inbox are listed newest first, and within one second in
    /// the order the rows were written (rowid) instead of by package id. The listing
    /// indexes hold the time alone (SQLite files each entry under its rowid as
    /// well), so a new row's entry goes at the end of its index, next to the last
    /// one, rather than among the same second's ids at random: under load each
    /// commit wrote a page of each index per package or so, and now writes a few.
    /// The listings read the same indexes backwards.
    static let v7 = """
        DROP INDEX outbox_package_newest;
        CREATE INDEX outbox_package_newest ON outbox_package(created);
        DROP INDEX inbox_newest;
        CREATE INDEX inbox_newest ON inbox(received_at);
        """

    /// Package files are named relative to the home (``PackageFilePaths``). Rows
    /// written before hold whole paths (or paths from where the daemon ran, for a
    /// home given as a relative path), which a home copied, moved or restored
    /// elsewhere no longer finds; each becomes `outbox/<name>` or `inbox/<name>`.
    /// The rows are otherwise immutable, so the triggers that say so step aside
    /// for this one rewrite and are created again as they were.
    static func relativizePackagePaths(_ db: Database) throws {
        try db.execute(sql: "DROP TRIGGER outbox_package_is_immutable; DROP TRIGGER inbox_is_immutable;")
        for table in ["outbox_package", "inbox"] {
            let rows = try Row.fetchAll(db, sql: "SELECT rowid, path FROM \(table) WHERE path IS NOT NULL")
            for row in rows {
                let path: String = row["path"]
                guard let relative = PackageFilePaths.relativeForm(ofLegacy: path) else { continue }
                try db.execute(sql: "UPDATE \(table) SET path = ? WHERE rowid = ?", arguments: [relative, row["rowid"] as Int64])
            }
        }
        try db.execute(sql: """
            CREATE TRIGGER outbox_package_is_immutable
            BEFORE UPDATE ON outbox_package
            BEGIN
                SELECT RAISE(ABORT, 'a queued package never changes');
            END;

            CREATE TRIGGER inbox_is_immutable
            BEFORE UPDATE ON inbox
            BEGIN
                SELECT RAISE(ABORT, 'an accepted package''s inbox row never changes');
            END;
            """)
    }

    /// A peer's daily volume is summed by the fingerprint that names it for life
    /// (`sender_key`), not by the key each package came under: a peer that rotated
    /// its keys must not start its `bytes-per-day` again. The volume index covers
    /// that column instead (nothing else read by `sender_fingerprint` through it).
    static let v9 = """
        DROP INDEX inbox_sender_volume;
        CREATE INDEX inbox_sender_volume ON inbox(sender_key, received_at, size);
        """

    /// Each delivery carries its package's expiry (`package_expires`, the same
    /// value for its life, as the triggers hold), so the expiry sweep finds the
    /// queued deliveries that expired through an index of those alone
    /// (`delivery_expiring`) instead of joining every queued delivery with its
    /// package once a second: with a partner away for a day, 100,000 queued
    /// deliveries kept an idle daemon's core busy. The due-work
    /// looks need no join with the packages either. Rows written before take their
    /// package's expiry; final rows are otherwise immutable, so that trigger steps
    /// aside for this one rewrite and is created again as it was.
    static let v10 = """
        ALTER TABLE delivery ADD COLUMN package_expires INTEGER;

        DROP TRIGGER delivery_final_is_final;
        UPDATE delivery SET package_expires = (SELECT expires FROM outbox_package WHERE id = delivery.package_id);
        -- As v3 left it.
        CREATE TRIGGER delivery_final_is_final
        BEFORE UPDATE ON delivery
        WHEN OLD.state = 'delivered' OR (OLD.state = 'expired' AND NEW.state IS NOT 'delivered')
        BEGIN
            SELECT RAISE(ABORT, 'delivery is final: a delivered delivery never changes, an expired one only becomes delivered');
        END;

        CREATE TRIGGER delivery_expiry_is_its_package
        BEFORE INSERT ON delivery
        WHEN NEW.package_expires IS NOT (SELECT expires FROM outbox_package WHERE id = NEW.package_id)
        BEGIN
            SELECT RAISE(ABORT, 'a delivery''s package_expires is its package''s expiry');
        END;

        CREATE TRIGGER delivery_expiry_is_fixed
        BEFORE UPDATE OF package_expires ON delivery
        WHEN OLD.package_expires IS NOT NEW.package_expires
        BEGIN
            SELECT RAISE(ABORT, 'a delivery''s package_expires never changes');
        END;

        CREATE INDEX delivery_expiring ON delivery(package_expires) WHERE state = 'queued' AND package_expires IS NOT NULL;
        """

    /// An operator may remove the sealed file of a package sent in full
    /// (`liaison outbox prune`): every delivery closed (delivered, expired or
    /// failed), so nothing will read the file again; the row, its deliveries and
    /// receipts stay, as does the audit log. `pruned_at` says when. The row is
    /// otherwise as immutable as before: the only change the trigger allows is
    /// that one, once, to a package kept in a file with no open delivery; and no
    /// delivery of a pruned package opens again or is added.
    static let v11 = """
        ALTER TABLE outbox_package ADD COLUMN pruned_at INTEGER CHECK (pruned_at IS NULL OR path IS NOT NULL);

        DROP TRIGGER outbox_package_is_immutable;
        CREATE TRIGGER outbox_package_is_immutable
        BEFORE UPDATE ON outbox_package
        WHEN NOT (OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL AND OLD.path IS NOT NULL
                  AND NEW.id IS OLD.id AND NEW.path IS OLD.path AND NEW.body IS OLD.body AND NEW.size IS OLD.size
                  AND NEW.created IS OLD.created AND NEW.expires IS OLD.expires AND NEW.tlp IS OLD.tlp
                  AND NEW.markings IS OLD.markings AND NEW.sha IS OLD.sha)
        BEGIN
            SELECT RAISE(ABORT, 'a queued package never changes; only its file is pruned, once');
        END;

        CREATE TRIGGER outbox_package_pruned_when_closed
        BEFORE UPDATE OF pruned_at ON outbox_package
        WHEN EXISTS (SELECT 1 FROM delivery WHERE package_id = OLD.id AND state IN ('queued', 'sending'))
        BEGIN
            SELECT RAISE(ABORT, 'a package with an open delivery is never pruned');
        END;

        CREATE TRIGGER outbox_package_queued_unpruned
        BEFORE INSERT ON outbox_package
        WHEN NEW.pruned_at IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'a package is queued with its file; only later is it pruned');
        END;

        -- A pruned package's file is gone: none of its deliveries opens again.
        CREATE TRIGGER delivery_of_pruned_never_opens
        BEFORE UPDATE OF state ON delivery
        WHEN NEW.state IN ('queued', 'sending') AND OLD.state NOT IN ('queued', 'sending')
         AND EXISTS (SELECT 1 FROM outbox_package WHERE id = NEW.package_id AND pruned_at IS NOT NULL)
        BEGIN
            SELECT RAISE(ABORT, 'a pruned package''s delivery never opens again');
        END;

        CREATE TRIGGER delivery_of_pruned_never_added
        BEFORE INSERT ON delivery
        WHEN EXISTS (SELECT 1 FROM outbox_package WHERE id = NEW.package_id AND pruned_at IS NOT NULL)
        BEGIN
            SELECT RAISE(ABORT, 'a pruned package gets no new delivery');
        END;

        -- The packages that may yet be pruned: those whose files are kept.
        CREATE INDEX outbox_package_prunable ON outbox_package(created) WHERE pruned_at IS NULL AND path IS NOT NULL;
        """
}
