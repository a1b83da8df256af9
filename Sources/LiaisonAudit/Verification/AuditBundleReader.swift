/// Reads the files of an ``AuditBundle`` directory, with bounded memory.
///
/// Nothing read here is trusted: keys are parsed, not vouched for, and
/// checkpoints are returned as bytes for ``AuditLogVerifier`` to open.
public struct AuditBundleReader: Sendable {
    /// The bundle directory.
    public let directory: String

    /// A reader of the bundle at `directory`; nothing is read until asked.
    public init(directory: String) {
        self.directory = directory
    }

    /// The path of a file of the bundle, e.g. `path(AuditBundle.leavesFile)`.
    public func path(_ name: String) -> String { directory + "/" + name }

    /// The log's verifier key from `log.vkey`: exactly one key line.
    public func logKey() throws -> NoteVerifierKey {
        let lines = try keyLines(AuditBundle.logKeyFile)
        guard lines.count == 1 else {
            throw Self.malformed(AuditBundle.logKeyFile, "it holds \(lines.count) lines instead of the one log key")
        }
        let key = try NoteVerifierKey(parsing: lines[0])
        guard key.type == .ed25519 else {
            throw Self.malformed(AuditBundle.logKeyFile, "\(key.name) is a cosigner key, not a log key")
        }
        return key
    }

    /// The witnesses' verifier keys from `witnesses.vkey`: zero or more
    /// cosignature/v1 key lines.
    public func witnessKeys() throws -> [NoteVerifierKey] {
        try keyLines(AuditBundle.witnessKeysFile).map { line in
            let key = try NoteVerifierKey(parsing: line)
            guard key.type == .cosignatureV1 else {
                throw Self.malformed(AuditBundle.witnessKeysFile, "\(key.name) is not a cosignature/v1 witness key")
            }
            return key
        }
    }

    /// The manifest, for display only.
    public func manifest() throws -> AuditBundleManifest {
        try AuditBundleManifest(json: BundleFileSystem.readAll(path(AuditBundle.manifestFile), limit: AuditBundle.maximumManifestByteCount))
    }

    /// The names of the files in `checkpoints/`, sorted, hidden files left out.
    /// Use ``AuditBundle/checkpointSize(fileName:)`` to read the size a name states.
    public func checkpointFileNames() throws -> [String] {
        try BundleFileSystem.entries(of: path(AuditBundle.checkpointsDirectory)).filter { !$0.hasPrefix(".") }
    }

    /// The bytes of `checkpoints/<name>`, refusing a file larger than any signed note.
    public func checkpoint(named name: String) throws -> [UInt8] {
        try BundleFileSystem.readAll(path(AuditBundle.checkpointsDirectory + "/" + name), limit: SignedNote.maximumByteCount)
    }

    /// The lines of a key file: each must end with a newline and be non-empty.
    private func keyLines(_ name: String) throws -> [String] {
        let bytes = try BundleFileSystem.readAll(path(name), limit: AuditBundle.maximumKeyFileByteCount)
        guard !bytes.isEmpty else { return [] }
        guard bytes.last == NoteSyntax.newline else { throw Self.malformed(name, "it does not end with a newline") }
        let lines = bytes.dropLast().split(separator: NoteSyntax.newline, omittingEmptySubsequences: false)
        guard !lines.contains(where: \.isEmpty) else { throw Self.malformed(name, "it holds an empty line") }
        return lines.map { String(decoding: $0, as: UTF8.self) }
    }

    static func malformed(_ name: String, _ detail: String) -> AuditError {
        AuditError(.malformedBundle, "\(name) of the bundle is malformed (\(detail)); export the bundle again or obtain the file from the log's operator")
    }
}
