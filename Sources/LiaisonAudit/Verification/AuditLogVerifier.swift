/// Verifies an exported audit log offline, one entry at a time.
///
/// Feed every entry in log order with ``append(leaf:)-(UnsafeRawBufferPointer)``,
/// then call ``finish()``. The verifier recomputes the tree with a
/// ``MerkleAccumulator`` (memory grows with the number of checkpoints, not of
/// entries) and, whenever it reaches a checkpoint's size, compares roots, so it
/// can say which range of entries was tampered with. It never throws for
/// anything found in the log: every problem becomes a named
/// ``AuditVerificationFailure`` in the report and verification carries on.
///
/// What it proves: every checkpoint that opens under the log key either matches
/// the entries or is reported; the log key never signed two trees of one size;
/// the auditor's own earlier checkpoint (if given) is a prefix of this log; and
/// the newest verified checkpoint carries enough witness cosignatures.
public struct AuditLogVerifier: Sendable {
    /// The most failures a report stores; later ones are only counted.
    public static let maximumStoredFailures = 100

    let logKey: NoteVerifierKey
    /// What the log follows, from its first entry, if it is a log its node began after another.
    var succeeds: AuditVerificationReport.Succession?
    let witnessKeys: [NoteVerifierKey]
    /// Whether the log's own key was among the witness keys given (it never counts).
    let givenOwnKey: Bool
    let requiredWitnesses: Int
    private var accumulator = MerkleAccumulator()
    /// Roots to compare against, by size ascending.
    private var expectations: [ExpectedRoot]
    private var nextExpectation = 0
    /// The size of the last checkpoint the entries matched: where the range of
    /// suspect entries of the next mismatch starts.
    private var lastMatchedSize = 0
    private var newestMatched: ExpectedRoot?
    /// The newest verified checkpoint carrying at least `requiredWitnesses` cosignatures.
    private var newestWitnessed: ExpectedRoot?
    private var checkpointsVerified = 0
    private var trustedCheckpointSize: Int?
    private var hasLogCheckpoint = false
    /// Checkpoints ignored because they name another log than the key given: the
    /// first one's origin and how many (a wrong `--log-key` is said once, not per checkpoint).
    var otherLogCheckpoints: (origin: String, count: Int)?
    /// Names on cosignature lines of the log's checkpoints that no witness key given
    /// verifies (another witness, or a key given wrongly).
    var otherCosigners: Set<String> = []
    /// Whether any witness key given verified a cosignature on some checkpoint.
    var givenCosigned = false
    /// Names of given witnesses whose cosignature lines their given key does not verify.
    var wrongKeyCosigners: Set<String> = []
    /// Whether entries after the newest verified checkpoint are a failure
    /// (``AuditVerificationFailure/Code/unsignedEntries``) rather than only
    /// reported: so for a bundle, which an export ends at a checkpoint.
    var unsignedEntriesFail = false
    private(set) var failures = FailureLog()

    /// A verifier for the log whose key is `logKey`.
    ///
    /// - Parameters:
    ///   - witnesses: the witnesses' verifier keys the auditor trusts.
    ///   - requiredWitnesses: how many distinct witnesses must have cosigned the
    ///     newest verified checkpoint (0 for none).
    ///   - checkpoints: signed checkpoint notes, in any order. One that does not
    ///     open under `logKey` is reported, not thrown.
    ///   - checkpointNames: a name per checkpoint for messages (e.g. its file
    ///     name); by default "checkpoint 1", "checkpoint 2", ….
    ///   - trustedCheckpoint: a checkpoint the auditor kept from an earlier
    ///     audit; it must open under `logKey`, and the log must extend it.
    ///
    /// Throws only for unusable keys given by the caller: a `logKey` that is not
    /// an Ed25519 log key, or two witness keys with one name and key ID.
    public init(
        logKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = [], requiredWitnesses: Int = 0,
        checkpoints: [[UInt8]], checkpointNames: [String]? = nil, trustedCheckpoint: [UInt8]? = nil
    ) throws {
        try self.init(
            logKey: logKey, witnesses: witnesses, requiredWitnesses: requiredWitnesses, checkpoints: checkpoints,
            checkpointNames: checkpointNames, trustedCheckpoint: trustedCheckpoint, earlierFailures: FailureLog()
        )
    }

