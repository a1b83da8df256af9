/// One signature line of a signed note, verified or not:
/// `— <name> <base64(key ID ‖ signature)>`.
public struct NoteSignature: Hashable, Sendable, CustomStringConvertible {
    /// The key name on the line.
    public let name: String
    /// The 32-bit key ID, the first four bytes of the payload (big-endian).
    public let keyID: UInt32
    /// The bytes after the key ID: an Ed25519 signature, or for a cosignature
    /// the timestamp and signature (see ``Cosignature``).
    public let signature: [UInt8]

    /// A signature line from its parts; throws ``AuditError/Code/invalidKeyName``
    /// for a bad name and ``AuditError/Code/malformedNote`` for an empty signature.
    public init(name: String, keyID: UInt32, signature: [UInt8]) throws {
        try NoteSyntax.checkKeyName(name)
        guard !signature.isEmpty else { throw AuditError.malformedNote("a signature line carries no signature") }
        self.name = name
        self.keyID = keyID
        self.signature = signature
    }

    /// Parses one signature line as ``line`` writes it (its final newline optional).
    public init(parsing text: String) throws {
        var bytes = Array(text.utf8)
        if bytes.last == NoteSyntax.newline { bytes.removeLast() }
        guard !bytes.contains(NoteSyntax.newline) else { throw AuditError.malformedNote("a signature line spans several lines") }
        try self.init(line: bytes[...])
    }

    /// Parses one line without its final newline.
    init(line: ArraySlice<UInt8>) throws {
        guard line.starts(with: NoteSyntax.signatureLinePrefix) else {
            throw AuditError.malformedNote("a signature line does not start with an em dash and a space")
        }
        let rest = line.dropFirst(NoteSyntax.signatureLinePrefix.count)
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else {
            throw AuditError.malformedNote("a signature line has no space between name and signature")
        }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        guard NoteSyntax.isValidKeyName(name) else {
            throw AuditError.malformedNote("a signature line has an invalid key name")
        }
        guard let payload = Base64.decode(String(decoding: rest[(space + 1)...], as: UTF8.self)),
              payload.count > 4
        else {
            throw AuditError.malformedNote("the signature of \(name) is not canonical base64 of a key ID and a signature")
        }
        self.name = name
        self.keyID = payload.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.signature = Array(payload.dropFirst(4))
    }

    /// The base64 payload of the line: key ID (big-endian) followed by the signature.
    public var base64: String {
        Base64.encode(withUnsafeBytes(of: keyID.bigEndian, Array.init) + signature)
    }

    /// The whole line, including the em dash and the final newline.
    public var line: String { "\u{2014} \(name) \(base64)\n" }

    /// The line, as it appears in a note.
    public var description: String { line }
}
