import Foundation
import LiaisonCrypto

/// The proof of this node's log name (``LogOrigin``): `<home>/keys/log-origin.txt`,
/// signed with the first identity key at the node's first rotation (or, for a node
/// that rotated under an earlier release, when its daemon next starts, or rotates
/// again, while it still holds that key as its previous one). Its cards carry it,
/// so a partner that adds the node after a rotation names its log, and its witness
/// key, after the first fingerprint and can witness it. The file cannot be made
/// again once the first key is gone: back it up with the keys.
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
        // A regular file, not through a link, read to at most 4 KiB.
        let fd = info.st_mode & S_IFMT == S_IFREG ? open(logOriginPath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1
        let handle = fd >= 0 ? FileHandle(fileDescriptor: fd, closeOnDealloc: true) : nil
        guard let data = try? handle?.read(upToCount: 4097), data.count <= 4096, let text = String(data: data, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("log-origin: ") }),
              let origin = try? LogOrigin(parsing: String(line.dropFirst(12))),
              Self.logOriginText(origin) == text,
              origin.fingerprint == configuration.logFingerprint, origin.vouches(for: configuration.publicKeys.log) else { throw unusable }
        return origin
    }

    /// The proof: the one on file, or one signed now with whichever of the keys
    /// `held` returns (asked only then: the current keys of a node that never
    /// rotated, the previous ones of a node that did) is the first identity key,
    /// and saved. `created` says it was made now. nil when no held key is the first
    /// one: a node that rotated twice under a release that kept no proof (partners
    /// who add it since name its log after its current fingerprint).
    @discardableResult
    public func ensureLogOrigin(_ configuration: NodeConfiguration, held: () throws -> [NodeSecrets]) throws
        -> (origin: LogOrigin, created: Bool)? {
        if let origin = try logOrigin(configuration) { return (origin, false) }
        guard let first = try held().first(where: { $0.publicKeys.fingerprint == configuration.logFingerprint
                                                    && $0.publicKeys.log == configuration.publicKeys.log }) else { return nil }
        let origin = LogOrigin(signing: first.identity, log: first.publicKeys.log)
        try AtomicOutputFile.write(Array(Self.logOriginText(origin).utf8), to: logOriginPath, mode: 0o600)
        return (origin, true)
    }

    /// The `log-origin` of a card for `secrets`: nil for the keys the log began under,
    /// or when the proof is not on file.
    func logOrigin(_ configuration: NodeConfiguration, for secrets: NodeSecrets) throws -> LogOrigin? {
        guard configuration.logFingerprint != secrets.publicKeys.fingerprint else { return nil }
        return try logOrigin(configuration)
    }

    /// Makes `keys/card.txt` (the card for partners added later) carry the proof of the
    /// log's name, if it is this node's current card without it and the proof is on
    /// file: true if it was written. Decided from the files, so a start cut off between
    /// making the proof and this is finished by the next.
    public func refreshRotationCard(_ configuration: NodeConfiguration, secrets: NodeSecrets, now: Int64) throws -> Bool {
        guard let text = try? String(contentsOfFile: rotationCardPath, encoding: .utf8),
              let card = try? NodeCard(parsing: text, now: 0), card.keys == configuration.publicKeys, card.logOrigin == nil,
              try logOrigin(configuration, for: secrets) != nil else { return false }
        let fresh = try self.card(configuration, secrets: secrets, now: now)
        try AtomicOutputFile.write(Array(fresh.encoded.utf8), to: rotationCardPath, mode: 0o644)
        return true
    }
}
