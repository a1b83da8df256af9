/// A job an Ed25519 key does. Each job has its own key type, so a log key can never
/// be passed where an identity key is expected ("never one key for two jobs").
public protocol SigningKeyRole: Sendable {
    /// Short name used in files and messages, e.g. `identity`.
    static var roleName: String { get }
}

/// A job an X25519 key does.
public protocol AgreementKeyRole: Sendable {
    /// Short name used in files and messages, e.g. `encryption`.
    static var roleName: String { get }
}

/// The node's identity: signs node cards, packages, receipts and revocations.
public enum IdentityRole: SigningKeyRole {
    public static let roleName = "identity"
}

/// Signs audit-log checkpoints and nothing else.
public enum LogRole: SigningKeyRole {
    public static let roleName = "log"
}

/// Receives package payload keys (the per-recipient wraps of the package format).
public enum PackageEncryptionRole: AgreementKeyRole {
    public static let roleName = "encryption"
}

/// The Noise static key of the daemon-to-daemon transport; used for nothing else.
public enum TransportRole: AgreementKeyRole {
    public static let roleName = "transport"
}

/// A one-off key pair made for a single package or handshake.
public enum EphemeralRole: AgreementKeyRole {
    public static let roleName = "ephemeral"
}

/// The node identity's secret signing key.
public typealias IdentitySecretKey = Ed25519SecretKey<IdentityRole>
/// The node identity's public key; its fingerprint is the node id.
public typealias IdentityPublicKey = Ed25519PublicKey<IdentityRole>
/// The audit-log checkpoint signing key.
public typealias LogSecretKey = Ed25519SecretKey<LogRole>
/// The audit-log checkpoint verification key.
public typealias LogPublicKey = Ed25519PublicKey<LogRole>
/// The package-encryption secret key.
public typealias EncryptionSecretKey = X25519SecretKey<PackageEncryptionRole>
/// The package-encryption public key that senders wrap payload keys to.
public typealias EncryptionPublicKey = X25519PublicKey<PackageEncryptionRole>
/// The transport (Noise static) secret key.
public typealias TransportSecretKey = X25519SecretKey<TransportRole>
/// The transport (Noise static) public key.
public typealias TransportPublicKey = X25519PublicKey<TransportRole>
