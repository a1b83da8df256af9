import Foundation
import GRDB
import LiaisonCore
@testable import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Schema and connection settings")
struct SchemaTests {
    @Test("every store table is STRICT, and the migrations are the known ones")
    func strictTables() throws {
        let fixture = try StoreFixture()
        let tables = try fixture.store.pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT name, strict FROM pragma_table_list
                WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations'
                ORDER BY name
                """).map { ($0["name"] as String, $0["strict"] as Int) }
        }
        #expect(tables.map(\.0) == ["audit_journal", "delivery", "inbox", "outbox_package", "peer_state", "receipt", "store_identity"])
        #expect(tables.allSatisfy { $0.1 == 1 })
        let migrations = try fixture.store.pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
        #expect(migrations == StoreFixture.migrations)
        let sql = try fixture.store.pool.read {
            try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'delivery'")
        }
        #expect(sql?.contains(") STRICT") == true)
    }

    @Test("the invariant triggers exist")
    func triggers() throws {
        let fixture = try StoreFixture()
        let names = try fixture.store.pool.read {
            try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        }
        #expect(Set(names).isSuperset(of: ["delivery_final_is_final", "receipt_needs_delivered", "inbox_duplicate_is_ignored",
                                           "inbox_is_immutable", "peer_handshake_only_forward", "outbox_package_is_immutable",
                                           "outbox_package_pruned_when_closed", "delivery_expiry_is_its_package",
                                           "delivery_expiry_is_fixed"]))
    }

    @Test("WAL, synchronous FULL, foreign keys on, busy timeout set")
    func pragmas() throws {
        let fixture = try StoreFixture()
        let writer = try fixture.store.pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"), try Int.fetchOne(db, sql: "PRAGMA synchronous"),
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA busy_timeout"))
        }
        #expect(writer.0 == "wal")
        #expect(writer.1 == 2)
        #expect(writer.2 == 1)
        #expect((writer.3 ?? 0) >= 1000)
        let reader = try fixture.store.pool.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA synchronous"), try Int.fetchOne(db, sql: "PRAGMA foreign_keys"))
        }
        #expect(reader.0 == 2)
        #expect(reader.1 == 1)
        // WAL is a property of the file: a second connection sees it too.
        let raw = try fixture.rawConnection()
        #expect(try raw.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test("the database file is created owner-only")
    func fileMode() throws {
        let fixture = try StoreFixture()
        var info = stat()
        #expect(stat(fixture.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test("opening in a node's home uses <home>/liaison.db")
    func homePath() throws {
        let directory = TemporaryDirectory(prefix: "liaison-store")
        let store = try NodeStore(home: NodeHome(path: directory.path))
        #expect(store.path == directory.path + "/liaison.db")
        #expect(directory.entries().contains("liaison.db"))
    }

    @Test("a database written by a newer schema is refused: store.unsupported-schema")
    func newerSchemaRefused() throws {
        let fixture = try StoreFixture()
        try fixture.rawConnection().write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999-from-the-future')") }
        let error = #expect(throws: StoreError.self) { _ = try fixture.reopen() }
        #expect(error?.code == .unsupportedSchema)
    }

    @Test("a file that is not a database is refused: store.corrupt")
    func notADatabase() throws {
        let directory = TemporaryDirectory(prefix: "liaison-store")
        let path = directory.write("liaison.db", Array(repeating: 0x41, count: 8192))
        let error = #expect(throws: StoreError.self) { _ = try NodeStore(path: path) }
        #expect(error?.code == .corrupt)
    }

    @Test("a missing home is refused: store.cannot-open")
    func missingHome() throws {
        let directory = TemporaryDirectory(prefix: "liaison-store")
        let error = #expect(throws: StoreError.self) { _ = try NodeStore(path: directory.file("missing/liaison.db")) }
        #expect(error?.code == .cannotOpen)
    }

    @Test("the schema's CHECKs refuse malformed rows written behind the store's back")
    func checks() throws {
        let fixture = try StoreFixture()
        let raw = try fixture.rawConnection()
        let insert = "INSERT INTO outbox_package (id, path, size, created, expires, tlp, markings) VALUES (?, '/p', 1, 100, ?, ?, 'x')"
        let bad: [StatementArguments] = [
            ["0123456789ABCDEF0123456789ABCDEF", nil, "RED"],  // upper-case hex
            ["0123", nil, "RED"],                               // too short
            [String(repeating: "0", count: 32), nil, "PURPLE"], // unknown TLP
            [String(repeating: "0", count: 32), 100, "RED"],    // expires at creation
        ]
        for arguments in bad {
            let error = #expect(throws: DatabaseError.self) { try raw.write { try $0.execute(sql: insert, arguments: arguments) } }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
        }
        // STRICT: text in an INTEGER column is refused.
        let error = #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: "INSERT INTO outbox_package (id, path, size, created, expires, tlp, markings, sha) VALUES (?, '/p', 'big', 100, NULL, 'RED', 'x', NULL)",
                                          arguments: [String(repeating: "0", count: 32)]) }
        }
        #expect(error?.resultCode == .SQLITE_CONSTRAINT)
        // A delivery needs its package (foreign key).
        #expect(throws: DatabaseError.self) {
            try raw.write { try $0.execute(sql: "INSERT INTO delivery (package_id, peer, next_attempt) VALUES (?, 'bob', 0)",
                                          arguments: [String(repeating: "1", count: 32)]) }
        }
    }
}
