import Foundation
import LiaisonCrypto

/// The first identity key's proof of this node's log name (``LogOrigin/FirstKeyProof``):
/// `<home>/keys/log-origin.txt`, signed with the first identity key at the node's
/// first rotation (or, for a node that rotated under an earlier release, when its
/// daemon next starts, or rotates again, while it still holds that key as its
/// previous one). Its cards carry it, with the log key's signature naming each
/// card's identity key, so a partner that adds the node after a rotation knows its
/// log by its lifelong name and can witness it. The file cannot be made again once
/// the first key is gone: back it up with the keys.
extension NodeHome {
    /// `keys/log-origin.txt`.
    public var logOriginPath: String { path + "/keys/log-origin.txt" }

    private static let logOriginComment = "# Liaison log origin: the identity key this node's audit log began under vouches for its log key."

    /// The file's text for `proof`.
    static func logOriginText(_ proof: LogOrigin.FirstKeyProof) -> String {
        "\(logOriginComment)\nlog-name: \(proof.fingerprint)\nlog-origin: \(proof.encoded)\n"
    }

    /// The proof on file, checked against the configuration (its log's name and log
    /// key); nil if there is none. An altered or foreign file is an error that says
    /// what to do, not a card without the proof.
    public func logOriginProof(_ configuration: NodeConfiguration) throws -> LogOrigin.FirstKeyProof? {
        var info = stat()
        guard lstat(logOriginPath, &info) == 0 else { return nil }
        let unusable = CoreError(.keyFileMalformed, "\(logOriginPath) does not prove this node's log name (\(configuration.logFingerprint)); restore it from a backup, or remove it and start liaisond while it still holds the first identity key")
        // A regular file (lstat: not through a link), read to at most 4 KiB.
        let handle = info.st_mode & S_IFMT == S_IFREG ? FileHandle(forReadingAtPath: logOriginPath) : nil
        defer { try? handle?.close() }
        guard let data = try? handle?.read(upToCount: 4097), data.count <= 4096, let text = String(data: data, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("log-origin: ") }),
              let proof = try? LogOrigin.FirstKeyProof(parsing: String(line.dropFirst(12))),
              Self.logOriginText(proof) == text,
              proof.fingerprint == configuration.logFingerprint, proof.vouches(for: configuration.publicKeys.log) else { throw unusable }
        return proof
    }

    /// The proof: the one on file, or one signed now with whichever of the keys
    /// `held` returns (asked only then: the current keys of a node that never
    /// rotated, the previous ones of a node that did) is the first identity key,
    /// and saved. `created` says it was made now. nil when no held key is the first
    /// one: a node that rotated twice under a release that kept no proof (partners
    /// who add it since know its log under its current name).
    @discardableResult
    public func ensureLogOriginProof(_ configuration: NodeConfiguration, held: () throws -> [NodeSecrets]) throws
        -> (proof: LogOrigin.FirstKeyProof, created: Bool)? {
        if let proof = try logOriginProof(configuration) { return (proof, false) }
        guard let first = try held().first(where: { $0.publicKeys.fingerprint == configuration.logFingerprint
                                                    && $0.publicKeys.log == configuration.publicKeys.log }) else { return nil }
        let proof = LogOrigin.FirstKeyProof(signing: first.identity, log: first.publicKeys.log)
        try AtomicOutputFile.write(Array(Self.logOriginText(proof).utf8), to: logOriginPath, mode: 0o600)
        return (proof, true)
    }

    /// The `log-origin` of a card for `secrets` (nil for the keys the log began under,
    /// or when the proof is not on file).
    func logOrigin(_ configuration: NodeConfiguration, for secrets: NodeSecrets) throws -> LogOrigin? {
        guard configuration.logFingerprint != secrets.publicKeys.fingerprint else { return nil }
        return try logOriginProof(configuration).map { LogOrigin($0, holder: secrets.publicKeys.identity, log: secrets.log) }
    }
}
