import Foundation
import LiaisonCrypto

/// This node's key rotation: new identity, encryption and transport keys, the old
/// identity's signed statement about them, and the old secrets kept for the overlap.
///
/// Files (all 0600 in `<home>/keys`): `rotation.txt` (the newest statement; its
/// overlap end is the previous keys' expiry), `previous.secrets` (the keys before the
/// newest rotation, sealed like the key file), `rotation-pending.txt` (fingerprints
/// of partners not yet told). The log key is not rotated: the audit log keeps its
/// key and its name (`[keys] log-name`), so checkpoints and `audit verify` carry on.
extension NodeHome {
    /// `keys/rotation.txt`.
    public var rotationPath: String { path + "/keys/rotation.txt" }
    /// `keys/previous.secrets`.
    public var previousKeyFilePath: String { path + "/keys/previous.secrets" }
    /// `keys/card.txt`: the card of the newest rotation, for partners added later.
    public var rotationCardPath: String { path + "/keys/card.txt" }
    /// `keys/rotation-pending.txt`.
    public var rotationPendingPath: String { path + "/keys/rotation-pending.txt" }

    /// The newest rotation statement this node issued, if it ever rotated.
    public func rotation() throws -> RotationStatement? {
        var info = stat()
        guard lstat(rotationPath, &info) == 0 else { return nil }
        guard let data = FileManager.default.contents(atPath: rotationPath), data.count <= 4 * RotationStatement.maximumByteCount else {
            throw CoreError(.malformedRotation, "\(rotationPath) cannot be read; restore it from a backup")
        }
        // This node's own record: its card's expiry does not matter here.
        return try RotationStatement(text: String(decoding: data, as: UTF8.self), now: 0)
    }

    /// The keys in use before the newest rotation and the end of its overlap window,
    /// if this node rotated. They are sealed like the key file (same passphrase).
    public func previousSecrets(sealing: KeyFile.SealingKey) throws -> (secrets: NodeSecrets, overlapUntil: Int64)? {
        guard let statement = try rotation() else { return nil }
        var info = stat()
        guard lstat(previousKeyFilePath, &info) == 0 else { return nil }
        let secrets = try KeyFile.read(from: previousKeyFilePath, sealing: sealing)
        guard secrets.identity.publicKey == statement.previousIdentity else {
            throw CoreError(.keyFileMalformed, "\(previousKeyFilePath) does not hold the keys \(rotationPath) replaced; restore both from the same backup")
        }
        return (secrets, statement.overlapUntil)
    }

    /// Fingerprints (as they were before the rotation) of the partners that have
    /// not acknowledged the newest rotation yet.
    public func pendingRotationPeers() -> [String] {
        lines(at: rotationPendingPath)
    }

    /// Replaces the list of partners not yet told; an empty list removes the file.
    public func savePendingRotationPeers(_ fingerprints: [String]) throws {
        try saveLines(fingerprints, to: rotationPendingPath)
    }

    /// A rotation signed but not yet written: the caller audits it first, then
    /// calls ``commitRotation(_:configuration:current:sealing:)``.
    public struct PreparedRotation: Sendable {
        /// The new keys (the log key is the current one).
        public let secrets: NodeSecrets
        /// The old identity's statement about the new card (a card without the log's
        /// proof of name: partners of earlier releases read it, and know the name).
        public let statement: RotationStatement
        /// The new card for partners added later, with the proof of the log's name.
        public let card: NodeCard
        /// Why the proof of the log's name could not be made or read, if it could not:
        /// the rotation goes ahead (it may be an emergency), and the caller says so.
        public let logOriginProblem: String?
    }

    /// Generates new identity, encryption and transport keys (the log key stays),
    /// signs the new card with the new identity and the statement with the current one.
    /// The first identity key's proof of the log's name is made first if it is not on
    /// file (from the current keys at the first rotation, from `previous` — the keys
    /// before the last rotation, read only then — if an earlier release rotated
    /// without one): the rotation would lose that key for good. A proof that cannot be
    /// made or read does not stop the rotation (``PreparedRotation/logOriginProblem``).
    public func prepareRotation(_ configuration: NodeConfiguration, current: NodeSecrets, previous: () throws -> NodeSecrets?,
                                now: Int64, overlapSeconds: Int64) throws -> PreparedRotation {
        try ensureNotRevoked("rotates its keys")
        if let previous = try rotation(), now < previous.overlapUntil {
            throw CoreError(.keyChangeNotNow, "the previous rotation's overlap window is open until \(Timestamp.iso8601(previous.overlapUntil)); rotate again after that (partners keep one previous key at a time)")
        }
        let fresh = try NodeSecrets.generate()
        let next = NodeSecrets(identity: fresh.identity, encryption: fresh.encryption, transport: fresh.transport, log: current.log)
        var origin: LogOrigin?, problem: String?
        do {
            origin = try ensureLogOrigin(configuration) {
                configuration.logFingerprint == current.publicKeys.fingerprint ? [current] : (try previous().map { [$0] } ?? [])
            }?.origin
        } catch {
            problem = "\(error)"
        }
        let statementCard = try self.card(configuration, secrets: next, now: now, logOrigin: nil)
        let statement = try RotationStatement(previous: current.identity, card: statementCard, rotatedAt: now, overlapUntil: now + overlapSeconds)
        return PreparedRotation(secrets: next, statement: statement, card: try self.card(configuration, secrets: next, now: now, logOrigin: origin),
                                logOriginProblem: problem)
    }

