import LiaisonCrypto

/// The libsodium primitives the format is built from, as Liaison wraps them.
enum PrimitiveBenchmarks {
    static func run() throws {
        print("\nprimitives (through LiaisonCrypto)")
        let message = [UInt8](repeating: 0x5A, count: 1024)
        let signer = try IdentitySecretKey()
        let signature = signer.signature(for: message)
        Measure.row("Ed25519 sign, 1 KiB", Measure.perSecond(Measure.rate { _ = signer.signature(for: message) }))
        Measure.row("Ed25519 verify, 1 KiB", Measure.perSecond(Measure.rate { _ = signer.publicKey.isValidSignature(signature, for: message) }))
        let a = try EncryptionSecretKey(protection: .wiped), b = try EncryptionSecretKey(protection: .wiped)
        Measure.row("X25519 shared secret", Measure.perSecond(try Measure.rate { _ = try a.sharedSecret(with: b.publicKey) }))
        let key = try SymmetricKey.random()
        let nonce = [UInt8](repeating: 1, count: 24)
        for size in [1024, 65536] {
            let plain = [UInt8](repeating: 7, count: size)
            var out = [UInt8](repeating: 0, count: size + 16)
            let rate = try Measure.rate {
                try plain.withUnsafeBytes { p in
                    try nonce.withUnsafeBytes { n in
                        try out.withUnsafeMutableBytes { o in
                            _ = try AEADAlgorithm.xChaCha20Poly1305.seal(p, key: key, nonce: n, authenticating: UnsafeRawBufferPointer(start: nil, count: 0), into: o)
                        }
                    }
                }
            }
            Measure.row("XChaCha20-Poly1305 seal, \(size / 1024) KiB", Measure.megabytesPerSecond(rate * Double(size), 1))
        }
        let big = [UInt8](repeating: 3, count: 1 << 20)
        Measure.row("SHA-512, 1 MiB", Measure.megabytesPerSecond(Measure.rate(batch: 10) { _ = SHA512.hash(big) } * Double(big.count), 1))
        Measure.row("BLAKE2b-512, 1 MiB", Measure.megabytesPerSecond(Measure.rate(batch: 10) { _ = BLAKE2b.hash(big, outputByteCount: 64) } * Double(big.count), 1))
    }
}
