/// The one public error type of `LiaisonCore`.
///
/// ``code`` is stable and machine-readable (tests and `--json` output use it);
/// ``message`` is written for the operator and says what to do. Neither ever
/// contains key material or package plaintext.
public struct CoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable reasons. Raw values never change once released.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        // Package format
        case truncated = "package.truncated"
        case badMagic = "package.bad-magic"
        case unsupportedVersion = "package.unsupported-version"
        case headerTooLarge = "package.header-too-large"
        case malformedHeader = "package.malformed-header"
        case headerAuthenticationFailed = "package.header-authentication-failed"
        case notARecipient = "package.not-a-recipient"
        case keyUnwrapFailed = "package.key-unwrap-failed"
        case lowOrderKey = "package.low-order-key"
        case unknownSender = "package.unknown-sender"
        case senderRevoked = "package.sender-revoked"
        case expired = "package.expired"
        case notYetValid = "package.not-yet-valid"
        case chunkOutOfOrder = "package.chunk-out-of-order"
        case duplicateChunk = "package.duplicate-chunk"
        case chunkTooLarge = "package.chunk-too-large"
        case chunkTooSmall = "package.chunk-too-small"
        case badChunkFlags = "package.bad-chunk-flags"
        case chunkAuthenticationFailed = "package.chunk-authentication-failed"
        case signatureInvalid = "package.signature-invalid"
        case missingFinalChunk = "package.missing-final-chunk"
        case trailingData = "package.trailing-data"
        case invalidRecipients = "package.invalid-recipients"
        case invalidMarkings = "package.invalid-markings"
        // Keys and key files
        case keyFileMissing = "keyfile.missing"
        case keyFileInsecurePermissions = "keyfile.insecure-permissions"
        case keyFileSymlink = "keyfile.symlink"
        case keyFileMalformed = "keyfile.malformed"
        case keyFileBadParameters = "keyfile.bad-kdf-parameters"
        case wrongPassphrase = "keyfile.wrong-passphrase"
        case passphraseUnavailable = "keyfile.passphrase-unavailable"
        // Node cards and identities
        case malformedCard = "card.malformed"
        case cardSignatureInvalid = "card.signature-invalid"
        case cardExpired = "card.expired"
        case malformedFingerprint = "identity.malformed-fingerprint"
        case fingerprintMismatch = "identity.fingerprint-mismatch"
        /// A revocation statement is not well formed (or was edited).
        case malformedRevocation = "identity.malformed-revocation"
        /// A revocation statement does not carry a valid signature of the key it names.
        case revocationSignatureInvalid = "identity.revocation-signature-invalid"
        /// A key-rotation statement is not well formed (or was edited).
        case malformedRotation = "identity.malformed-rotation"
        /// A key-rotation statement is not signed by the key it says is replaced, or
        /// does not apply to the peer (stale, replayed, or introducing a revoked key).
        case rotationRefused = "identity.rotation-refused"
        /// This node revoked its own identity key: it no longer sends or forwards packages.
        case nodeRevoked = "node.revoked"
        // Configuration and the node's home
        case malformedConfig = "config.malformed"
        case nodeExists = "node.exists"
        case nodeMissing = "node.missing"
        /// The node's files exist but this user may not read them.
        case permissionDenied = "node.permission-denied"
        case unknownPeer = "peer.unknown"
        case unknownPackage = "package.unknown"
        /// A receipt file that is one but does not hold up: altered, or its readable
        /// fields saying other than its signed bytes.
        case malformedReceipt = "receipt.malformed"
        /// A receipt whose signature does not verify with the key it names.
        case receiptInvalid = "receipt.invalid"
        /// A backup directory whose manifest is not one Liaison wrote, or whose files
        /// are not what it recorded (`liaison backup check`).
        case malformedBackup = "backup.malformed"
        case peerExists = "peer.exists"
        case invalidArgument = "argument.invalid"
        case policyDenied = "policy.denied"
        /// A STIX bundle's TLP markings are stricter than the package's and raising them was not allowed.
        case policyMarkingConflict = "policy.marking-conflict"
        /// The audit log cannot be written, so the action it would record was not done.
        case auditUnavailable = "audit.unavailable"
        /// The node's home volume has too little free space beyond its reserve for this (`disk-reserve-mib`).
        case diskReserve = "node.disk-reserve"
        /// Another daemon already runs for this node (it holds `<home>/liaisond.lock`).
        case nodeRunning = "node.running"
        /// A change of this node's keys cannot be made now, but can later: another is in
        /// progress, or the last rotation's overlap is still open.
        case keyChangeNotNow = "identity.key-change-not-now"
        /// A file named on the command line (input, card, checkpoint, bundle) is missing or cannot be read.
        case inputUnreadable = "input.unreadable"
        case io = "io.failed"
    }

    /// Why the operation failed.
    public let code: Code
    /// What happened and what to do about it, for a person.
    public let message: String

    /// Creates an error; `message` must be safe to print (no secrets, no plaintext).
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    /// Two errors are equal when their codes are: messages are for people.
    public static func == (lhs: CoreError, rhs: CoreError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
