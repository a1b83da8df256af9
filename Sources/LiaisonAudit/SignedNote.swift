/// A C2SP signed note: a text followed by a blank line and one or more
/// signature lines.
///
///     <text, ending in a newline>
///     <blank line>
///     — <key name> <base64(key ID ‖ signature)>
///     ...
///
/// This type is only the syntax; nothing in it is trusted until
/// ``verify(using:)`` has checked the signatures against known keys. Parsing is
/// strict and bounded (``maximumByteCount``, ``maximumSignatureCount``), and
/// ``formatted`` reproduces a parsed note byte for byte.
public struct SignedNote: Hashable, Sendable {
    /// The largest encoded note accepted, in bytes.
    public static let maximumByteCount = 1 << 20
    /// The most signature lines accepted (signed-note requires at least 16; Go's
    /// reference implementation stops at 100, as Liaison does).
    public static let maximumSignatureCount = 100

    /// The signed text, including its final newline but not the blank line.
    public let text: String
    /// The signature lines in order, verified or not, duplicates included.
    public let signatures: [NoteSignature]

    /// A note from its parts; throws ``AuditError/Code/malformedNote`` unless the
    /// text is non-empty, ends with a newline, is free of control characters
    /// other than newline, and there are 1…``maximumSignatureCount`` signatures.
    public init(text: String, signatures: [NoteSignature]) throws {
        try Self.checkText(text)
        guard !signatures.isEmpty else { throw AuditError.malformedNote("it has no signature lines") }
        guard signatures.count <= Self.maximumSignatureCount else { throw Self.tooManySignatures() }
        self.text = text
        self.signatures = signatures
    }

    /// Parses an encoded note, e.g. as read from a file or received from a peer.
    public init(parsing bytes: [UInt8]) throws {
        guard bytes.count <= Self.maximumByteCount else {
            throw AuditError(
                .noteTooLarge,
                "the signed note is \(bytes.count) bytes, more than the \(Self.maximumByteCount) accepted; it is not a Liaison checkpoint"
            )
        }
        guard NoteSyntax.isValidNoteText(bytes) else {
            throw AuditError.malformedNote("it is not UTF-8 text free of control characters")
        }
        // The text ends at the last blank line: the text may contain blank lines,
        // signature lines never do.
        guard let split = bytes.indices.dropLast().last(where: {
            bytes[$0] == NoteSyntax.newline && bytes[$0 + 1] == NoteSyntax.newline
        }) else {
            throw AuditError.malformedNote("there is no blank line before the signatures")
        }
        let block = bytes[(split + 2)...]
        guard block.last == NoteSyntax.newline else {
            throw AuditError.malformedNote("the signature block is empty or does not end with a newline")
        }
        let lines = block.dropLast().split(separator: NoteSyntax.newline, omittingEmptySubsequences: false)
        guard lines.count <= Self.maximumSignatureCount else { throw Self.tooManySignatures() }
        try self.init(
            text: String(decoding: bytes[...split], as: UTF8.self),
            signatures: lines.map { try NoteSignature(line: $0) }
        )
    }

    /// Parses an encoded note held in a string.
    public init(parsing text: String) throws {
        try self.init(parsing: Array(text.utf8))
    }

    /// The encoded note: text, blank line, signature lines.
    public var formatted: String {
        signatures.reduce(text + "\n") { $0 + $1.line }
    }

    /// The encoded note as bytes.
    public var bytes: [UInt8] { Array(formatted.utf8) }

    /// This note with `signature` added, replacing any line with the same name
    /// and key ID (as when a witness cosigns again later).
    public func adding(_ signature: NoteSignature) throws -> SignedNote {
        let others = signatures.filter { $0.name != signature.name || $0.keyID != signature.keyID }
        return try SignedNote(text: text, signatures: others + [signature])
    }

    /// Throws ``AuditError/Code/malformedNote`` unless `text` can be a note's text.
    static func checkText(_ text: String) throws {
        guard text.utf8.last == NoteSyntax.newline else {
            throw AuditError.malformedNote("the text is empty or does not end with a newline")
        }
        guard NoteSyntax.isValidNoteText(text.utf8) else {
            throw AuditError.malformedNote("the text contains a control character other than newline")
        }
    }

    private static func tooManySignatures() -> AuditError {
        AuditError(
            .tooManySignatures,
            "the signed note has more than \(maximumSignatureCount) signature lines; it is not a Liaison checkpoint"
        )
    }
}
