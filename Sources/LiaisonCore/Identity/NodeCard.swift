import Foundation
import LiaisonCrypto

/// The public half of a node, signed by its identity key: what partners exchange
/// to add each other. The fingerprint is checked out of band.
///
/// The text form is line-based and strict (fixed field order, no duplicates):
///
///     liaison-node-card v1
///     name: alpha
///     identity: ed25519:<base64>
///     encryption: x25519:<base64>
///     transport: x25519:<base64>
///     log: ed25519:<base64>
///     log-origin: ed25519:<base64> <base64>   (only once the node rotated)
///     address: 127.0.0.1:7401          (zero or more)
///     valid-from: 2026-11-26T09:40:00Z
///     valid-until: 2027-11-26T09:40:00Z
///     signature: <base64>
///
/// The signature is Ed25519 by the identity key over the domain label
/// `liaison/node-card/v1` and a newline, followed by every byte before the
/// `signature:` line. The `log-origin` line (``LogOrigin``) proves the name the
/// node's audit log keeps after a rotation: its first identity key's signature
/// over the log key.
public struct NodeCard: Sendable, Hashable {
    /// The node's own name for itself (peers may file it under another name).
    public let name: String
    /// The four public keys.
    public let keys: NodePublicKeys
    /// The proof of its audit log's name once it rotated its identity (nil: the
    /// log is named after ``fingerprint``).
    public let logOrigin: LogOrigin?
    /// Where its daemon listens, `host:port`.
    public let addresses: [String]
    /// Validity window, Unix seconds.
    public let validFrom: Int64
    /// End of validity, Unix seconds.
    public let validUntil: Int64
    /// The identity key's signature over the card body.
    public let signature: [UInt8]

    static let header = "liaison-node-card v1"
    static let signatureLabel = "liaison/node-card/v1\n"
    /// Most addresses on one card.
    public static let maximumAddresses = 16
    /// Largest card accepted.
    public static let maximumByteCount = 16 * 1024

    /// Creates and signs a card; `logOrigin` must vouch for the node's log key and
    /// name another identity key than its current one.
    public init(name: String, secrets: NodeSecrets, addresses: [String], validFrom: Int64, validUntil: Int64,
                logOrigin: LogOrigin? = nil) throws {
        try NodeName.validate(name)
        for a in addresses { try NetworkAddress.validate(a) }
        guard addresses.count <= Self.maximumAddresses else {
            throw CoreError(.invalidArgument, "a card lists at most \(Self.maximumAddresses) addresses")
        }
        guard validUntil > validFrom else { throw CoreError(.invalidArgument, "a card must be valid for some time") }
        if let logOrigin {
            guard logOrigin.identity != secrets.publicKeys.identity, logOrigin.vouches(for: secrets.publicKeys.log) else {
                throw CoreError(.invalidArgument, "the log origin does not belong to this node's keys")
            }
        }
        self.name = name
        self.keys = secrets.publicKeys
        self.logOrigin = logOrigin
        self.addresses = addresses
        self.validFrom = validFrom
        self.validUntil = validUntil
        let body = Self.body(name: name, keys: keys, logOrigin: logOrigin, addresses: addresses, validFrom: validFrom, validUntil: validUntil)
        self.signature = secrets.identity.signature(for: Array((Self.signatureLabel + body).utf8))
    }

    /// The node id.
    public var fingerprint: NodeFingerprint { keys.fingerprint }

    /// The fingerprint its audit log and witness key are named after.
    public var auditLogFingerprint: NodeFingerprint { logOrigin?.fingerprint ?? fingerprint }

    /// The card's text form.
    public var encoded: String {
        Self.body(name: name, keys: keys, logOrigin: logOrigin, addresses: addresses, validFrom: validFrom, validUntil: validUntil)
            + "signature: \(Data(signature).base64EncodedString())\n"
    }