    /// Makes a prepared rotation this node's keys, in an order that never leaves the
    /// node without the keys its configuration names: the new key file and the
    /// previous keys are written beside their places first, then the statement (the
    /// commit point), then both are moved into place and `liaison.toml`'s `[keys]`
    /// updated (its other settings untouched).
    /// Returns the new configuration.
    public func commitRotation(_ rotation: PreparedRotation, configuration: NodeConfiguration, current: NodeSecrets,
                               sealing: KeyFile.SealingKey) throws -> NodeConfiguration {
        let keyFile = keyFilePath(configuration)
        let nextKeyFile = keyFile + ".next", nextPrevious = previousKeyFilePath + ".next"
        let text = try String(contentsOfFile: configurationPath, encoding: .utf8)
        let updated = try Self.configurationText(text, replacing: configuration, with: rotation.secrets.publicKeys,
                                                 logName: configuration.logFingerprint, path: configurationPath)
        unlink(nextKeyFile)
        unlink(nextPrevious)
        do {
            try KeyFile.write(rotation.secrets, to: nextKeyFile, sealing: sealing)
            try KeyFile.write(current, to: nextPrevious, sealing: sealing)
        } catch {
            unlink(nextKeyFile)
            unlink(nextPrevious)
            throw error
        }
        // The statement is the commit point: before it, the old statement, previous
        // keys and key file still belong together; after it, the rest is finished by
        // `completingInterruptedRotation` if this is cut off.
        try AtomicOutputFile.write(Array(rotation.statement.text.utf8), to: rotationPath, mode: 0o600)
        try AtomicOutputFile.write(Array(rotation.card.encoded.utf8), to: rotationCardPath, mode: 0o644)
        try AtomicOutputFile.renameDurably(nextPrevious, to: previousKeyFilePath)
        try AtomicOutputFile.renameDurably(nextKeyFile, to: keyFile)
        try AtomicOutputFile.write(Array(updated.text.utf8), to: configurationPath, mode: 0o600)
        return updated.configuration
    }

    /// Finishes a `keys rotate` that a crash cut off inside ``commitRotation(_:configuration:current:sealing:)``,
    /// the way a database finishes a committed transaction on open: once the
    /// statement is written the rotation has happened (it is audited, and partners
    /// may be told of it), so the previous keys and the new key file are moved into
    /// place if they are still beside theirs, and `liaison.toml` is made to name the
    /// new keys. Returns
    /// the configuration as it now is (unchanged if no rotation was cut off).
    ///
    /// Idempotent; the loaded key file is still checked against the result by
    /// ``loadSecrets(_:passphrase:)``.
    public func completingInterruptedRotation(_ configuration: NodeConfiguration) throws -> NodeConfiguration {
        guard let statement = try rotation(), statement.previousIdentity == configuration.publicKeys.identity,
              statement.card.keys != configuration.publicKeys else { return configuration }
        let keyFile = keyFilePath(configuration), nextKeyFile = keyFile + ".next", nextPrevious = previousKeyFilePath + ".next"
        if access(nextPrevious, F_OK) == 0 { try AtomicOutputFile.renameDurably(nextPrevious, to: previousKeyFilePath) }
        if access(nextKeyFile, F_OK) == 0 { try AtomicOutputFile.renameDurably(nextKeyFile, to: keyFile) }
        let text = try String(contentsOfFile: configurationPath, encoding: .utf8)
        let updated = try Self.configurationText(text, replacing: configuration, with: statement.card.keys,
                                                 logName: configuration.logFingerprint, path: configurationPath)
        try AtomicOutputFile.write(Array(updated.text.utf8), to: configurationPath, mode: 0o600)
        return updated.configuration
    }

    /// `text` (liaison.toml) with the public keys in `[keys]` replaced and `log-name`
    /// set; every other line is kept as the operator wrote it.
    static func configurationText(_ text: String, replacing old: NodeConfiguration, with keys: NodePublicKeys,
                                  logName: NodeFingerprint, path: String) throws -> (text: String, configuration: NodeConfiguration) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var section = ""
        var logLine: Int?
        var hasLogName = false
        let replacements = [
            "identity": KeyText.encode(keys.identity), "encryption": KeyText.encode(keys.encryption),
            "transport": KeyText.encode(keys.transport), "log": KeyText.encode(keys.log),
        ]
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") { section = trimmed; continue }
            guard section == "[keys]", let equals = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            if let value = replacements[key] {
                lines[index] = "\(key) = \"\(value)\""
                if key == "log" { logLine = index }
            } else if key == "log-name" {
                lines[index] = "log-name = \"\(logName)\""
                hasLogName = true
            }
        }
        if !hasLogName, let logLine { lines.insert("log-name = \"\(logName)\"", at: logLine + 1) }
        let result = lines.joined(separator: "\n")
        let parsed = try NodeConfiguration(parsing: result, path: path)
        guard parsed.publicKeys == keys, parsed.logFingerprint == logName, parsed.name == old.name else {
            throw CoreError(.malformedConfig, "cannot update the [keys] section of \(path) (is it written in an unusual form?); nothing was rotated")
        }
        return (result, parsed)
    }
}
