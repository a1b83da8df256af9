/// The outcome of verifying an exported audit log: what was proven and every
/// problem found (see ``AuditLogVerifier`` and ``AuditBundle/verify(directory:trustedLogKey:trustedWitnesses:requiredWitnesses:trustedCheckpoint:)``).
///
/// ``description`` is the text `liaison audit verify` prints; the type is
/// `Codable` for `--json`.
public struct AuditVerificationReport: Hashable, Sendable, Codable, CustomStringConvertible {
    /// Where a key used for verification came from.
    public enum KeySource: String, Hashable, Sendable, Codable {
        /// The auditor gave it: trusted as far as the auditor trusts it.
        case provided
        /// It was read from the bundle itself: it proves only that the bundle is
        /// self-consistent until compared with the real key out of band.
        case bundle
        /// It was read from the node under examination (its daemon, or its
        /// liaison.toml and keyring): like ``bundle``, until compared out of band.
        case node
    }

    /// The newest checkpoint that verified and matched the entries.
    public struct CheckpointSummary: Hashable, Sendable, Codable {
        /// Its tree size: entries 0..<size are covered by its signature.
        public let size: Int
        /// Its root hash, in base64 as checkpoints write it.
        public let rootHash: String
        /// The distinct names of the trusted witnesses that cosigned it, sorted.
        public let cosigners: [String]
    }

    /// What a log a node began after another (`liaison audit new-log`) says of the
    /// one it follows, in its first entry (`log.started`).
    public struct Succession: Hashable, Sendable, Codable {
        /// The origin of the log it follows.
        public let origin: String
        /// How many entries that log held when it was closed, if known.
        public let closedAt: Int?
        /// Why, in its node's operator's words.
        public let reason: String
    }

    /// True when no failure was found.
    public let isValid: Bool
    /// The number of entries read.
    public let entries: Int
    /// How many checkpoints verified under the log key and matched the entries.
    public let checkpointsVerified: Int
    /// The newest of those, if any.
    public let newestCheckpoint: CheckpointSummary?
    /// Entries after the newest verified checkpoint: not a failure, but not yet
    /// covered by any signature.
    public let uncheckpointedEntries: Int
    /// The witness threshold applied to the newest verified checkpoint.
    public let requiredWitnesses: Int
    /// With a witness threshold: the size of the newest verified checkpoint that
    /// enough witnesses cosigned (entries from there on are not witnessed yet).
    public let witnessedSize: Int?
    /// The size of the auditor's trusted checkpoint, if one was given and is genuine.
    public let trustedCheckpointSize: Int?
    /// The log's verifier key that was used, in its text form; `nil` when no
    /// key was available and nothing could be verified.
    public let logKey: String?
    /// Where ``logKey`` came from.
    public var logKeySource: KeySource
    /// Where the witness keys came from.
    public var witnessKeySource: KeySource
    /// The first ``AuditLogVerifier/maximumStoredFailures`` failures, in the order found.
    public let failures: [AuditVerificationFailure]
    /// The number of failures found, including those not stored.
    public let failureCount: Int
    /// Set for a log its node began after another: the history before it is in that one.
    public var succeeds: Succession? = nil

    /// What a "VERIFIED" headline does not vouch for: a log key that came from what
    /// is being verified, entries no verified checkpoint covers, or (with a witness
    /// threshold) that not enough witnesses cosigned. Empty when there is none.
    var coverageCaveat: String {
        var clauses: [String] = []
        if logKeySource != .provided {
            clauses.append("against the log key read from the \(logKeySource == .bundle ? "bundle" : "node") itself")
        }
        if let witnessedSize, witnessedSize < entries {
            clauses.append("only entries 0..<\(witnessedSize) of \(entries) are witnessed by \(requiredWitnesses)+ witnesses")
        } else if uncheckpointedEntries > 0 {
            clauses.append("\(uncheckpointedEntries) of \(entries) entries are not yet covered by a checkpoint")
        }
        return clauses.isEmpty ? "" : ", but " + clauses.joined(separator: ", and ") + " (see below)"
    }

    /// The report as text for people, one fact per line.
    public var description: String {
        var lines = [isValid ? "VERIFIED: no problem found" + coverageCaveat : "FAILED: \(failureCount) problem\(failureCount == 1 ? "" : "s") found"]
        lines.append("entries: \(entries)")
        lines.append("checkpoints verified: \(checkpointsVerified)")
        if let newest = newestCheckpoint {
            let cosigners = newest.cosigners.isEmpty ? "no witness" : newest.cosigners.joined(separator: ", ")
            lines.append("newest verified checkpoint: size \(newest.size), root \(newest.rootHash), cosigned by \(cosigners)")
        } else {
            lines.append("newest verified checkpoint: none")
        }
        if uncheckpointedEntries > 0 {
            lines.append("entries not yet covered by a checkpoint: \(uncheckpointedEntries) (\(entries - uncheckpointedEntries)..<\(entries))")
        }
        if let witnessedSize {
            lines.append("witnessed by \(requiredWitnesses)+ witnesses: entries 0..<\(witnessedSize)"
                         + (witnessedSize < entries ? "; \(witnessedSize)..<\(entries) not yet" : ""))
        }
        if let trustedCheckpointSize {
            lines.append("trusted checkpoint: size \(trustedCheckpointSize)")
        }
        if let succeeds {
            lines.append("began after: \(succeeds.origin)" + (succeeds.closedAt.map { ", closed at \($0) entries" } ?? ", lost")
                         + " (the history before this log is there, not here; its node's operator said: \(succeeds.reason.debugDescription))")
        }
        lines.append("log key: \(logKey ?? "none")")
        if logKeySource != .provided {
            lines.append("  (read from the \(logKeySource == .bundle ? "bundle" : "node") itself: compare it with the log's key obtained out of band, or pass the key you trust)")
        }
        if witnessKeySource != .provided {
            lines.append("witness keys: read from the \(witnessKeySource == .bundle ? "bundle" : "node") itself; compare them with the witnesses' keys obtained out of band")
        }
        // A run of one kind of problem (a truncated file gives one per checkpoint) is
        // shown by its first three and a count; --json keeps every one.
        var index = failures.startIndex
        while index < failures.endIndex {
            let run = failures[index...].prefix { $0.code == failures[index].code }
            for failure in run.prefix(3) { lines.append("- \(failure)") }
            if run.count > 3 { lines.append("- … and \(run.count - 3) more like these [\(failures[index].code.rawValue)]") }
            index += run.count
        }
        if failureCount > failures.count {
            lines.append("- … and \(failureCount - failures.count) more")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
