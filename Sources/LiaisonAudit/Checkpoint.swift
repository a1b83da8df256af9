/// The body of a C2SP tlog-checkpoint: the log's claim about its tree head.
///
///     <origin>\n
///     <tree size, decimal, no leading zeros>\n
///     <base64 of the 32-byte root hash>\n
///     <optional extension line>\n ...
///
/// It becomes a signed checkpoint as the text of a ``SignedNote``. Parsing is
/// strict: any input that ``body`` would not reproduce byte for byte is refused.
public struct Checkpoint: Hashable, Sendable, CustomStringConvertible {
    /// The log's identity, e.g. `liaison.example/node-a/audit`. Also the log key's name.
    public let origin: String
    /// The number of leaves in the tree.
    public let size: Int
    /// The RFC 6962 root hash of the tree at ``size`` (32 bytes).
    public let rootHash: [UInt8]
    /// Opaque extension lines (not recommended by C2SP; carried through intact).
    public let extensions: [String]

    /// A checkpoint from its parts; throws ``AuditError/Code/malformedCheckpoint``
    /// if any part cannot be written as a checkpoint line.
    public init(origin: String, size: Int, rootHash: [UInt8], extensions: [String] = []) throws {
        guard Self.isValidLine(origin) else {
            throw AuditError.malformedCheckpoint("the origin must be one non-empty line without control characters")
        }
        guard size >= 0 else {
            throw AuditError.malformedCheckpoint("the tree size \(size) is negative")
        }
        guard rootHash.count == MerkleHasher.hashByteCount else {
            throw AuditError.malformedCheckpoint("the root hash is \(rootHash.count) bytes, not 32")
        }
        for (number, line) in extensions.enumerated() where !Self.isValidLine(line) {
            throw AuditError.malformedCheckpoint("extension line \(number + 1) is empty or contains a control character")
        }
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
        self.extensions = extensions
    }

    /// Parses a checkpoint body (a signed note's text, with its final newline).
    public init(parsing body: String) throws {
        guard body.utf8.last == NoteSyntax.newline else {
            throw AuditError.malformedCheckpoint("the body does not end with a newline")
        }
        let lines = body.utf8.dropLast().split(separator: NoteSyntax.newline, omittingEmptySubsequences: false)
        guard lines.count >= 3 else {
            throw AuditError.malformedCheckpoint("it has \(lines.count) lines; origin, tree size and root hash are required")
        }
        let origin = String(decoding: lines[0], as: UTF8.self)
        guard let size = NoteSyntax.decimal(lines[1]) else {
            throw AuditError.malformedCheckpoint("the tree size is not a decimal number without leading zeros")
        }
        guard let rootHash = Base64.decode(String(decoding: lines[2], as: UTF8.self)) else {
            throw AuditError.malformedCheckpoint("the root hash is not canonical base64")
        }
        try self.init(
            origin: origin,
            size: size,
            rootHash: rootHash,
            extensions: lines.dropFirst(3).map { String(decoding: $0, as: UTF8.self) }
        )
    }

    /// The checkpoint body: every line newline-terminated, ready to sign.
    public var body: String {
        var text = "\(origin)\n\(size)\n\(Base64.encode(rootHash))\n"
        for line in extensions {
            text += "\(line)\n"
        }
        return text
    }

    /// The body, as a checkpoint is usually shown.
    public var description: String { body }

    private static func isValidLine(_ line: String) -> Bool {
        !line.isEmpty && !line.utf8.contains { $0 < 0x20 }
    }
}
