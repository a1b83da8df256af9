import Foundation
import LiaisonCrypto

/// The proof of this node's log name once it has rotated (``LogOrigin``):
/// `<home>/keys/log-origin.txt`, signed with the first identity key at the node's
/// first rotation (or, for a node that rotated under an earlier release, when its
/// daemon next starts and still holds that key as its previous one). Its card
/// carries it, so a partner that adds the node after a rotation knows its log by
/// its lifelong name and can witness it.
extension NodeHome {
    /// `keys/log-origin.txt`.
    public var logOriginPath: String { path + "/keys/log-origin.txt" }

    private static let logOriginComment = "# Liaison log origin: the identity key this node's audit log began under vouches for its log key."

    /// The file's text for `origin`.
    static func logOriginText(_ origin: LogOrigin) -> String {
        "\(logOriginComment)\nlog-name: \(origin.fingerprint)\nlog-origin: \(origin.encoded)\n"
    }

    /// The proof on file, checked against the configuration (its log's name and log
    /// key); nil if there is none. An altered or foreign file is an error that says
    /// what to do, not a card without the proof.
    public func logOrigin(_ configuration: NodeConfiguration) throws -> LogOrigin? {
        var info = stat()
        guard lstat(logOriginPath, &info) == 0 else { return nil }
        let unusable = CoreError(.keyFileMalformed, "\(logOriginPath) does not prove this node's log name (\(configuration.logFingerprint)); restore it from a backup, or remove it and start liaisond while it still holds the first identity key")
        guard let data = FileManager.default.contents(atPath: logOriginPath), data.count <= 4096,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("log-origin: ") }),
              let origin = try? LogOrigin(parsing: String(line.dropFirst(12))),
              Self.logOriginText(origin) == String(decoding: data, as: UTF8.self),
              origin.fingerprint == configuration.logFingerprint, origin.vouches(for: configuration.publicKeys.log) else { throw unusable }
        return origin
    }

    /// Writes `origin` as this node's proof (durably, 0600).
    func saveLogOrigin(_ origin: LogOrigin) throws {
        try AtomicOutputFile.write(Array(Self.logOriginText(origin).utf8), to: logOriginPath, mode: 0o600)
    }

    /// The proof for a node whose log is named after another key than its current
    /// identity: the one on file, or one signed now with whichever of `held` (the
    /// previous keys, kept through the rotation's overlap and until the next one) is
    /// the first identity key, and saved. nil for a node that never rotated, and for
    /// one that rotated twice under a release that kept no proof (its first identity
    /// key is gone: partners who add it since know its log under its current name).
    @discardableResult
    public func ensureLogOrigin(_ configuration: NodeConfiguration, held: [NodeSecrets]) throws -> LogOrigin? {
        guard configuration.logFingerprint != configuration.publicKeys.fingerprint else { return nil }
        if let origin = try logOrigin(configuration) { return origin }
        guard let first = held.first(where: { $0.publicKeys.fingerprint == configuration.logFingerprint && $0.publicKeys.log == configuration.publicKeys.log })
        else { return nil }
        let origin = LogOrigin(signing: first.identity, log: first.publicKeys.log)
        try saveLogOrigin(origin)
        return origin
    }
}