    /// The public initializer, reporting `earlierFailures` (e.g. a bundle's
    /// unreadable files) before anything the verifier finds.
    init(
        logKey: NoteVerifierKey, witnesses: [NoteVerifierKey], requiredWitnesses: Int,
        checkpoints: [[UInt8]], checkpointNames: [String]?, trustedCheckpoint: [UInt8]?, earlierFailures: FailureLog
    ) throws {
        precondition(requiredWitnesses >= 0, "a witness threshold cannot be negative")
        precondition(checkpointNames == nil || checkpointNames?.count == checkpoints.count, "one name per checkpoint")
        guard logKey.type == .ed25519 else {
            throw AuditError(
                .unsupportedSignatureType,
                "\(logKey.name) is a cosigner key, not a log key; give the log's own verifier key (type 1)"
            )
        }
        self.logKey = logKey
        self.witnessKeys = WitnessPolicy.keys(witnesses, excluding: logKey)
        self.givenOwnKey = witnesses.contains { $0.publicKey == logKey.publicKey }
        self.requiredWitnesses = requiredWitnesses
        self.failures = earlierFailures
        _ = try NoteVerifierSet([logKey] + witnessKeys)
        self.expectations = []

        var opened: [ExpectedRoot] = []
        for (number, bytes) in checkpoints.enumerated() {
            let label = checkpointNames?[number] ?? "checkpoint \(number + 1)"
            if let checkpoint = openCheckpoint(bytes, label: label) {
                opened.append(checkpoint)
            }
        }
        if let other = otherLogCheckpoints, other.count > 1 {
            record(AuditVerificationFailure(
                .checkpointInvalid,
                message: "\(other.count - 1) more checkpoint(s) of \(other.origin) were ignored likewise"
            ))
        }
        hasLogCheckpoint = !opened.isEmpty
        expectations = mergeAndDetectForks(opened)
        if let trustedCheckpoint, let trusted = openTrustedCheckpoint(trustedCheckpoint) {
            trustedCheckpointSize = trusted.size
            expectations.append(trusted)
        }
        expectations.sort { $0.size < $1.size }
        compareRootsAtCurrentSize()
    }

    /// The number of entries appended so far; the next entry's index.
    public var entryCount: Int { accumulator.size }

    /// Appends the next entry: its leaf bytes, without the newline of `leaves.jsonl`.
    public mutating func append(leaf: UnsafeRawBufferPointer) {
        let entry = accumulator.size
        if entry == 0, NodeLogNames.family(of: logKey.name) != logKey.name { readSuccession(leaf) }
        if !CanonicalLeafScanner.isCertainlyCanonical(leaf) {
            do {
                _ = try AuditEvent(canonicalBytes: Array(leaf))
            } catch {
                let reason = (error as? AuditError)?.message ?? "it cannot be decoded"
                record(AuditVerificationFailure(.entryMalformed, entry: entry, message: "entry \(entry): \(reason)"))
            }
        }
        appendHash(MerkleHasher.leafHash(leaf))
    }

    /// Appends the next entry from an array.
    public mutating func append(leaf: [UInt8]) {
        leaf.withUnsafeBytes { append(leaf: $0) }
    }

