/// Writes JSON directly, for answers on the daemon's busiest path (`send`), where
/// `JSONEncoder`'s generic machinery cost the daemon more than the answer's own
/// work. What it writes decodes with `JSONDecoder` like the `Codable` form of the
/// same value (``DirectJSONEncodable``; a test holds each such type to that).
public struct JSONWriter: Sendable {
    /// The JSON written so far (UTF-8).
    public private(set) var bytes: [UInt8] = []
    /// Whether the container being written has no member yet.
    private var empty = true

    /// An empty writer.
    public init() { bytes.reserveCapacity(256) }

    /// An object; `members` writes its fields.
    public mutating func object(_ members: (inout JSONWriter) -> Void) {
        let outer = open(UInt8(ascii: "{"))
        members(&self)
        close(UInt8(ascii: "}"), outer)
    }

    /// An array of `items`, each written by `item`.
    public mutating func array<S: Sequence>(_ items: S, _ item: (inout JSONWriter, S.Element) -> Void) {
        let outer = open(UInt8(ascii: "["))
        for element in items {
            separate()
            item(&self, element)
        }
        close(UInt8(ascii: "]"), outer)
    }

    /// A string value (escaped as RFC 8259 requires: quote, backslash and control characters).
    public mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// An integer value.
    public mutating func integer(_ value: Int64) { bytes += Array(String(value).utf8) }

    /// The name of the object member that follows (written by the next value).
    public mutating func key(_ name: String) {
        separate()
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// A string member; none when `value` is nil (as `encodeIfPresent` leaves it out).
    public mutating func field(_ name: String, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// An integer member.
    public mutating func field(_ name: String, _ value: Int64) {
        key(name)
        integer(value)
    }

    /// An array of strings member.
    public mutating func field(_ name: String, _ values: [String]) {
        key(name)
        array(values) { $0.string($1) }
    }

    /// A comma before every member but the first.
    private mutating func separate() {
        if !empty { bytes.append(UInt8(ascii: ",")) }
        empty = false
    }

    /// Starts a container (its place among its holder's members is already taken); returns the holder's `empty`.
    private mutating func open(_ bracket: UInt8) -> Bool {
        bytes.append(bracket)
        defer { empty = true }
        return empty
    }

    /// Ends a container, back in the one that holds it (`outer`: whether that had no member before it).
    private mutating func close(_ bracket: UInt8, _ outer: Bool) {
        bytes.append(bracket)
        empty = outer
    }
}

/// A value the daemon writes with ``JSONWriter`` instead of `JSONEncoder`; what it
/// writes must decode to the same value.
public protocol DirectJSONEncodable: Encodable {
    /// Writes the value as its `Codable` form would be written.
    func writeJSON(into writer: inout JSONWriter)
}

extension Array: DirectJSONEncodable where Element: DirectJSONEncodable {
    public func writeJSON(into writer: inout JSONWriter) {
        writer.array(self) { writer, element in element.writeJSON(into: &writer) }
    }
}

extension ControlEnvelope where Result: DirectJSONEncodable {
    /// `{"result": …}`, as `JSONEncoder` writes a success.
    public static func directJSON(result: Result) -> [UInt8] {
        var writer = JSONWriter()
        writer.object { writer in
            writer.key("result")
            result.writeJSON(into: &writer)
        }
        return writer.bytes
    }
}
