/// One problem found while verifying an exported audit log.
///
/// ``code`` is stable for scripts (`liaison audit verify --json`); ``message``
/// is for the auditor and says what was found and where. Messages name entry
/// indices, tree sizes and checkpoint files, never key material.
public struct AuditVerificationFailure: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Stable kinds of failure. Raw values never change once released.
    public enum Code: String, Hashable, Sendable, Codable, CaseIterable {
        /// An entry is not the canonical encoding of an audit event.
        case entryMalformed = "verify.entry-malformed"
        /// A line of `leaves.jsonl` is longer than any leaf may be.
        case entryTooLong = "verify.entry-too-long"
        /// `leaves.jsonl` does not end with a newline: the file was cut short.
        case missingFinalNewline = "verify.missing-final-newline"
        /// A genuine checkpoint's root is not the root of the entries: an entry
        /// was changed, removed, inserted or reordered.
        case rootMismatch = "verify.root-mismatch"
        /// A genuine checkpoint covers more entries than the log holds.
        case truncated = "verify.truncated"
        /// The log key signed two different trees of one size, or the entries
        /// differ from a checkpoint the auditor kept.
        case fork = "verify.fork"
        /// A checkpoint is malformed, not signed by the log key, or names another log.
        case checkpointInvalid = "verify.checkpoint-invalid"
        /// A trusted witness's cosignature on a genuine checkpoint does not verify.
        case cosignatureInvalid = "verify.cosignature-invalid"
        /// The newest verified checkpoint has too few witness cosignatures.
        case insufficientWitnesses = "verify.insufficient-witnesses"
        /// No checkpoint signed by the log key covers the entries.
        case noCheckpoint = "verify.no-checkpoint"
        /// The bundle's `log.vkey` is not the log key the auditor trusts.
        case logKeyMismatch = "verify.log-key-mismatch"
        /// A bundle file is missing, unreadable or not in the bundle layout.
        case bundleInvalid = "verify.bundle-invalid"
        /// A bundle holds entries after its newest checkpoint: signed by nobody,
        /// though an export ends at a checkpoint.
        case unsignedEntries = "verify.unsigned-entries"
    }

    /// What kind of problem it is.
    public let code: Code
    /// The entry (zero-based index, line number minus one) it concerns, if one.
    public let entry: Int?
    /// The tree size of the checkpoint it concerns; for a checkpoint that did
    /// not verify, the size it claims.
    public let checkpointSize: Int?
    /// Which checkpoint it concerns: its file name, or a description such as
    /// "the trusted checkpoint".
    public let checkpoint: String?
    /// What was found, for a person.
    public let message: String

    /// A failure; `message` must hold no secret. It and `checkpoint` may quote
    /// what was verified (a file name, a decoded string), so control characters
    /// in them are shown as `?`: a crafted entry cannot write to the auditor's
    /// terminal.
    public init(_ code: Code, entry: Int? = nil, checkpointSize: Int? = nil, checkpoint: String? = nil, message: String) {
        self.code = code
        self.entry = entry
        self.checkpointSize = checkpointSize
        self.checkpoint = checkpoint?.printable
        self.message = message.printable
    }

    /// The message followed by the stable code.
    public var description: String { "\(message) [\(code.rawValue)]" }
}

/// The failures of one verification: the first ``AuditLogVerifier/maximumStoredFailures``
/// kept, the rest only counted, so that a log of garbage cannot exhaust memory.
struct FailureLog: Sendable {
    private(set) var stored: [AuditVerificationFailure] = []
    private(set) var total = 0

    mutating func record(_ failure: AuditVerificationFailure) {
        total += 1
        if stored.count < AuditLogVerifier.maximumStoredFailures { stored.append(failure) }
    }
}