    /// A log a node began after another (its key's name has a label) opens with
    /// `log.started`, which says what it follows: read into the report, so that an
    /// auditor holding this log alone is told the history before it is elsewhere.
    private mutating func readSuccession(_ leaf: UnsafeRawBufferPointer) {
        guard let event = try? AuditEvent(canonicalBytes: Array(leaf)), event.kind == .logStarted else {
            record(AuditVerificationFailure(.entryMalformed, entry: 0,
                message: "entry 0: \(logKey.name) is a log its node began after another, and such a log opens with log.started, which says what it follows; this one does not"))
            return
        }
        // Its beginning is the log key's to sign, and it follows an earlier log of the same node.
        let family = NodeLogNames.family(of: logKey.name)
        guard let (statement, signature) = LogSuccessionStatement.recorded(in: event, origin: logKey.name),
              statement.isSigned(signature, by: logKey.publicKey),
              let earlier = NodeLogNames.label(of: statement.succeeds, family: family),
              let label = NodeLogNames.label(of: logKey.name, family: family), NodeLogNames.isLater(label, than: earlier) else {
            record(AuditVerificationFailure(.entryMalformed, entry: 0,
                message: "entry 0: the log.started that begins \(logKey.name) is not signed by its log key, or does not name an earlier log of the same node: this log was not begun by its node's `liaison audit new-log`"))
            return
        }
        succeeds = .init(origin: statement.succeeds, closedAt: statement.succeededSize, reason: event.details["reason"] ?? "")
    }

    /// Appends an entry that could not be read as a leaf (e.g. a line too long
    /// to hold), given its leaf hash so that the tree still computes.
    mutating func appendUnreadable(leafHash: [UInt8], failure: AuditVerificationFailure) {
        record(failure)
        appendHash(leafHash)
    }

    /// Records a problem found outside the entries (e.g. in a bundle's files).
    mutating func record(_ failure: AuditVerificationFailure) {
        failures.record(failure)
    }

    private mutating func appendHash(_ leafHash: [UInt8]) {
        do {
            try accumulator.append(leafHash: leafHash)
        } catch {
            preconditionFailure("a SHA-256 leaf hash is 32 bytes")
        }
        if nextExpectation < expectations.count, expectations[nextExpectation].size == accumulator.size {
            compareRootsAtCurrentSize()
        }
    }

    /// Compares the tree's root with every expectation at the current size.
    private mutating func compareRootsAtCurrentSize() {
        let size = accumulator.size
        guard nextExpectation < expectations.count, expectations[nextExpectation].size == size else { return }
        let root = accumulator.root
        let suspectFrom = lastMatchedSize
        while nextExpectation < expectations.count, expectations[nextExpectation].size == size {
            let expected = expectations[nextExpectation]
            nextExpectation += 1
            if expected.root == root {
                lastMatchedSize = size
                if !expected.isTrusted {
                    checkpointsVerified += expected.labels.count
                    newestMatched = expected
                    if WitnessPolicy.distinctNames(expected.cosignatures).count >= requiredWitnesses {
                        newestWitnessed = expected
                    }
                }
            } else if expected.isTrusted {
                record(AuditVerificationFailure(
                    .fork, checkpointSize: size, checkpoint: expected.label,
                    message: "the entries 0..<\(size) do not match the trusted checkpoint at size \(size) that you kept: the log's history was rewritten or forked since you saved it; keep your checkpoint as evidence"
                ))
            } else if size == 0 {
                record(AuditVerificationFailure(
                    .rootMismatch, checkpointSize: 0, checkpoint: expected.label,
                    message: "\(expected.label) at size 0 does not carry the root of the empty tree: the log key signed a false statement"
                ))
            } else {
                record(AuditVerificationFailure(
                    .rootMismatch, checkpointSize: size, checkpoint: expected.label,
                    message: "\(expected.label) at size \(size) does not match the entries: an entry in \(suspectFrom)..<\(size) was changed, removed, inserted or reordered"
                ))
            }
        }
    }

