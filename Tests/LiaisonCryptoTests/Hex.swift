import LiaisonCrypto

/// Hex helpers for the known-answer tests of this target only.
enum Hex {
    /// Decodes a hex string into bytes. Whitespace is ignored so long vectors can be
    /// split the way the RFCs print them. Malformed input traps: vectors are
    /// constants, and a typo must stop the run rather than test the wrong thing.
    static func bytes(_ string: String) -> [UInt8] {
        let digits = string.unicodeScalars.filter { !$0.properties.isWhitespace }
        precondition(digits.count % 2 == 0, "odd number of hex digits in test vector")
        var result: [UInt8] = []
        result.reserveCapacity(digits.count / 2)
        var high: UInt8?
        for scalar in digits {
            guard let nibble = nibble(scalar) else {
                preconditionFailure("invalid hex digit '\(scalar)' in test vector")
            }
            if let h = high {
                result.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }

    /// Lower-case hex of `bytes`.
    static func string(_ bytes: some Sequence<UInt8>) -> String {
        let alphabet = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(alphabet[Int(byte >> 4)])
            out.append(alphabet[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func nibble(_ scalar: Unicode.Scalar) -> UInt8? {
        switch scalar.value {
        case 0x30...0x39: UInt8(scalar.value - 0x30)
        case 0x41...0x46: UInt8(scalar.value - 0x41 + 10)
        case 0x61...0x66: UInt8(scalar.value - 0x61 + 10)
        default: nil
        }
    }
}

/// Test-only helpers around `SecureBytes`, which deliberately has no conversion to
/// `[UInt8]` in the library.
extension SecureBytes {
    /// Copies public test-vector bytes into secure storage.
    static func vector(_ bytes: [UInt8], protection: Protection = .wiped) -> SecureBytes {
        bytes.withUnsafeBytes { SecureBytes(copying: $0, protection: protection) }
    }

    /// Copies public test-vector bytes given in hex into secure storage.
    static func vector(hex: String, protection: Protection = .wiped) -> SecureBytes {
        vector(Hex.bytes(hex), protection: protection)
    }

    /// The secret bytes, for comparing with expected vectors in tests only.
    var testContents: [UInt8] { withUnsafeBytes { Array($0) } }
}

extension SymmetricKey {
    /// A key from public test-vector bytes given in hex.
    static func vector(hex: String) throws -> SymmetricKey {
        try SymmetricKey(SecureBytes.vector(hex: hex))
    }

    /// The key bytes, for comparing in tests only.
    var testContents: [UInt8] { withUnsafeBytes { Array($0) } }
}

/// Returns `bytes` with bit `bit` (0 = least significant bit of byte 0) inverted.
func flippingBit(_ bit: Int, of bytes: [UInt8]) -> [UInt8] {
    var copy = bytes
    copy[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
    return copy
}
