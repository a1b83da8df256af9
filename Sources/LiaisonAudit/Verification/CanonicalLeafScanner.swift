#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A fast, allocation-free check that a leaf is the canonical encoding of an
/// ``AuditEvent``, for verifying millions of entries.
///
/// `AuditEvent(canonicalBytes:)` decodes into an event and re-encodes it, which
/// costs about 15 µs a leaf; this scanner walks the bytes once against the
/// canonical grammar (`AuditEvent+Encoding.swift`) in well under a microsecond.
/// It answers `true` only for leaves the decoder accepts: a subset of them, with
/// an ASCII actor and detail keys without escapes, and strings too short for
/// ``AuditEvent`` to cut. It answers `false` for every malformed leaf and for the
/// few unusual valid ones; the caller then asks the decoder, which has the last
/// word and the error message. So a `false` costs time, never correctness.
package struct CanonicalLeafScanner {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// True when `leaf` is certainly a canonical audit leaf.
    package static func isCertainlyCanonical(_ leaf: UnsafeRawBufferPointer) -> Bool {
        guard leaf.count <= AuditEvent.maximumLeafByteCount else { return false }
        var scanner = CanonicalLeafScanner(bytes: leaf)
        return scanner.event()
    }

    // MARK: Grammar

    private static let optionalKeys: [StaticString] = [
        #","peer":"#, #","peer_name":"#, #","package":"#, #","markings":"#, #","reason":"#, #","remote":"#,
    ]
    private static let kinds = AuditEventKind.allCases.map { Array($0.rawValue.utf8) }
    private static let outcomes = AuditOutcome.allCases.map { Array($0.rawValue.utf8) }

    private mutating func event() -> Bool {
        guard take(#"{"v":1,"time":"#), integer() else { return false }
        guard take(#","event":"#), let kind = plainString(), matchesAny(kind, Self.kinds) else { return false }
        guard take(#","outcome":"#), let outcome = plainString(), matchesAny(outcome, Self.outcomes) else { return false }
        guard take(#","actor":"#), let actor = plainString(), isActor(actor) else { return false }
        for key in Self.optionalKeys where take(key) {
            guard boundedString() != nil else { return false }
        }
        if take(#","details":{"#) {
            guard details() else { return false }
        }
        return take(UInt8(ascii: "}")) && position == bytes.count
    }

    /// One to ``AuditEvent/maximumDetailCount`` pairs with plain ASCII keys in
    /// strictly increasing byte order, then `}`.
    private mutating func details() -> Bool {
        var previous: Range<Int>?
        var count = 0
        while true {
            guard let key = plainString(), key.count <= AuditEvent.maximumTextLength else { return false }
            if let previous, !precedes(previous, key) { return false }
            guard take(UInt8(ascii: ":")), boundedString() != nil else { return false }
            count += 1
            guard count <= AuditEvent.maximumDetailCount else { return false }
            previous = key
            if take(UInt8(ascii: "}")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
        }
    }

    /// `daemon`, `uid:<canonical UInt32>:<role without ':'>` or `peer:<id without ':'>`.
    private func isActor(_ range: Range<Int>) -> Bool {
        let colon = UInt8(ascii: ":")
        if matches(range, "daemon") { return true }
        if matches(range.lowerBound..<min(range.upperBound, range.lowerBound + 5), "peer:") {
            let id = range.lowerBound + 5..<range.upperBound
            return !id.isEmpty && !id.contains { bytes[$0] == colon }
        }
        guard matches(range.lowerBound..<min(range.upperBound, range.lowerBound + 4), "uid:") else { return false }
        let digits = range.lowerBound + 4
        guard let end = (digits..<range.upperBound).first(where: { bytes[$0] == colon }) else { return false }
        let role = end + 1..<range.upperBound
        return isUInt32(digits..<end) && !role.isEmpty && !role.contains { bytes[$0] == colon }
    }

    // MARK: Tokens

    /// A canonical JSON integer that fits in `Int64`.
    private mutating func integer() -> Bool {
        let negative = take(UInt8(ascii: "-"))
        let start = position
        while position < bytes.count, Self.isDigit(bytes[position]) { position += 1 }
        let digits = start..<position
        guard !digits.isEmpty, digits.count <= 19 else { return false }
        if bytes[start] == UInt8(ascii: "0") { return digits.count == 1 && !negative }
        let magnitude = digits.reduce(UInt64(0)) { $0 * 10 + UInt64(bytes[$1] &- 0x30) }
        return magnitude <= UInt64(Int64.max) + (negative ? 1 : 0)
    }

    /// Decimal digits without a leading zero (unless "0") whose value fits in `UInt32`.
    private func isUInt32(_ digits: Range<Int>) -> Bool {
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ Self.isDigit(bytes[$0]) }) else { return false }
        guard bytes[digits.lowerBound] != UInt8(ascii: "0") || digits.count == 1 else { return false }
        return digits.reduce(UInt64(0)) { $0 * 10 + UInt64(bytes[$1] &- 0x30) } <= UInt64(UInt32.max)
    }

    /// A string of ASCII characters without escapes; the range of its contents.
    private mutating func plainString() -> Range<Int>? {
        guard let (range, isPlain) = string(), isPlain else { return nil }
        return range
    }

    /// A canonical string no longer than ``AuditEvent/maximumTextLength`` bytes
    /// as written, so that ``AuditEvent`` cannot have cut it.
    private mutating func boundedString() -> Range<Int>? {
        guard let (range, _) = string(), range.count <= AuditEvent.maximumTextLength else { return nil }
        return range
    }

    /// A string in canonical form: raw bytes from 0x20 up except `"` and `\`,
    /// which are escaped with a backslash; control characters as `\u00xx` in
    /// lower-case hex; valid UTF-8. Returns the range of its contents as written
    /// and whether it is ASCII without escapes.
    private mutating func string() -> (Range<Int>, isPlain: Bool)? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        // Locals rather than `self`, so the hot loop stays in registers.
        let bytes = self.bytes
        var index = start
        var hasEscape = false
        var isASCII = true
        defer { position = index }
        while index < bytes.count {
            let byte = bytes[index]
            // The common case first: printable ASCII other than `"` and `\`.
            if byte &- 0x20 < 0x60, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                let range = start..<index
                index += 1
                // Escapes stand for ASCII bytes, so the raw bytes are valid UTF-8
                // exactly when the decoded ones are.
                if !isASCII, String(validating: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self) == nil {
                    return nil
                }
                return (range, !hasEscape && isASCII)
            case UInt8(ascii: "\\"):
                hasEscape = true
                guard let length = escapeLength(at: index) else { return nil }
                index += length
            case 0..<0x20:
                return nil
            default:
                isASCII = false
                index += 1
            }
        }
        return nil
    }

    /// The length of the canonical escape at `index`: `\"`, `\\` or `\u000x`/`\u001x`.
    private func escapeLength(at index: Int) -> Int? {
        guard index + 1 < bytes.count else { return nil }
        switch bytes[index + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            return 2
        case UInt8(ascii: "u"):
            guard index + 5 < bytes.count,
                  bytes[index + 2] == UInt8(ascii: "0"), bytes[index + 3] == UInt8(ascii: "0"),
                  bytes[index + 4] == UInt8(ascii: "0") || bytes[index + 4] == UInt8(ascii: "1"),
                  Self.isDigit(bytes[index + 5]) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(bytes[index + 5])
            else { return nil }
            return 6
        default:
            return nil
        }
    }

    // MARK: Bytes

    /// Consumes `literal` if the bytes at the position start with it.
    private mutating func take(_ literal: StaticString) -> Bool {
        guard matches(position..<position + literal.utf8CodeUnitCount, literal) else { return false }
        position += literal.utf8CodeUnitCount
        return true
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    private func matches(_ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount, range.upperBound <= bytes.count else { return false }
        return memcmp(bytes.baseAddress! + range.lowerBound, literal.utf8Start, range.count) == 0
    }

    private func matches(_ range: Range<Int>, _ literal: [UInt8]) -> Bool {
        guard range.count == literal.count, !literal.isEmpty else { return range.count == literal.count }
        return literal.withUnsafeBytes { memcmp(bytes.baseAddress! + range.lowerBound, $0.baseAddress!, range.count) == 0 }
    }

    private func matchesAny(_ range: Range<Int>, _ literals: [[UInt8]]) -> Bool {
        literals.contains { matches(range, $0) }
    }

    /// True when the bytes in `a` sort strictly before those in `b`.
    private func precedes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        for (i, j) in zip(a, b) where bytes[i] != bytes[j] { return bytes[i] < bytes[j] }
        return a.count < b.count
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
}
