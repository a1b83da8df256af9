import LiaisonCrypto

/// Produces `cosignature/v1` lines (C2SP tlog-cosignature, type 0x04): how a
/// Liaison node witnesses a peer's audit log.
///
/// A cosignature asserts that the checkpoint is consistent with everything the
/// witness saw of that log before, so the caller must have verified the log's
/// own signature and a consistency proof from the last checkpoint it cosigned
/// before calling ``cosign(_:timestamp:)``. The time comes from the caller's
/// clock; nothing here reads one.
public struct Cosigner: Sendable {
    /// The public half, to hand to whoever relies on this witness.
    public let verifierKey: NoteVerifierKey
    private let secretKey: LogSecretKey

    /// A cosigner named `name` (a schema-less URL naming the witness).
    public init(name: String, secretKey: LogSecretKey) throws {
        self.verifierKey = try NoteVerifierKey(name: name, type: .cosignatureV1, publicKey: secretKey.publicKey)
        self.secretKey = secretKey
    }

    /// The cosignature line for `checkpoint` at `timestamp` (POSIX seconds).
    public func cosign(_ checkpoint: Checkpoint, timestamp: UInt64) throws -> NoteSignature {
        guard timestamp <= Cosignature.maximumTimestamp else {
            throw AuditError(.invalidTimestamp, "a cosignature timestamp cannot exceed 2^63 - 1 seconds (got \(timestamp))")
        }
        let message = Cosignature.signedMessage(body: checkpoint.body, timestamp: timestamp)
        let cosignature = try Cosignature(timestamp: timestamp, signature: secretKey.signature(for: message))
        return try NoteSignature(name: verifierKey.name, keyID: verifierKey.keyID, signature: cosignature.payload)
    }
}
