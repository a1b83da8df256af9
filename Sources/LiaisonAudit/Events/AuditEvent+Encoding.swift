/// The canonical leaf encoding of an ``AuditEvent``: one UTF-8 JSON object with
/// no whitespace, members in this fixed order, absent optional members omitted:
///
///     {"v":1,"time":<int>,"event":<str>,"outcome":<str>,"actor":<str>,
///      "peer":<str>,"peer_name":<str>,"package":<str>,"markings":<str>,
///      "reason":<str>,"remote":<str>,"details":{<str>:<str>,…}}
///
/// `details` is omitted when empty and its keys are sorted by their UTF-8 bytes.
/// Strings escape `"` and `\` with a backslash and control characters below
/// 0x20 as `\u00xx` (lower-case hex); every other character is written as is.
/// Integers are decimal without leading zeros. Decoding accepts exactly this
/// form, so one event has one leaf and one leaf hash.
extension AuditEvent {
    /// Largest leaf the decoder accepts.
    public static let maximumLeafByteCount = 64 * 1024

    /// The leaf bytes.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        out.append(contentsOf: #"{"v":"#.utf8)
        out.append(contentsOf: String(Self.version).utf8)
        out.append(contentsOf: #","time":"#.utf8)
        out.append(contentsOf: String(time).utf8)
        Self.member("event", kind.rawValue, into: &out)
        Self.member("outcome", outcome.rawValue, into: &out)
        Self.member("actor", actor.description, into: &out)
        if let peer { Self.member("peer", peer, into: &out) }
        if let peerName { Self.member("peer_name", peerName, into: &out) }
        if let package { Self.member("package", package, into: &out) }
        if let markings { Self.member("markings", markings, into: &out) }
        if let reason { Self.member("reason", reason, into: &out) }
        if let remote { Self.member("remote", remote, into: &out) }
        if !details.isEmpty {
            out.append(contentsOf: #","details":{"#.utf8)
            for (number, key) in details.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if number > 0 { out.append(UInt8(ascii: ",")) }
                Self.string(key, into: &out)
                out.append(UInt8(ascii: ":"))
                Self.string(details[key] ?? "", into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Decodes a leaf; throws ``AuditError/Code/malformedLeaf`` unless `bytes` is
    /// exactly the canonical encoding of some event.
    public init(canonicalBytes bytes: [UInt8]) throws {
        guard bytes.count <= Self.maximumLeafByteCount else {
            throw AuditError.malformedLeaf("it is \(bytes.count) bytes, more than the \(Self.maximumLeafByteCount) a leaf may have")
        }
        var parser = LeafParser(bytes: bytes)
        let members = try parser.object()
        var fields: [String: LeafParser.Value] = [:]
        for (key, value) in members {
            guard fields.updateValue(value, forKey: key) == nil else { throw AuditError.malformedLeaf("member \"\(key)\" appears twice") }
        }
        func int(_ key: String) throws -> Int64 {
            guard case .integer(let value)? = fields[key] else { throw AuditError.malformedLeaf("\"\(key)\" is missing or not an integer") }
            return value
        }
        func text(_ key: String) throws -> String? {
            switch fields[key] {
            case nil: return nil
            case .string(let value)?: return value
            default: throw AuditError.malformedLeaf("\"\(key)\" is not a string")
            }
        }
        func required(_ key: String) throws -> String {
            guard let value = try text(key) else { throw AuditError.malformedLeaf("\"\(key)\" is missing") }
            return value
        }
        guard try int("v") == Int64(Self.version) else {
            throw AuditError.malformedLeaf("it is encoding version \(try int("v")), not \(Self.version); use a newer Liaison to read it")
        }
        guard let kind = AuditEventKind(rawValue: try required("event")) else {
            throw AuditError.malformedLeaf("the event kind \"\(try required("event"))\" is unknown")
        }
        guard let outcome = AuditOutcome(rawValue: try required("outcome")) else {
            throw AuditError.malformedLeaf("the outcome \"\(try required("outcome"))\" is unknown")
        }
        guard let actor = AuditActor(try required("actor")) else {
            throw AuditError.malformedLeaf("the actor \"\(try required("actor"))\" is not daemon, uid:N:ROLE or peer:ID")
        }
        var details: [String: String] = [:]
        switch fields["details"] {
        case nil: break
        case .object(let pairs)?:
            for (key, value) in pairs {
                guard details.updateValue(value, forKey: key) == nil else { throw AuditError.malformedLeaf("detail \"\(key)\" appears twice") }
            }
        default: throw AuditError.malformedLeaf("\"details\" is not an object of strings")
        }
        let known: Set<String> = ["v", "time", "event", "outcome", "actor", "peer", "peer_name", "package", "markings", "reason", "remote", "details"]
        if let unknown = fields.keys.first(where: { !known.contains($0) }) {
            throw AuditError.malformedLeaf("member \"\(unknown)\" is not part of encoding version \(Self.version)")
        }
        self.init(time: try int("time"), kind: kind, outcome: outcome, actor: actor, peer: try text("peer"),
                  peerName: try text("peer_name"), package: try text("package"), markings: try text("markings"),
                  reason: try text("reason"), remote: try text("remote"), details: details)
        guard canonicalBytes == bytes else {
            throw AuditError.malformedLeaf("it is not in canonical form (member order, escaping, bounds or spacing differ)")
        }
    }

    /// `,"key":"value"`. Member names are fixed ASCII with nothing to escape, so
    /// they are copied as they are.
    private static func member(_ key: StaticString, _ value: String, into out: inout [UInt8]) {
        out.append(contentsOf: #","#.utf8)
        out.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(contentsOf: #"":"#.utf8)
        string(value, into: &out)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { appendEscaped(UnsafeRawBufferPointer($0), to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the UTF-8 `bytes` of a string's contents as leaves write them: `"` and
    /// `\` after a backslash, bytes below 0x20 as `\u00xx`, everything else as is.
    /// (Also how the store checks its index columns against a leaf without decoding it.)
    /// Runs that need no escape, which is nearly everything, are copied whole.
    public static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        var plain = 0
        for (offset, byte) in bytes.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[plain..<offset]))
            if byte < 0x20 {
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0xf)])
            } else {
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            }
            plain = offset + 1
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[plain...]))
    }
}

extension AuditError {
    /// `detail` may quote the leaf's own strings, so it is made printable.
    static func malformedLeaf(_ detail: String) -> AuditError {
        AuditError(.malformedLeaf, "the audit leaf is malformed: \(detail.printable); the log was altered or written by something other than Liaison",
                   detail: detail.printable)
    }
}

/// A strict parser for the JSON subset leaves use: one object whose values are
/// integers, strings, or one level of object with string values. It only has to
/// accept every canonical leaf; the caller re-encodes and compares bytes.
private struct LeafParser {
    enum Value: Equatable {
        case integer(Int64)
        case string(String)
        case object([(String, String)])