    /// The report for the entries appended so far.
    public func finish() -> AuditVerificationReport {
        var failures = self.failures
        let entries = accumulator.size
        for expected in expectations[nextExpectation...] {
            let message: String
            if expected.isTrusted {
                // Kept after the export, or the log was cut back: the auditor tells which.
                message = "truncated: the trusted checkpoint you kept is at size \(expected.size) but only \(entries) entries are present: either this copy was taken before that checkpoint (a bundle exported earlier: export again and verify the new one), or \(expected.size - entries) entries were removed since (a root mismatch at an earlier checkpoint then shows where)"
            } else {
                message = "truncated: \(expected.label) is at size \(expected.size) but only \(entries) entries are present; \(expected.size - entries) were removed, from the end of the log or from within it (a root mismatch at an earlier checkpoint then shows where)"
            }
            failures.record(AuditVerificationFailure(.truncated, checkpointSize: expected.size, checkpoint: expected.label, message: message))
        }
        var summary: AuditVerificationReport.CheckpointSummary?
        // Past the largest genuine checkpoint (whether its root matched or not, which
        // is reported above), no signature covers an entry.
        if unsignedEntriesFail, let signedEnd = expectations.last, entries > signedEnd.size {
            failures.record(AuditVerificationFailure(
                .unsignedEntries, entry: signedEnd.size, checkpointSize: signedEnd.size, checkpoint: signedEnd.label,
                message: "entries \(signedEnd.size)..<\(entries) follow the newest checkpoint and are signed by nobody: an export ends at a checkpoint, so they were added to the bundle afterwards, or the node could not sign when it was exported (the export then warned); export again, or pass --allow-unsigned to check them as unsigned"
            ))
        }
        if let newest = newestMatched {
            let cosigners = WitnessPolicy.distinctNames(newest.cosignatures)
            summary = .init(size: newest.size, rootHash: Base64.encode(newest.root), cosigners: cosigners)
            // Witnesses cosign after the log signs, so the newest checkpoint is often not
            // cosigned yet: what must hold is that some verified checkpoint is.
            if newestWitnessed == nil, requiredWitnesses > 0 {
                failures.record(AuditVerificationFailure(
                    .insufficientWitnesses, checkpointSize: newest.size, checkpoint: newest.label,
                    message: witnessShortfall(cosigners.count, size: newest.size)
                ))
            }
        } else if !hasLogCheckpoint, entries > 0 || requiredWitnesses > 0 {
            failures.record(AuditVerificationFailure(
                .noCheckpoint,
                message: otherLogCheckpoints.map { other in
                    "no checkpoint signed by log key \(logKey.name) was found: the checkpoints here are of \(other.origin), another log, so the log key given is likely not this log's (its node prints its own with \"liaison keys show\"); none of the \(entries) entries is covered by a signature you trust"
                } ?? "no checkpoint signed by log key \(logKey.name) was found, so none of the \(entries) entries is covered by the log's signature (a bundle: export it again with its checkpoints; a live log or database: have the daemon sign one, `liaison audit checkpoint`)"
            ))
        }
        return AuditVerificationReport(
            isValid: failures.total == 0,
            entries: entries,
            checkpointsVerified: checkpointsVerified,
            newestCheckpoint: summary,
            uncheckpointedEntries: entries - (newestMatched?.size ?? 0),
            requiredWitnesses: requiredWitnesses,
            witnessedSize: requiredWitnesses > 0 ? newestWitnessed?.size : nil,
            trustedCheckpointSize: trustedCheckpointSize,
            logKey: logKey.description,
            logKeySource: .provided,
            witnessKeySource: .provided,
            failures: failures.stored,
            failureCount: failures.total,
            succeeds: succeeds
        )
    }

    private func witnessShortfall(_ have: Int, size: Int) -> String {
        let others = wrongKeyCosigners.isEmpty ? otherCosigners.sorted() : wrongKeyCosigners.sorted()
        let hint = requiredWitnesses > witnessKeys.count
            ? "only \(witnessKeys.count) witness keys were given\(givenOwnKey ? " (the log's own key, also given, never counts: a log does not witness itself)" : ""), so give more witnesses' keys or lower the threshold"
            : !others.isEmpty && (!givenCosigned || !wrongKeyCosigners.isEmpty)
            ? "the checkpoints carry cosignatures by \(others.joined(separator: ", ")), which no witness key given verifies: check that the keys given (\(witnessKeys.map(\.name).joined(separator: ", "))) are those witnesses' (each prints its own with \"liaison keys show\")"
            : "wait until the witnesses have cosigned a newer checkpoint and export again, or find out why they have not"
        return "no verified checkpoint carries \(requiredWitnesses) witness cosignatures (the newest, of size \(size), carries \(have)); \(hint)"
    }
}
