/// Standard base64 (RFC 4648 section 4, with padding), as C2SP formats use it.
///
/// Decoding is strict and canonical: only the standard alphabet, padding exactly
/// where RFC 4648 puts it, no whitespace, and the unused low bits of the last
/// character must be zero. So every accepted text is the one ``encode(_:)``
/// would write, and parse → format round trips are byte-exact. Written here
/// rather than taken from Foundation to keep this module free of Foundation and
/// to pin down that strictness.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let padding = UInt8(ascii: "=")

    /// Encodes bytes with padding.
    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out += [sextet(v, 18), sextet(v, 12), sextet(v, 6), sextet(v, 0)]
            i += 3
        }
        switch input.count - i {
        case 1:
            let v = UInt32(input[i]) << 16
            out += [sextet(v, 18), sextet(v, 12), padding, padding]
        case 2:
            let v = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out += [sextet(v, 18), sextet(v, 12), sextet(v, 6), padding]
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes canonical padded base64; `nil` for anything else.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 4 * 3)
        var i = 0
        while i < utf8.count {
            let isLast = i + 4 == utf8.count
            let quad = utf8[i..<i + 4]
            let padCount = quad.reversed().prefix { $0 == padding }.count
            guard padCount == 0 || (isLast && padCount <= 2) else { return nil }
            var v: UInt32 = 0
            for c in quad.prefix(4 - padCount) {
                guard let d = value(c) else { return nil }
                v = v << 6 | d
            }
            switch padCount {
            case 0:
                out += [UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
            case 1:
                // 18 bits carry 2 bytes; the last 2 bits must be zero.
                guard v & 0x3 == 0 else { return nil }
                out += [UInt8(truncatingIfNeeded: v >> 10), UInt8(truncatingIfNeeded: v >> 2)]
            default:
                // 12 bits carry 1 byte; the last 4 bits must be zero.
                guard v & 0xF == 0 else { return nil }
                out.append(UInt8(truncatingIfNeeded: v >> 4))
            }
            i += 4
        }
        return out
    }

    private static func sextet(_ v: UInt32, _ shift: UInt32) -> UInt8 {
        alphabet[Int((v >> shift) & 0x3F)]
    }

    private static func value(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
