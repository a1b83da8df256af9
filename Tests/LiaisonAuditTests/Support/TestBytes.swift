import Foundation

/// Byte helpers for the known-answer tests of this target.
enum TestBytes {
    /// Decodes hex. Malformed input traps: vectors are constants, and a typo must
    /// stop the run rather than test the wrong thing.
    static func hex(_ string: String) -> [UInt8] {
        let digits = Array(string.utf8)
        precondition(digits.count % 2 == 0, "odd number of hex digits in test vector")
        return stride(from: 0, to: digits.count, by: 2).map { i in
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else {
                preconditionFailure("invalid hex digit in test vector \(string)")
            }
            return hi << 4 | lo
        }
    }

    /// Decodes base64 with Foundation, independently of the code under test.
    static func base64(_ string: String) -> [UInt8] {
        guard let data = Data(base64Encoded: string) else { preconditionFailure("invalid base64 in test vector \(string)") }
        return Array(data)
    }

    /// Encodes base64 with Foundation, independently of the code under test.
    static func base64String(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    /// Lower-case hex of `bytes`, for readable failure messages.
    static func hexString(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// `bytes` with bit `bit` (0 = most significant bit of byte 0) inverted.
    static func flippingBit(_ bit: Int, of bytes: [UInt8]) -> [UInt8] {
        var copy = bytes
        copy[bit / 8] ^= 0x80 >> UInt8(bit % 8)
        return copy
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// A small seeded generator (SplitMix64), so property tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
