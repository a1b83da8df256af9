/// Liaison's release, as `liaison --version` and `liaisond --version` print it.
public enum LiaisonVersion {
    /// The version number.
    public static let number = "0.1.0"
}
