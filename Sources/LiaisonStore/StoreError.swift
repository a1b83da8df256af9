import GRDB

/// The one public error type of `LiaisonStore`.
///
/// ``code`` is stable and machine-readable (tests, logs and `--json` output use
/// it); ``message`` is written for the operator and says what to do. Neither
/// ever contains package contents, receipt bytes or key material: SQLite's own
/// diagnostics are kept out of the message, in ``diagnostics``.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable reasons. Raw values never change once released.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The database file could not be opened, created or migrated.
        case cannotOpen = "store.cannot-open"
        /// The database was written by a newer Liaison whose schema this one does not know.
        case unsupportedSchema = "store.unsupported-schema"
        /// The database file is damaged, or a row holds a value the schema forbids.
        case corrupt = "store.corrupt"
        /// Another process held the database locked for longer than the busy timeout.
        case busy = "store.busy"
        /// The disk is full.
        case diskFull = "store.disk-full"
        /// Reading or writing the database file failed.
        case io = "store.io"
        /// The schema refused the change: it would break one of its invariants.
        case constraint = "store.constraint"
        /// The operation names a package, delivery or peer the store does not hold.
        case notFound = "store.not-found"
        /// The operation is not allowed in the record's current state (e.g. a delivered delivery).
        case conflict = "store.conflict"
        /// A package with this id is already in the outbox.
        case duplicate = "store.duplicate"
        /// An argument is outside what the store accepts (e.g. no recipients).
        case invalidArgument = "store.invalid-argument"
        /// The audit events of a write cannot reach the audit log (``AuditJournal``):
        /// nothing was written. The message says why the log cannot be written.
        case auditUnavailable = "store.audit-unavailable"
    }

    /// Why the operation failed.
    public let code: Code
    /// What happened and what to do about it, for a person.
    public let message: String
    /// SQLite's result code and message, for logs at debug level; never shown by default.
    public let diagnostics: String?

    /// Creates an error; `message` must be safe to print (no secrets, no package contents).
    public init(_ code: Code, _ message: String, diagnostics: String? = nil) {
        self.code = code
        self.message = message
        self.diagnostics = diagnostics
    }

    /// The operator-facing message.
    public var description: String { message }

    /// Two errors are equal when their codes are: messages are for people.
    public static func == (lhs: StoreError, rhs: StoreError) -> Bool { lhs.code == rhs.code }
    /// Hashes the code only, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension StoreError {
    /// Turns whatever an operation threw into a `StoreError`; `action` completes
    /// "could not …" for the operator (e.g. "enqueue package 0a1b…"), and `file` names
    /// the database file a damaged one would be restored as (its path, or its name in the home).
    static func wrapping(_ error: any Error, while action: String, in file: String = NodeStore.fileName) -> StoreError {
        if let error = error as? StoreError { return error }
        if error is RowDecodingError {
            // Its description quotes the whole row, so only the fact is kept.
            return StoreError(.corrupt, "could not \(action): a row holds a value of the wrong type, so \(file) was edited by hand or damaged; restore it from a backup")
        }
        guard let error = error as? DatabaseError else {
            return StoreError(.io, "could not \(action): \(error)")
        }
        // SQLite messages name tables and constraints, never bound values.
        let diagnostics = "SQLite \(error.extendedResultCode.rawValue): \(error.message ?? "no message")"
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(.busy, "could not \(action): the database is locked by another process; retry, or stop the other process",
                              diagnostics: diagnostics)
        case .SQLITE_FULL:
            return StoreError(.diskFull, "could not \(action): the disk holding the database is full; free space and retry",
                              diagnostics: diagnostics)
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError(.corrupt, "could not \(action): the database file is damaged; restore \(file) from a backup",
                              diagnostics: diagnostics)
        case .SQLITE_CONSTRAINT:
            return StoreError(.constraint, "could not \(action): the change would break the store's consistency (\(error.message ?? "constraint failed"))",
                              diagnostics: diagnostics)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            return StoreError(.cannotOpen, "could not \(action): the database file cannot be opened for writing; check the permissions of the node's home",
                              diagnostics: diagnostics)
        default:
            return StoreError(.io, "could not \(action): the database reported an error (\(error.resultCode.rawValue))",
                              diagnostics: diagnostics)
        }
    }

    /// A row that the schema should have made impossible.
    static func corruptRow(_ table: String, _ detail: String) -> StoreError {
        StoreError(.corrupt, "a row of \(table) holds \(detail); the database was altered outside Liaison — restore liaison.db from a backup")
    }
}
