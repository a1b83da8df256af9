extension AuditBundle {
    /// Verifies the bundle at `directory` and reports everything found.
    ///
    /// - Parameters:
    ///   - trustedLogKey: the log key the auditor trusts. If `nil`, the bundle's
    ///     `log.vkey` is used and the report says so
    ///     (``AuditVerificationReport/logKeySource`` is `.bundle`): the result then
    ///     only means the bundle is self-consistent until that key is compared
    ///     with the real one out of band.
    ///   - trustedWitnesses: the witness keys the auditor trusts; if `nil`, the
    ///     bundle's `witnesses.vkey`, reported the same way.
    ///   - requiredWitnesses: how many distinct witnesses must have cosigned the
    ///     newest verified checkpoint.
    ///   - trustedCheckpoint: a checkpoint the auditor kept from an earlier audit.
    ///   - allowUnsignedEntries: report entries after the newest checkpoint rather
    ///     than fail them (``AuditVerificationFailure/Code/unsignedEntries``): an
    ///     export ends at a checkpoint unless the node could not sign one then.
    ///   - progress: told after each entry how many were read, and how many the
    ///     newest checkpoint claims (nil if none is readable).
    ///
    /// Problems with the bundle (missing or malformed files, tampered entries,
    /// bad checkpoints) are failures in the report; it throws only when a key the
    /// caller gave is unusable (see ``AuditLogVerifier/init(logKey:witnesses:requiredWitnesses:checkpoints:checkpointNames:trustedCheckpoint:)``).
    public static func verify(
        directory: String, trustedLogKey: NoteVerifierKey?, trustedWitnesses: [NoteVerifierKey]? = nil,
        requiredWitnesses: Int = 0, trustedCheckpoint: [UInt8]? = nil, allowUnsignedEntries: Bool = false,
        progress: (_ entries: Int, _ expected: Int?) -> Void = { _, _ in }
    ) throws -> AuditVerificationReport {
        let reader = AuditBundleReader(directory: directory)
        var problems = FailureLog()

        let bundleLogKey: NoteVerifierKey?
        do {
            bundleLogKey = try reader.logKey()
        } catch {
            bundleLogKey = nil
            problems.record(bundleFailure(error))
        }
        // A node's log key as its operator prints it is named after its first log; it
        // verifies the logs the node began after that one (`audit new-log`) too.
        let trustedLogKey = trustedLogKey.map { key in bundleLogKey.flatMap { NodeLogNames.logKey(key, for: $0.name) } ?? key }
        guard let logKey = trustedLogKey ?? bundleLogKey else {
            return unverifiable(problems, requiredWitnesses: requiredWitnesses, witnessKeySource: trustedWitnesses == nil ? .bundle : .provided)
        }
        if let trustedLogKey, let bundleLogKey, bundleLogKey != trustedLogKey {
            problems.record(AuditVerificationFailure(
                .logKeyMismatch,
                message: "\(logKeyFile) holds key \(bundleLogKey.name)+\(bundleLogKey.keyID.keyIDHex), not the trusted log key \(trustedLogKey.name)+\(trustedLogKey.keyID.keyIDHex): the bundle is of another log, or the log's key was replaced"
            ))
        }

        var witnesses = trustedWitnesses ?? []
        if trustedWitnesses == nil {
            do {
                witnesses = try reader.witnessKeys()
                _ = try NoteVerifierSet([logKey] + WitnessPolicy.keys(witnesses, excluding: logKey))
            } catch {
                witnesses = []
                problems.record(bundleFailure(error))
            }
        }

        var names: [String] = []
        var notes: [[UInt8]] = []
        var held = 0
        // What the newest checkpoint claims: the entries a whole bundle holds (for progress only).
        var expected: Int?
        for name in checkpointNames(reader, &problems) {
            let label = checkpointsDirectory + "/" + name.printable
            do {
                let bytes = try reader.checkpoint(named: name)
                // Every checkpoint is held until the leaves are read: a bundle cannot make that unbounded.
                held += bytes.count
                guard held <= maximumCheckpointBytes else {
                    problems.record(AuditVerificationFailure(
                        .bundleInvalid, checkpoint: label,
                        message: "the bundle's checkpoints exceed \(maximumCheckpointBytes >> 20) MiB in all; the rest were not read (a log's checkpoints are a few KiB each)"
                    ))
                    break
                }
                let claimed = AuditLogVerifier.claimed(bytes)?.size
                if let claimed, let named = checkpointSize(fileName: name), claimed != named {
                    problems.record(AuditVerificationFailure(
                        .bundleInvalid, checkpointSize: claimed, checkpoint: label,
                        message: "\(label) holds a checkpoint of size \(claimed), not \(named): the file was renamed or replaced"
                    ))
                }
                if let claimed { expected = max(expected ?? claimed, claimed) }
                names.append(label)
                notes.append(bytes)
            } catch {
                problems.record(bundleFailure(error, checkpoint: label))
            }
        }

        var verifier = try AuditLogVerifier(
            logKey: logKey, witnesses: witnesses, requiredWitnesses: requiredWitnesses,
            checkpoints: notes, checkpointNames: names, trustedCheckpoint: trustedCheckpoint, earlierFailures: problems
        )
        verifier.unsignedEntriesFail = !allowUnsignedEntries
        do {
            try reader.scanLeaves { line in
                defer { progress(verifier.entryCount, expected) }
                let entry = verifier.entryCount
                let isTerminated = switch line {
                case .leaf(_, let terminated), .oversized(_, _, let terminated): terminated
                }
                if !isTerminated {
                    verifier.record(AuditVerificationFailure(
                        .missingFinalNewline, entry: entry,
                        message: "entry \(entry): the last line of \(leavesFile) does not end with a newline, so the file was cut short; export the log again"
                    ))
                }
                switch line {
                case .leaf(let bytes, _):
                    verifier.append(leaf: bytes)
                case .oversized(let byteCount, let leafHash, _):
                    verifier.appendUnreadable(leafHash: leafHash, failure: AuditVerificationFailure(
                        .entryTooLong, entry: entry,
                        message: "entry \(entry): line \(entry + 1) of \(leavesFile) is \(byteCount) bytes, longer than the \(AuditEvent.maximumLeafByteCount) a leaf may have; the file was altered or damaged"
                    ))
                }
            }
        } catch {
            verifier.record(bundleFailure(error, entry: verifier.entryCount))
        }
        var report = verifier.finish()
        report.logKeySource = trustedLogKey == nil ? .bundle : .provided
        report.witnessKeySource = trustedWitnesses == nil ? .bundle : .provided
        return report
    }

    /// The checkpoint file names, each misnamed one reported.
    private static func checkpointNames(_ reader: AuditBundleReader, _ problems: inout FailureLog) -> [String] {
        let names: [String]
        do {
            names = try reader.checkpointFileNames()
        } catch {
            problems.record(bundleFailure(error))
            return []
        }
        for name in names where checkpointSize(fileName: name) == nil {
            problems.record(AuditVerificationFailure(
                .bundleInvalid, checkpoint: checkpointsDirectory + "/" + name.printable,
                message: "\(checkpointsDirectory)/\(name.printable) is not named <20-digit size>\(checkpointExtension); it is verified like the others, but was not written by liaison audit export"
            ))
        }
        return names
    }

    /// Most bytes of checkpoint files a verification holds.
    static let maximumCheckpointBytes = 256 << 20

    private static func bundleFailure(_ error: any Error, entry: Int? = nil, checkpoint: String? = nil) -> AuditVerificationFailure {
        let message = (error as? AuditError)?.message ?? "a bundle file cannot be read"
        return AuditVerificationFailure(.bundleInvalid, entry: entry, checkpoint: checkpoint, message: message)
    }

    /// The report when no log key is available: nothing could be checked.
    private static func unverifiable(
        _ problems: FailureLog, requiredWitnesses: Int, witnessKeySource: AuditVerificationReport.KeySource
    ) -> AuditVerificationReport {
        var problems = problems
        problems.record(AuditVerificationFailure(
            .bundleInvalid,
            message: "no log key is available, so nothing was verified; pass the log's verifier key you trust"
        ))
        return AuditVerificationReport(
            isValid: false, entries: 0, checkpointsVerified: 0, newestCheckpoint: nil, uncheckpointedEntries: 0,
            requiredWitnesses: requiredWitnesses, witnessedSize: nil, trustedCheckpointSize: nil, logKey: nil,
            logKeySource: .bundle, witnessKeySource: witnessKeySource, failures: problems.stored, failureCount: problems.total
        )
    }
}
