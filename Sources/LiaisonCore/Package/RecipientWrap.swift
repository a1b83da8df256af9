import LiaisonCrypto

/// The per-recipient key material of a package: an opaque tag that lets the
/// recipient find its wrap, and the key that seals the payload key to it.
///
/// Both come from BLAKE2b-512 over a domain label, X25519(ephemeral, recipient),
/// the ephemeral public key and the recipient's public key. Without the shared
/// secret the tag cannot be linked to a recipient, so recipients stay anonymous to
/// outsiders and to each other.
struct RecipientWrap {
    let tag: [UInt8]
    let wrapKey: SymmetricKey

    /// Sender side: derive from the ephemeral secret and the recipient's public key.
    static func derive(ephemeralSecret: X25519SecretKey<EphemeralRole>, ephemeralPublic: [UInt8], recipientPublic: [UInt8]) throws -> RecipientWrap {
        let shared = try ephemeralSecret.sharedSecret(withRaw: recipientPublic)
        return try derive(shared: shared, ephemeralPublic: ephemeralPublic, recipientPublic: recipientPublic)
    }

    /// Recipient side: derive from its own secret key and the header's ephemeral key.
    static func derive(recipientSecret: EncryptionSecretKey, ephemeralPublic: [UInt8]) throws -> RecipientWrap {
        let shared: SecureBytes
        do {
            shared = try recipientSecret.sharedSecret(withRaw: ephemeralPublic)
        } catch let error as CryptoError where error.code == .lowOrderPoint {
            throw CoreError(.lowOrderKey, "the package's ephemeral key is a low-order point; it cannot have been sealed honestly")
        }
        return try derive(shared: shared, ephemeralPublic: ephemeralPublic, recipientPublic: recipientSecret.publicKey.rawRepresentation)
    }

    private static func derive(shared: SecureBytes, ephemeralPublic: [UInt8], recipientPublic: [UInt8]) throws -> RecipientWrap {
        var h = BLAKE2b(outputByteCount: 64)
        h.update(label: PackageFormat.wrapLabel)
        shared.withUnsafeBytes { h.update($0) }
        h.update(ephemeralPublic)
        h.update(recipientPublic)
        let derived = h.finalizeSecret()
        let key = try SymmetricKey(derived.withUnsafeBytes { SecureBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<32]), protection: .wiped) })
        let tag = derived.withUnsafeBytes { Array($0[32..<(32 + PackageFormat.recipientTagByteCount)]) }
        return RecipientWrap(tag: tag, wrapKey: key)
    }

    /// Associated data of a wrap: magic, version and package id.
    private static func associatedData(packageID: PackageID) -> [UInt8] {
        PackageFormat.magic + [PackageFormat.version] + packageID.bytes
    }

    func seal(payloadKey: SymmetricKey, packageID: PackageID) throws -> [UInt8] {
        var sealed = [UInt8](repeating: 0, count: SymmetricKey.byteCount + 16)
        let ad = Self.associatedData(packageID: packageID)
        _ = try payloadKey.withUnsafeBytes { k in
            try ad.withUnsafeBytes { a in
                try PackageFormat.wrapNonce.withUnsafeBytes { n in
                    try sealed.withUnsafeMutableBytes { out in
                        try AEADAlgorithm.xChaCha20Poly1305.seal(k, key: wrapKey, nonce: n, authenticating: a, into: out)
                    }
                }
            }
        }
        return sealed
    }

    func open(sealedKey: [UInt8], packageID: PackageID) throws -> SymmetricKey {
        do {
            return try SymmetricKey(AEADAlgorithm.xChaCha20Poly1305.openSecret(
                sealedKey, key: wrapKey, nonce: PackageFormat.wrapNonce, authenticating: Self.associatedData(packageID: packageID)))
        } catch let error as CryptoError where error.code == .authenticationFailed {
            throw CoreError(.keyUnwrapFailed, "the key wrap addressed to this node does not verify: the package was altered")
        }
    }
}
