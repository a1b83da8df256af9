import LiaisonCore
import LiaisonCrypto

/// The signature types of C2SP signed-note that Liaison implements.
public enum NoteSignatureType: UInt8, Sendable, Hashable, CaseIterable {
    /// Ed25519 over the note text (signed-note "Ed25519 signatures"): how a log signs its checkpoints.
    case ed25519 = 0x01
    /// Timestamped Ed25519 witness cosignature (C2SP tlog-cosignature, `cosignature/v1`).
    case cosignatureV1 = 0x04
}

/// A public key that can verify note signatures, with the name and key ID that
/// signature lines carry: the signed-note "vkey".
///
/// Text form: `<name>+<8 hex digits of key ID>+<base64(type byte ‖ 32-byte Ed25519 key)>`,
/// e.g. `PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW`.
/// The key ID is the first four bytes of SHA-256(name ‖ "\n" ‖ type ‖ key),
/// big-endian.
public struct NoteVerifierKey: Hashable, Sendable, CustomStringConvertible {
    /// The key name that signature lines carry (for a log, its checkpoint origin).
    public let name: String
    /// Which kind of signature this key verifies.
    public let type: NoteSignatureType
    /// The Ed25519 public key.
    public let publicKey: LogPublicKey
    /// The 32-bit key ID that signature lines carry.
    public let keyID: UInt32

    /// A verifier key for `publicKey` under `name`; the key ID is computed.
    public init(name: String, type: NoteSignatureType, publicKey: LogPublicKey) throws {
        try NoteSyntax.checkKeyName(name)
        self.name = name
        self.type = type
        self.publicKey = publicKey
        self.keyID = Self.keyID(name: name, type: type, publicKey: publicKey.rawRepresentation)
    }

    /// Parses the text form, checking the declared key ID against the one the
    /// name and key produce.
    public init(parsing text: String) throws {
        // The base64 part may itself contain '+', so split at the first two only.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw Self.malformed("it is not <name>+<key ID>+<key>")
        }
        let name = String(parts[0])
        guard NoteSyntax.isValidKeyName(name) else {
            throw Self.malformed("the name is empty or contains a space, '+' or a control character")
        }
        guard parts[1].utf8.count == 8, let idBytes = Hex.decode(String(parts[1])) else {
            throw Self.malformed("the key ID is not 8 hexadecimal digits")
        }
        guard let keyBytes = Base64.decode(parts[2]), let typeByte = keyBytes.first else {
            throw Self.malformed("the key is not canonical base64")
        }
        guard let type = NoteSignatureType(rawValue: typeByte) else {
            throw AuditError(
                .unsupportedSignatureType,
                "verifier key \(name) has signature type \(typeByte); Liaison verifies only Ed25519 (1) and cosignature/v1 (4) keys"
            )
        }
        guard keyBytes.count == 1 + LogPublicKey.byteCount else {
            throw Self.malformed("the key is \(keyBytes.count - 1) bytes, not the 32 of Ed25519")
        }
        let declaredID = idBytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard declaredID == Self.keyID(name: name, type: type, publicKey: Array(keyBytes.dropFirst())) else {
            throw AuditError(
                .verifierKeyIDMismatch,
                "verifier key \(name) declares key ID \(parts[1]), which does not match its name and key; it was mistyped or altered"
            )
        }
        let publicKey: LogPublicKey
        do {
            publicKey = try LogPublicKey(rawRepresentation: Array(keyBytes.dropFirst()))
        } catch {
            throw Self.malformed("the key is not a valid Ed25519 public key")
        }
        try self.init(name: name, type: type, publicKey: publicKey)
    }

    /// The text form, with the key ID in lower-case hex.
    public var description: String {
        "\(name)+\(keyID.keyIDHex)+\(Base64.encode([type.rawValue] + publicKey.rawRepresentation))"
    }

    /// SHA-256(name ‖ 0x0A ‖ type ‖ key)[0..<4] as a big-endian integer.
    static func keyID(name: String, type: NoteSignatureType, publicKey: [UInt8]) -> UInt32 {
        var h = SHA256()
        h.update(Array(name.utf8) + [NoteSyntax.newline, type.rawValue])
        h.update(publicKey)
        return h.finalize().prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    private static func malformed(_ detail: String) -> AuditError {
        AuditError(
            .malformedVerifierKey,
            "the verifier key is malformed (\(detail)); copy it again from its owner, as name+keyid+base64"
        )
    }
}

extension UInt32 {
    /// A key ID as the 8 lower-case hex digits of its big-endian bytes.
    var keyIDHex: String {
        withUnsafeBytes(of: bigEndian) { Hex.encode(Array($0)) }
    }
}
