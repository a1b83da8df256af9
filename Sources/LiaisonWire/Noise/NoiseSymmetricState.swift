import LiaisonCrypto

/// Noise's SymmetricState for SHA-256 (spec §5.2): the chaining key, the
/// handshake hash and the current cipher.
struct NoiseSymmetricState {
    private var chainingKey: SecureBytes
    /// The handshake hash `h`; public (it is a transcript hash), used for channel binding.
    private(set) var handshakeHash: [UInt8]
    private(set) var cipher = NoiseCipherState()

    /// `InitializeSymmetric(protocol_name)`.
    init(protocolName: [UInt8]) {
        handshakeHash = protocolName.count <= 32 ? protocolName + [UInt8](repeating: 0, count: 32 - protocolName.count) : SHA256.hash(protocolName)
        chainingKey = handshakeHash.withUnsafeBytes { SecureBytes(copying: $0, protection: .wiped) }
    }

    /// `MixHash(data)`.
    mutating func mixHash(_ data: [UInt8]) {
        var h = SHA256()
        h.update(handshakeHash)
        h.update(data)
        handshakeHash = h.finalize()
    }

    /// `MixKey(ikm)`: new chaining key and cipher key from HKDF.
    mutating func mixKey(_ inputKeyMaterial: SecureBytes) throws {
        let (ck, k) = Self.hkdf2(chainingKey: chainingKey, inputKeyMaterial: inputKeyMaterial)
        chainingKey = ck
        cipher = NoiseCipherState(key: try SymmetricKey(k))
    }

    /// `EncryptAndHash(plaintext)`.
    mutating func encryptAndHash(_ plaintext: [UInt8]) throws -> [UInt8] {
        let ciphertext = try cipher.encrypt(plaintext, ad: handshakeHash)
        mixHash(ciphertext)
        return ciphertext
    }

    /// `DecryptAndHash(ciphertext)`.
    mutating func decryptAndHash(_ ciphertext: [UInt8]) throws -> [UInt8] {
        let plaintext = try cipher.decrypt(ciphertext, ad: handshakeHash)
        mixHash(ciphertext)
        return plaintext
    }

    /// `Split()`: the two transport cipher states (initiator→responder first).
    func split() throws -> (NoiseCipherState, NoiseCipherState) {
        let empty = SecureBytes(count: 0, protection: .wiped) { _ in }
        let (k1, k2) = Self.hkdf2(chainingKey: chainingKey, inputKeyMaterial: empty)
        return (NoiseCipherState(key: try SymmetricKey(k1)), NoiseCipherState(key: try SymmetricKey(k2)))
    }

    /// Noise's HKDF with HMAC-SHA-256, two outputs.
    static func hkdf2(chainingKey: SecureBytes, inputKeyMaterial: SecureBytes) -> (SecureBytes, SecureBytes) {
        let tempKey = chainingKey.withUnsafeBytes { ck in
            var mac = HMACSHA256(key: ck)
            inputKeyMaterial.withUnsafeBytes { mac.update($0) }
            return mac.finalizeSecret()
        }
        return tempKey.withUnsafeBytes { tk in
            var first = HMACSHA256(key: tk)
            [UInt8(1)].withUnsafeBytes { first.update($0) }
            let out1 = first.finalizeSecret()
            var second = HMACSHA256(key: tk)
            out1.withUnsafeBytes { second.update($0) }
            [UInt8(2)].withUnsafeBytes { second.update($0) }
            return (out1, second.finalizeSecret())
        }
    }
}
