import LiaisonCore
import LiaisonCrypto

/// What a node's log key signs when the node begins a log after another
/// (`liaison audit new-log`): the new log's name, the log it follows, how that one
/// was closed, and when. Kept in the new log's name record (audit schema v6) and in
/// its first entry (`log.started`).
///
/// Only the holder of the log key (its passphrase) can make one, so a later log is
/// never a file someone with write access to the home merely named so: the daemon
/// signs no checkpoint of a later log whose statement does not verify, and
/// `audit verify` fails it.
///
/// Signed text, one field per line (it cannot be read as a checkpoint: a checkpoint's
/// second line is its size):
///
///     liaison-log-succession/v1
///     <origin of the new log>
///     <origin of the log it follows>
///     <entries of that log when closed, or "lost">
///     <its root hash, base64, or "lost">
///     <when the new log began, Unix seconds>
public struct LogSuccessionStatement: Sendable, Hashable {
    /// The new log's origin (`liaison/<fingerprint>/<label>`).
    public let origin: String
    /// The origin of the log it follows.
    public let succeeds: String
    /// That log's size and root hash when it was closed; nil if it was lost.
    public let succeededSize: Int?
    public let succeededRoot: [UInt8]?
    /// When the new log began (Unix seconds).
    public let begunAt: Int64

    public init(origin: String, succeeds: String, succeededSize: Int?, succeededRoot: [UInt8]?, begunAt: Int64) {
        self.origin = origin
        self.succeeds = succeeds
        self.succeededSize = succeededSize
        self.succeededRoot = succeededRoot
        self.begunAt = begunAt
    }

    /// The first line of the signed text.
    public static let header = "liaison-log-succession/v1"

    /// The signed text.
    public var message: [UInt8] {
        let lines = [Self.header, origin, succeeds, succeededSize.map(String.init) ?? "lost",
                     succeededRoot.map(Base64.encode) ?? "lost", String(begunAt)]
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    /// The log key's signature over ``message``.
    public func signature(with key: LogSecretKey) -> [UInt8] {
        key.signature(for: message)
    }

    /// Whether `signature` is `key`'s over ``message``.
    public func isSigned(_ signature: [UInt8], by key: LogPublicKey) -> Bool {
        signature.count == 64 && key.isValidSignature(signature, for: message)
    }

    /// The statement a `log.started` entry of the log named `origin` records, and
    /// its signature; nil if the entry lacks any of it.
    public static func recorded(in event: AuditEvent, origin: String) -> (statement: LogSuccessionStatement, signature: [UInt8])? {
        let details = event.details
        guard event.kind == .logStarted, let succeeds = details["succeeds"],
              let begunAt = details["begun-at"].flatMap({ Int64($0) }),
              let signature = details["statement-signature"].flatMap(Base64.decode) else { return nil }
        let size = details["succeeded-size"].flatMap { Int($0) }
        let root = details["succeeded-root"].flatMap(Base64.decode)
        guard (size == nil) == (root == nil) else { return nil }
        return (LogSuccessionStatement(origin: origin, succeeds: succeeds, succeededSize: size, succeededRoot: root, begunAt: begunAt),
                signature)
    }

    /// The details a `log.started` entry records of it.
    public func details(signature: [UInt8]) -> [String: String] {
        var details = ["succeeds": succeeds, "begun-at": String(begunAt), "statement-signature": Base64.encode(signature)]
        if let succeededSize, let succeededRoot {
            details["succeeded-size"] = String(succeededSize)
            details["succeeded-root"] = Base64.encode(succeededRoot)
        }
        return details
    }
}