        static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.integer(let a), .integer(let b)): a == b
            case (.string(let a), .string(let b)): a == b
            case (.object(let a), .object(let b)): a.elementsEqual(b, by: ==)
            default: false
            }
        }
    }

    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func object() throws -> [(String, Value)] {
        try expect(UInt8(ascii: "{"))
        var members: [(String, Value)] = []
        if peek() == UInt8(ascii: "}") { position += 1 } else {
            while true {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                members.append((key, try value()))
                if try next() == UInt8(ascii: "}") { break }
                guard bytes[position - 1] == UInt8(ascii: ",") else { throw AuditError.malformedLeaf("a member is not followed by , or }") }
            }
        }
        guard position == bytes.count else { throw AuditError.malformedLeaf("bytes follow the object") }
        return members
    }

    private mutating func value() throws -> Value {
        guard let first = peek() else { throw AuditError.malformedLeaf("it ends in the middle") }
        switch first {
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "{"):
            position += 1
            var pairs: [(String, String)] = []
            if peek() == UInt8(ascii: "}") { position += 1; return .object(pairs) }
            while true {
                let key = try string()
                try expect(UInt8(ascii: ":"))
                pairs.append((key, try string()))
                let separator = try next()
                if separator == UInt8(ascii: "}") { return .object(pairs) }
                guard separator == UInt8(ascii: ",") else { throw AuditError.malformedLeaf("a detail is not followed by , or }") }
            }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
        default: throw AuditError.malformedLeaf("a value at byte \(position) is not an integer, string or object")
        }
    }

    private mutating func integer() throws -> Int64 {
        let start = position
        if peek() == UInt8(ascii: "-") { position += 1 }
        while let byte = peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
        guard let value = Int64(String(decoding: bytes[start..<position], as: UTF8.self)) else {
            throw AuditError.malformedLeaf("the number at byte \(start) is not a 64-bit integer")
        }
        return value
    }

    private mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        var out: [UInt8] = []
        while true {
            let byte = try next()
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: out, as: UTF8.self) else { throw AuditError.malformedLeaf("a string is not UTF-8") }
                return text
            case UInt8(ascii: "\\"):
                let escaped = try next()
                if escaped == UInt8(ascii: "u") {
                    guard position + 4 <= bytes.count,
                          let code = UInt8(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
                        throw AuditError.malformedLeaf("a \\u escape is not a control character")
                    }
                    position += 4
                    out.append(code)
                } else {
                    out.append(escaped)
                }
            case 0..<0x20: throw AuditError.malformedLeaf("a string holds a raw control character")
            default: out.append(byte)
            }
        }
    }

    private func peek() -> UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func next() throws -> UInt8 {
        guard position < bytes.count else { throw AuditError.malformedLeaf("it ends in the middle") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func expect(_ byte: UInt8) throws {
        guard try next() == byte else { throw AuditError.malformedLeaf("expected \"\(Character(Unicode.Scalar(byte)))\" at byte \(position - 1)") }
    }
}
