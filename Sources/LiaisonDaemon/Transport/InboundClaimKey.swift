import LiaisonCore

extension InboundClaim {
    /// What a claim is on: a package is its sender's, so another sender's package
    /// with the same id is another package (and never waits for this one).
    struct Key: Hashable, Sendable {
        /// The fingerprint that names the sender for life (`PeerRecord.logFingerprint`).
        let sender: String
        let id: PackageID
    }
}
