#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an ``AuditBundle`` directory: keys first, then leaves streamed one at
/// a time and checkpoints, then ``finish(node:fingerprint:exportedAt:)``.
///
/// The writer refuses to touch a directory that is not empty, so an earlier
/// bundle is never overwritten. Files are created with mode 0644. Leaves go to
/// a hidden partial file that becomes `leaves.jsonl` only when ``finish(node:fingerprint:exportedAt:)``
/// has synced it, and the manifest is written last, so an interrupted export
/// leaves a bundle that verification reports as incomplete rather than one
/// that looks complete.
public final class AuditBundleWriter {
    /// The bundle directory.
    public let directory: String
    /// The log's origin, from its key.
    public let origin: String
    /// The number of leaves appended so far.
    public private(set) var entryCount = 0

    private static let partialLeavesFile = ".leaves.jsonl.partial"
    private static let bufferLimit = 256 * 1024

    private var leavesDescriptor: Int32
    private var buffer: [UInt8] = []
    private var writtenSizes: Set<Int> = []
    private var isFinished = false

    /// Refuses `directory` as the writer would (``AuditError/Code/bundleExists``),
    /// creating nothing: for a check before any work the export does first.
    public static func checkDestination(_ directory: String) throws {
        try BundleFileSystem.refuseUnlessEmptyOrAbsent(directory)
    }

    /// Creates `directory` (or takes it if it exists and is empty) and writes
    /// `log.vkey` and `witnesses.vkey`.
    ///
    /// Throws ``AuditError/Code/bundleExists`` if the directory is not empty,
    /// ``AuditError/Code/unsupportedSignatureType`` if `logKey` is not a log key
    /// or a witness key is not a cosignature/v1 key, and
    /// ``AuditError/Code/bundleIO`` if a file cannot be written.
    public init(directory: String, logKey: NoteVerifierKey, witnesses: [NoteVerifierKey] = []) throws {
        guard logKey.type == .ed25519 else {
            throw AuditError(.unsupportedSignatureType, "\(logKey.name) is a cosigner key, not a log key; export with the log's own verifier key")
        }
        if let witness = witnesses.first(where: { $0.type != .cosignatureV1 }) {
            throw AuditError(.unsupportedSignatureType, "witness key \(witness.name) is not a cosignature/v1 key; give the witness's cosigner key")
        }
        self.directory = directory
        self.origin = logKey.name
        try BundleFileSystem.makeEmptyDirectory(directory)
        try BundleFileSystem.makeEmptyDirectory(directory + "/" + AuditBundle.checkpointsDirectory)
        try BundleFileSystem.writeNewFile(directory + "/" + AuditBundle.logKeyFile, Array((logKey.description + "\n").utf8))
        let witnessLines = witnesses.map { $0.description + "\n" }.joined()
        try BundleFileSystem.writeNewFile(directory + "/" + AuditBundle.witnessKeysFile, Array(witnessLines.utf8))
        leavesDescriptor = try BundleFileSystem.createExclusive(directory + "/" + Self.partialLeavesFile)
        buffer.reserveCapacity(Self.bufferLimit + AuditEvent.maximumLeafByteCount + 1)
    }

    deinit {
        if leavesDescriptor >= 0 { _ = close(leavesDescriptor) }
    }

    /// Appends the next entry's leaf (its canonical bytes), which becomes line
    /// ``entryCount`` of `leaves.jsonl`.
    ///
    /// Throws ``AuditError/Code/malformedLeaf`` for a leaf that is empty, longer
    /// than ``AuditEvent/maximumLeafByteCount`` or holds a newline, since it could
    /// not be read back as one line.
    public func appendLeaf(_ leaf: [UInt8]) throws {
        precondition(!isFinished, "the bundle is already finished")
        guard !leaf.isEmpty, leaf.count <= AuditEvent.maximumLeafByteCount, !leaf.contains(NoteSyntax.newline) else {
            throw AuditError(
                .malformedLeaf,
                "leaf \(entryCount) is empty, longer than \(AuditEvent.maximumLeafByteCount) bytes or holds a newline, so it cannot be exported as one line; the audit store is damaged, run its self-check"
            )
        }
        buffer += leaf
        buffer.append(NoteSyntax.newline)
        entryCount += 1
        if buffer.count >= Self.bufferLimit { try flush() }
    }

    /// Writes a signed checkpoint of this log, with any cosignatures merged in,
    /// as `checkpoints/<size>.checkpoint`.
    ///
    /// Throws ``AuditError/Code/malformedCheckpoint`` if the note is not a
    /// checkpoint, ``AuditError/Code/originMismatch`` if it is another log's, and
    /// ``AuditError/Code/bundleIO`` if a checkpoint of that size was already written.
    public func writeCheckpoint(_ note: SignedNote) throws {
        precondition(!isFinished, "the bundle is already finished")
        let checkpoint = try Checkpoint(parsing: note.text)
        guard checkpoint.origin == origin else {
            throw AuditError(.originMismatch, "the checkpoint is of log \(checkpoint.origin), not of \(origin); export only this log's checkpoints")
        }
        guard writtenSizes.insert(checkpoint.size).inserted else {
            throw AuditError(.bundleIO, "a checkpoint at size \(checkpoint.size) was already written to this bundle; write each size once")
        }
        let path = directory + "/" + AuditBundle.checkpointsDirectory + "/" + AuditBundle.checkpointFileName(size: checkpoint.size)
        try BundleFileSystem.writeNewFile(path, note.bytes)
    }

    /// Syncs the leaves and renames them into place, writes `manifest.json`, and
    /// syncs the directories. Returns the manifest written.
    @discardableResult
    public func finish(node: String, fingerprint: String, exportedAt unixSeconds: Int64) throws -> AuditBundleManifest {
        precondition(!isFinished, "the bundle is already finished")
        try flush()
        let partial = directory + "/" + Self.partialLeavesFile
        try BundleFileSystem.syncFile(leavesDescriptor, path: partial)
        _ = close(leavesDescriptor)
        leavesDescriptor = -1
        isFinished = true
        try BundleFileSystem.renameFile(partial, to: directory + "/" + AuditBundle.leavesFile)
        let manifest = AuditBundleManifest(
            origin: origin, node: node, fingerprint: fingerprint, entries: entryCount,
            exported: AuditBundleManifest.timestamp(unixSeconds: unixSeconds)
        )
        try BundleFileSystem.syncDirectory(directory + "/" + AuditBundle.checkpointsDirectory)
        try BundleFileSystem.writeNewFile(directory + "/" + AuditBundle.manifestFile, manifest.json)
        try BundleFileSystem.syncDirectory(directory)
        return manifest
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes {
            try BundleFileSystem.writeAll(leavesDescriptor, $0, path: directory + "/" + Self.partialLeavesFile)
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
