/// A C2SP tlog-cosignature `cosignature/v1`: a witness's timestamped Ed25519
/// statement that, as of ``timestamp``, the checkpoint is the largest consistent
/// tree head it has seen for that log.
///
/// On the wire it is a note signature line of type 0x04 whose payload after the
/// key ID is the timestamp (8 bytes, big-endian) followed by the 64-byte
/// signature. The signed message is
///
///     cosignature/v1\n
///     time <timestamp, decimal, no leading zeros>\n
///     <the whole checkpoint body, extension lines included>
public struct Cosignature: Hashable, Sendable {
    /// The first line of the signed message, for domain separation.
    public static let header = "cosignature/v1"
    /// Length of the payload after the key ID: timestamp and signature.
    public static let payloadByteCount = 8 + 64
    /// The largest timestamp the format allows, 2^63 − 1.
    public static let maximumTimestamp = UInt64(Int64.max)

    /// When the witness cosigned, in POSIX seconds.
    public let timestamp: UInt64
    /// The Ed25519 signature over ``signedMessage(body:timestamp:)``.
    public let signature: [UInt8]

    /// A cosignature from its parts.
    public init(timestamp: UInt64, signature: [UInt8]) throws {
        guard timestamp <= Self.maximumTimestamp else {
            throw AuditError(.invalidTimestamp, "a cosignature timestamp cannot exceed 2^63 - 1 seconds (got \(timestamp))")
        }
        guard signature.count == 64 else {
            throw Self.malformed("the signature is \(signature.count) bytes, not 64")
        }
        self.timestamp = timestamp
        self.signature = signature
    }

    /// Decodes the payload of a signature line (the bytes after the key ID).
    public init(payload: [UInt8]) throws {
        guard payload.count == Self.payloadByteCount else {
            throw Self.malformed("the payload is \(payload.count) bytes, not the 72 of timestamp and Ed25519 signature")
        }
        let timestamp = payload.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        try self.init(timestamp: timestamp, signature: Array(payload.dropFirst(8)))
    }

    /// Decodes a cosignature line.
    public init(_ line: NoteSignature) throws {
        try self.init(payload: line.signature)
    }

    /// The payload of the signature line: timestamp (big-endian) then signature.
    public var payload: [UInt8] {
        withUnsafeBytes(of: timestamp.bigEndian, Array.init) + signature
    }

    /// The exact bytes a witness signs for checkpoint body `body` at `timestamp`.
    public static func signedMessage(body: String, timestamp: UInt64) -> [UInt8] {
        signedMessage(text: Array(body.utf8), timestamp: timestamp)
    }

    static func signedMessage(text: [UInt8], timestamp: UInt64) -> [UInt8] {
        Array("\(header)\ntime \(timestamp)\n".utf8) + text
    }

    private static func malformed(_ detail: String) -> AuditError {
        AuditError(
            .malformedCosignature,
            "the cosignature is malformed (\(detail)); it is not a cosignature/v1 from a C2SP witness"
        )
    }
}
