extension NodeHome {
    /// Refuses a partner's card that must not be taken, whether imported offline
    /// (`peers import`) or added through the daemon (`peers add`): a fingerprint other
    /// than the one the partner gave (`expected`), this node's own card, a key whose
    /// revocation this node holds, or a node's first card once it rotated away from it.
    public func ensureImportable(_ card: NodeCard, expected fingerprint: String?, configuration: NodeConfiguration, keyring: Keyring) throws {
        if let fingerprint, try NodeFingerprint(parsing: fingerprint) != card.fingerprint {
            throw CoreError(.fingerprintMismatch, "the card's fingerprint is \(card.fingerprint), not the one you gave; do not take it and check with the partner")
        }
        guard !configuration.isOwn(card) else {
            throw CoreError(.invalidArgument, "this is this node's own card")
        }
        try ensureNotRevokedPeer(card)
        try ensureNotRotatedAway(card, keyring: keyring)
    }
}
