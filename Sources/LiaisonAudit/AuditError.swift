/// The one public error type of `LiaisonAudit`.
///
/// ``code`` is stable and machine-readable (tests and `--json` output use it);
/// ``message`` is written for the operator or auditor and says what to do. Neither
/// ever contains key material: only public values such as key names, key IDs,
/// tree sizes and line numbers.
public struct AuditError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable reasons. Raw values never change once released.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        // Merkle tree
        /// A hash was not 32 bytes (SHA-256).
        case invalidHashLength = "audit.invalid-hash-length"
        /// A hash source was asked for a leaf it does not hold.
        case leafIndexOutOfRange = "audit.leaf-index-out-of-range"
        /// A proof was requested for sizes or an index that do not describe one
        /// (index ≥ size, old size > new size, negative numbers).
        case invalidProofRequest = "audit.invalid-proof-request"
        /// A saved accumulator state does not match its tree size.
        case invalidAccumulatorState = "audit.invalid-accumulator-state"
        // Checkpoints
        /// A checkpoint body does not follow C2SP tlog-checkpoint.
        case malformedCheckpoint = "audit.malformed-checkpoint"
        /// A checkpoint's origin is not the name of the log key that signed it.
        case originMismatch = "audit.origin-mismatch"
        // Signed notes
        /// A signed note does not follow C2SP signed-note.
        case malformedNote = "audit.malformed-note"
        /// A signed note is larger than this implementation accepts.
        case noteTooLarge = "audit.note-too-large"
        /// A signed note carries more signature lines than this implementation accepts.
        case tooManySignatures = "audit.too-many-signatures"
        /// A key name is empty or contains a space, a plus sign or a control character.
        case invalidKeyName = "audit.invalid-key-name"
        /// A verifier key's text form is malformed.
        case malformedVerifierKey = "audit.malformed-verifier-key"
        /// A verifier key's declared key ID is not the one its name and key produce.
        case verifierKeyIDMismatch = "audit.verifier-key-id-mismatch"
        /// A verifier key names a signature type Liaison does not implement.
        case unsupportedSignatureType = "audit.unsupported-signature-type"
        /// Two configured verifier keys share a name and key ID.
        case ambiguousVerifierKey = "audit.ambiguous-verifier-key"
        /// A signature from a known key did not verify.
        case signatureInvalid = "audit.signature-invalid"
        /// No signature from a known key is present on a note.
        case noVerifiedSignature = "audit.no-verified-signature"
        // Cosignatures
        /// A cosignature payload is not key ID, 8-byte timestamp and 64-byte signature.
        case malformedCosignature = "audit.malformed-cosignature"
        /// A cosignature timestamp exceeds 2^63 − 1.
        case invalidTimestamp = "audit.invalid-timestamp"
        // Leaves
        /// A leaf is not the canonical encoding of an audit event.
        case malformedLeaf = "audit.malformed-leaf"
        // Proofs (C2SP tlog-proof)
        /// A tlog-proof does not follow C2SP tlog-proof v1 exactly.
        case malformedProof = "audit.malformed-proof"
        /// A tlog-proof names an entry index at or beyond its checkpoint's tree size.
        case proofIndexOutOfRange = "audit.proof-index-out-of-range"
        /// An inclusion proof does not lead from the leaf to the checkpoint's root.
        case inclusionFailed = "audit.inclusion-failed"
        /// Fewer distinct trusted witnesses cosigned a checkpoint than required.
        case insufficientWitnesses = "audit.insufficient-witnesses"
        // Export bundles
        /// An export bundle's target directory exists and is not empty.
        case bundleExists = "audit.bundle-exists"
        /// An export bundle file could not be created, written, read or synced.
        case bundleIO = "audit.bundle-io"
        /// An export bundle file does not have the layout `liaison audit export` writes.
        case malformedBundle = "audit.malformed-bundle"
    }

    /// Why the operation failed.
    public let code: Code
    /// What happened and what to do about it, for a person.
    public let message: String
    /// What exactly was wrong, without the advice ``message`` wraps it in, for a
    /// caller that knows better where the input came from (say, a file the user
    /// named rather than a log); nil when the message is all there is. Like
    /// ``message``, it quotes input only as `String.printable` shows it.
    public let detail: String?

    /// Creates an error; `message` and `detail` must be safe to print: no secrets,
    /// and any input they quote made `printable`.
    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    /// The message followed by the stable code, e.g. for logs.
    public var description: String { "\(message) [\(code.rawValue)]" }

    /// Two errors are equal when their codes are: messages are for people.
    public static func == (lhs: AuditError, rhs: AuditError) -> Bool { lhs.code == rhs.code }

    /// Hashes the code only, consistent with ``==(_:_:)``.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension AuditError {
    static func hashLength(_ what: String, _ actual: Int) -> AuditError {
        AuditError(
            .invalidHashLength,
            "\(what) is \(actual) bytes, not the 32 bytes of a SHA-256 hash; the data is corrupt or not from a Liaison audit log"
        )
    }

    static func malformedNote(_ detail: String) -> AuditError {
        AuditError(
            .malformedNote,
            "the signed note is malformed (\(detail)); it was altered or is not a C2SP signed note, so obtain a fresh copy from its source"
        )
    }

    static func malformedCheckpoint(_ detail: String) -> AuditError {
        AuditError(
            .malformedCheckpoint,
            "the checkpoint is malformed (\(detail)); it was altered or is not a C2SP tlog checkpoint, so obtain a fresh copy from the log"
        )
    }
}