    private static func body(name: String, keys: NodePublicKeys, logOrigin: LogOrigin?, addresses: [String], validFrom: Int64,
                             validUntil: Int64) -> String {
        var lines = [header, "name: \(name)"]
        lines.append("identity: \(KeyText.encode(keys.identity))")
        lines.append("encryption: \(KeyText.encode(keys.encryption))")
        lines.append("transport: \(KeyText.encode(keys.transport))")
        lines.append("log: \(KeyText.encode(keys.log))")
        if let logOrigin { lines.append("log-origin: \(logOrigin.encoded)") }
        lines += addresses.map { "address: \($0)" }
        lines.append("valid-from: \(Timestamp.iso8601(validFrom))")
        lines.append("valid-until: \(Timestamp.iso8601(validUntil))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Rethrows a validation error as a malformed card (exit code 65, not 64).
    private static func asMalformed(_ check: () throws -> Void) throws {
        do { try check() } catch let error as CoreError {
            throw CoreError(.malformedCard, "the card is invalid: \(error.message)")
        }
    }

    /// Parses a card and verifies its signature. `now` is checked against the end
    /// of validity (`valid-until`); a `valid-from` in the future is accepted so that
    /// a rotated card can be published before it takes effect.
    public init(parsing text: String, now: Int64) throws {
        // One card, one encoding: Windows line ends (mail and editors leave them) are
        // refused like any other change, but said for what they are.
        guard !text.utf8.contains(UInt8(ascii: "\r")) else {
            throw CoreError(.malformedCard, "the card has Windows line endings (CR LF), as mail or a Windows editor may leave them; convert them (`sed -i 's/\\r$//' FILE`, or dos2unix) and import it again")
        }
        guard text.utf8.count <= Self.maximumByteCount else {
            throw CoreError(.malformedCard, "the card is larger than \(Self.maximumByteCount) bytes")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var cursor = lines.makeIterator()
        var lineNumber = 0
        func next(_ field: String) throws -> String {
            lineNumber += 1
            guard let line = cursor.next() else {
                throw CoreError(.malformedCard, "the card ends before its \"\(field)\" line")
            }
            guard line.hasPrefix(field + ": ") else {
                throw CoreError(.malformedCard, "line \(lineNumber) of the card should be \"\(field): …\"")
            }
            return String(line.dropFirst(field.count + 2))
        }
        lineNumber = 1
        guard cursor.next() == Self.header else {
            throw CoreError(.malformedCard, "this is not a Liaison node card (first line must be \"\(Self.header)\")")
        }
        let name = try next("name")
        try Self.asMalformed { try NodeName.validate(name) }
        let keys = NodePublicKeys(
            identity: try KeyText.decode(try next("identity"), field: "identity"),
            encryption: try KeyText.decode(try next("encryption"), field: "encryption"),
            transport: try KeyText.decode(try next("transport"), field: "transport"),
            log: try KeyText.decode(try next("log"), field: "log"))
        var line = cursor.next()
        lineNumber += 1
        var logOrigin: LogOrigin?
        if let l = line, l.hasPrefix("log-origin: ") {
            let origin = try LogOrigin(parsing: String(l.dropFirst(12)))
            guard origin.identity != keys.identity else {
                throw CoreError(.malformedCard, "the card's log-origin names its own identity key (a card has one only once the node rotated)")
            }
            guard origin.vouches(for: keys.log) else {
                throw CoreError(.cardSignatureInvalid, "the card's log-origin does not verify: the key it names did not sign this card's log key, so the card cannot name that log")
            }
            logOrigin = origin
            line = cursor.next()
            lineNumber += 1
        }
        var addresses: [String] = []
        while let l = line, l.hasPrefix("address: ") {
            let address = String(l.dropFirst(9))
            try Self.asMalformed { try NetworkAddress.validate(address) }
            addresses.append(address)
            guard addresses.count <= Self.maximumAddresses else {
                throw CoreError(.malformedCard, "a card lists at most \(Self.maximumAddresses) addresses")
            }
            line = cursor.next()
            lineNumber += 1
        }
        guard let l = line, l.hasPrefix("valid-from: "), let validFrom = Timestamp.parse(String(l.dropFirst(12))) else {
            throw CoreError(.malformedCard, "line \(lineNumber) of the card should be \"valid-from: <RFC 3339 time>\"")
        }
        guard let validUntil = Timestamp.parse(try next("valid-until")), validUntil > validFrom else {
            throw CoreError(.malformedCard, "the card's valid-until is not an RFC 3339 time after valid-from")
        }
        guard let signature = Data(base64Encoded: try next("signature")).map(Array.init), signature.count == 64 else {
            throw CoreError(.malformedCard, "the card's signature is not 64 bytes of base64")
        }
        var after: [String] = []
        while let extra = cursor.next() { after.append(extra) }
        guard after.isEmpty else {
            // One card, one encoding; blank lines at the end (a paste from mail) are said for what they are.
            guard after.allSatisfy({ $0.allSatisfy(\.isWhitespace) }) else {
                throw CoreError(.malformedCard, "the card has lines after its signature")
            }
            throw CoreError(.malformedCard, "the card ends with \(after.count) blank line(s) after its signature, as a paste from mail may leave; delete them (`sed -i '/^[[:space:]]*$/d' FILE`) and import it again")
        }
        let body = Self.body(name: name, keys: keys, logOrigin: logOrigin, addresses: addresses, validFrom: validFrom, validUntil: validUntil)
        // Re-encoding must give back the exact text: one card, one encoding.
        guard body + "signature: \(Data(signature).base64EncodedString())\n" == (text.hasSuffix("\n") ? text : text + "\n") else {
            throw CoreError(.malformedCard, "the card is not in canonical form")
        }
        guard keys.identity.isValidSignature(signature, for: Array((Self.signatureLabel + body).utf8)) else {
            throw CoreError(.cardSignatureInvalid, "the card's signature does not verify: it was altered or not signed by its identity key")
        }
        guard now < validUntil else {
            throw CoreError(.cardExpired, "the card expired at \(Timestamp.iso8601(validUntil)); ask the partner for a current one")
        }
        self.name = name
        self.keys = keys
        self.logOrigin = logOrigin
        self.addresses = addresses
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.signature = signature
    }
}

/// Text form of public keys: `ed25519:<base64>` or `x25519:<base64>`.
public enum KeyText {
    /// Encodes a signing public key.
    public static func encode<R>(_ key: Ed25519PublicKey<R>) -> String {
        "ed25519:" + Data(key.rawRepresentation).base64EncodedString()
    }

    /// Encodes an agreement public key.
    public static func encode<R>(_ key: X25519PublicKey<R>) -> String {
        "x25519:" + Data(key.rawRepresentation).base64EncodedString()
    }

    /// Decodes and validates a signing public key.
    public static func decode<R>(_ text: String, field: String) throws -> Ed25519PublicKey<R> {
        do {
            return try Ed25519PublicKey<R>(rawRepresentation: try raw(text, prefix: "ed25519:", field: field))
        } catch let error as CryptoError {
            throw CoreError(.malformedCard, "the \(field) key is not usable: \(error)")
        }
    }

    /// Decodes and validates an agreement public key (low-order points refused).
    public static func decode<R>(_ text: String, field: String) throws -> X25519PublicKey<R> {
        do {
            return try X25519PublicKey<R>(rawRepresentation: try raw(text, prefix: "x25519:", field: field))
        } catch let error as CryptoError {
            throw CoreError(.malformedCard, "the \(field) key is not usable: \(error)")
        }
    }

    private static func raw(_ text: String, prefix: String, field: String) throws -> [UInt8] {
        guard text.hasPrefix(prefix), let data = Data(base64Encoded: String(text.dropFirst(prefix.count))), data.count == 32 else {
            throw CoreError(.malformedCard, "the \(field) key must be \"\(prefix)\" followed by 32 bytes of base64")
        }
        return Array(data)
    }
}

/// Node and peer names: 1–64 of `a-z 0-9 . _ -`, starting with a letter or digit.
public enum NodeName {
    /// Throws ``CoreError/Code/invalidArgument`` unless `name` is acceptable.
    public static func validate(_ name: String) throws {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-")
        guard (1...64).contains(name.count), name.allSatisfy({ allowed.contains($0) }),
              let first = name.first, first.isLetter || first.isNumber
        else {
            throw CoreError(.invalidArgument, "\"\(name.prefix(70))\" is not a valid name: use 1–64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
    }

    /// Whether `name` is acceptable (``validate(_:)`` would not throw).
    public static func isValid(_ name: String) -> Bool { (try? validate(name)) != nil }
}

/// `host:port` addresses (`127.0.0.1:7401`, `[::1]:7401`, `liaison.example.org:7401`).
public enum NetworkAddress {
    /// Throws unless `address` is a host and a port 1–65535.
    public static func validate(_ address: String) throws {
        guard let colon = address.lastIndex(of: ":"),
              case let portText = address[address.index(after: colon)...], !portText.isEmpty,
              portText.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw CoreError(.invalidArgument, "\"\(address.prefix(80))\" is not host:port (e.g. 127.0.0.1:7401 or [::1]:7401)")
        }
        guard portText.count <= 5, let port = Int(portText), (1...65535).contains(port) else {
            throw CoreError(.invalidArgument, "\"\(address.prefix(80))\" has port \(portText.prefix(12)), outside 1–65535")
        }
        let host = address[..<colon]
        // An IPv6 literal in brackets: hex digits, ':' and '.' (embedded IPv4) only.
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]") && host.count > 2
            && host.dropFirst().dropLast().allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
            && host.dropFirst().dropLast().contains(":")
        let plain = !host.isEmpty && host.count <= 253 && host.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        guard bracketed || plain else {
            throw CoreError(.invalidArgument, "\"\(address.prefix(80))\" has an invalid host part")
        }
    }

    /// The host (an IPv6 literal without its brackets) and port of a `host:port`
    /// address, as sockets take them; nil if it has no numeric port. For addresses
    /// ``validate(_:)`` accepted, as configuration and cards hold them.
    public static func hostAndPort(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else { return nil }
        return (String(address[..<colon]).trimmingCharacters(in: ["[", "]"]), port)
    }

    /// Whether `address` names no host at all but every local one, as the system's
    /// resolver reads its host (`0.0.0.0`, `0`, `0x0.0.0.0`, `[::]`, `[::ffff:0.0.0.0]`):
    /// fine to listen on, but a partner dialling it reaches itself.
    public static func isWildcard(_ address: String) -> Bool {
        guard let colon = address.lastIndex(of: ":") else { return false }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            var v6 = in6_addr()
            guard inet_pton(AF_INET6, host, &v6) == 1 else { return false }
            let bytes = withUnsafeBytes(of: v6) { Array($0) }
            // :: itself, or ::ffff:0.0.0.0 (the IPv4 wildcard, mapped).
            return bytes.allSatisfy { $0 == 0 } || (bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
                                                    && bytes[12...].allSatisfy { $0 == 0 })
        }
        // inet_aton reads what getaddrinfo reads as a numeric IPv4 address (`0`, `0.0`, hex, octal).
        var v4 = in_addr()
        return inet_aton(host, &v4) == 1 && v4.s_addr == 0
    }

    /// Throws unless `address` is host:port (``validate(_:)``) with a host a partner
    /// can dial: not a wildcard (``isWildcard(_:)``).
    public static func validateDialable(_ address: String) throws {
        try validate(address)
        guard !isWildcard(address) else {
            throw CoreError(.invalidArgument, "\"\(address.prefix(80))\" is a wildcard address: partners cannot dial it; give the host name or address they reach this node at")
        }
    }
}
