import Foundation
import LiaisonCrypto

/// A node's home directory and the one place that reads and writes its files:
/// `liaison.toml` (configuration), `keyring.toml` (peers) and the key file.
public struct NodeHome: Sendable {
    /// The directory.
    public let path: String

    /// A home at `path` (not created until ``create(name:listen:passphrase:now:parameters:)``).
    public init(path: String) { self.path = path }

    /// The home given (`--home`), else `$LIAISON_HOME` if set and not empty, else
    /// `~/.liaison` with `~` as the shell expands it: `$HOME`, else the account's home.
    /// The variables are read with `getenv`: Foundation's copy of the whole
    /// environment would also copy `LIAISON_PASSPHRASE` into strings never wiped.
    public static func resolvedPath(_ given: String?) -> String {
        if let given { return given }
        if let value = getenv("LIAISON_HOME"), value.pointee != 0 { return String(cString: value) }
        if let home = getenv("HOME"), home.pointee != 0 { return String(cString: home) + "/.liaison" }
        return NSHomeDirectory() + "/.liaison"
    }

    /// `liaison.toml`.
    public var configurationPath: String { path + "/liaison.toml" }
    /// `keyring.toml`.
    public var keyringPath: String { path + "/keyring.toml" }

    /// The key file's path for `configuration`.
    public func keyFilePath(_ configuration: NodeConfiguration) -> String {
        configuration.keyFile.hasPrefix("/") ? configuration.keyFile : path + "/" + configuration.keyFile
    }

    /// A home is made in a new directory or an empty one (a volume's `lost+found`
    /// aside): its mode becomes 0700, which must not happen to a directory that
    /// holds someone's other files.
    static func checkFreshHome(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw CoreError(.invalidArgument, "\(path) is a file, not a directory: give --home a new or empty directory for the node")
        }
        let others = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0 != "lost+found" }.sorted()
        guard others.isEmpty else {
            let shown = others.prefix(3).joined(separator: ", ") + (others.count > 3 ? ", …" : "")
            throw CoreError(.invalidArgument, "\(path) already holds other files (\(shown)); a node's home becomes private (mode 0700), so give --home a new or empty directory")
        }
    }

    /// `mkdir -p` with mode 0700, saying which component failed and why.
    static func makeDirectories(_ path: String) throws {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            built += "/" + component
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw CoreError(.io, "cannot create \(built): \(String(cString: strerror(errno)))")
            }
            var info = stat()
            guard stat(built, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw CoreError(.invalidArgument, "cannot create \(path): \(built) is a file, not a directory")
            }
        }
    }

    /// Creates a new node: four key pairs, the encrypted key file, the
    /// configuration and an empty keyring. Refuses to touch an existing node.
    @discardableResult
    public func create(name: String, listen: [String], advertise: [String]? = nil, passphrase: SecureBytes?, now: Int64,
                       parameters: Argon2idParameters = .default) throws -> NodeConfiguration {
        try NodeName.validate(name)
        for address in listen { try NetworkAddress.validate(address) }
        for address in advertise ?? [] { try NetworkAddress.validateDialable(address) }
        if advertise == nil, let wildcard = listen.first(where: NetworkAddress.isWildcard) {
            throw CoreError(.invalidArgument, "the node would listen on \(wildcard), a wildcard address partners cannot dial; also give the address they reach it at with --advertise <host>:<port>")
        }
        // lstat, not fileExists: a dangling symlink in the way is "something there" too.
        var info = stat()
        for existing in [configurationPath, path + "/keys/node.secrets", keyringPath] where lstat(existing, &info) == 0 {
            throw CoreError(.nodeExists, "\(existing) already exists: a node lives in \(path). Refusing to overwrite it; choose another --home")
        }
        try Self.checkFreshHome(path)
        // Directories get 0700 explicitly (no process-wide umask change: other threads
        // may be creating files); files are created 0600 by SecureFile.
        try Self.makeDirectories(path + "/keys")
        chmod(path + "/keys", 0o700)
        chmod(path, 0o700)
        let secrets = try NodeSecrets.generate()
        var configuration = NodeConfiguration(name: name, created: now, listen: listen, publicKeys: secrets.publicKeys,
                                              protection: passphrase == nil ? .none : .argon2id)
        configuration.advertise = advertise
        var written: [String] = []
        do {
            try KeyFile.write(secrets, to: keyFilePath(configuration), passphrase: passphrase, parameters: parameters)
            written.append(keyFilePath(configuration))
            try SecureFile.writeNew(Array(configuration.rendered.utf8), to: configurationPath)
            written.append(configurationPath)
            try SecureFile.writeNew(Array(try Keyring(peers: []).rendered(excluding: []).utf8), to: keyringPath)
            written.append(keyringPath)
            // The new entries themselves survive a power loss: a node whose keys vanished
            // after its card was handed out could never be reached again.
            try AtomicOutputFile.syncDirectory(path + "/keys")
            try AtomicOutputFile.syncDirectory(path)
        } catch {
            // Leave no half-made node behind: it would block every later attempt.
            for file in written { unlink(file) }
            throw error
        }
        return configuration
    }

    /// Reads `liaison.toml`.
    public func loadConfiguration() throws -> NodeConfiguration {
        guard let text = try? String(contentsOfFile: configurationPath, encoding: .utf8) else {
            if access(configurationPath, R_OK) != 0 && errno == EACCES {
                throw CoreError(.permissionDenied, "cannot read \(configurationPath): \(String(cString: strerror(EACCES))); commands that work without the daemon read the node's own files, so run them as the node's user (sudo -u …)")
            }
            if access(configurationPath, F_OK) == 0 {
                throw CoreError(.malformedConfig, "\(configurationPath) cannot be read as UTF-8 text; restore it from a backup")
            }
            throw CoreError(.nodeMissing, "no node at \(path) (\(configurationPath) is missing or unreadable); create one with `liaison init --home \(path) --name NAME`")
        }
        return try NodeConfiguration(parsing: text, path: configurationPath)
    }

    /// Reads the keyring: `keyring.toml` plus peers pinned in the configuration.
    public func loadKeyring(_ configuration: NodeConfiguration) throws -> Keyring {
        let text: String
        if let data = FileManager.default.contents(atPath: keyringPath) {
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw CoreError(.malformedConfig, "\(keyringPath) is not UTF-8 text; restore it from backup (nothing was changed)")
            }
            text = decoded
        } else if access(keyringPath, F_OK) == 0 {
            if access(keyringPath, R_OK) != 0 && errno == EACCES {
                throw CoreError(.permissionDenied, "cannot read \(keyringPath): \(String(cString: strerror(EACCES))); run this as the node's user (sudo -u …)")
            }
            throw CoreError(.io, "\(keyringPath) exists but cannot be read; check its permissions")
        } else {
            text = ""
        }
        var keyring = try Keyring(parsing: text, path: keyringPath)
        for pinned in configuration.pinnedPeers {
            do { try keyring.add(pinned) } catch let error as CoreError {
                throw CoreError(.malformedConfig, "\(configurationPath): pinned peer \"\(pinned.name)\": \(error.message)")
            }
        }
        return try droppingExpiredRotations(from: applyingRevocations(to: keyring), now: Timestamp.now())
    }

    /// `keyring` without peers' previous keys whose overlap window has ended.
    func droppingExpiredRotations(from keyring: Keyring, now: Int64) throws -> Keyring {
        var result = keyring
        for peer in keyring.peers where peer.previousKeys != nil && peer.previousKeys(at: now) == nil {
            try result.replace(peer.droppingExpiredPreviousKeys(at: now))
        }
        return result
    }

    /// Writes the keyring atomically and durably (temporary file, fsync, rename, the
    /// directory synced): a trust downgrade or a removal must not come back after a power loss.
    public func saveKeyring(_ keyring: Keyring, configuration: NodeConfiguration) throws {
        try AtomicOutputFile.write(Array(keyring.rendered(excluding: configuration.pinnedPeers).utf8), to: keyringPath, mode: 0o600)
    }

    /// Decrypts the node's secret keys and checks they match the configuration.
    public func loadSecrets(_ configuration: NodeConfiguration, passphrase: PassphraseSource) throws -> NodeSecrets {
        try loadSecretsRetainingKey(configuration, passphrase: passphrase).secrets
    }

    /// As ``loadSecrets(_:passphrase:)``, keeping the key file's sealing key so
    /// that the daemon can write rotated keys under the same passphrase.
    public func loadSecretsRetainingKey(_ configuration: NodeConfiguration, passphrase: PassphraseSource) throws -> (secrets: NodeSecrets, sealing: KeyFile.SealingKey) {
        let loaded = try KeyFile.readRetainingKey(from: keyFilePath(configuration)) { try passphrase.read() }
        guard loaded.secrets.publicKeys == configuration.publicKeys else {
            throw CoreError(.keyFileMalformed, "the key file \(keyFilePath(configuration)) belongs to another node than \(configurationPath) describes (liaisond finishes an interrupted `keys rotate` when it starts; otherwise restore both from a backup)")
        }
        return loaded
    }

    /// The node's own card, freshly signed, listing the configuration's
    /// ``NodeConfiguration/cardAddresses``. Throws ``CoreError/Code/invalidArgument``
    /// if one of them is a wildcard address no partner can dial, and
    /// ``CoreError/Code/nodeRevoked`` once the node revoked its own key (a new card
    /// would look valid to a partner who never heard of the revocation). Once the
    /// node rotated, the card carries the proof of its log's name
    /// (``logOrigin(_:)``) if the node has it.
    public func card(_ configuration: NodeConfiguration, secrets: NodeSecrets, now: Int64) throws -> NodeCard {
        try card(configuration, secrets: secrets, now: now, logOrigin: try logOrigin(configuration, for: secrets))
    }

    /// As ``card(_:secrets:now:)``, with `logOrigin` as the proof of the log's name.
    func card(_ configuration: NodeConfiguration, secrets: NodeSecrets, now: Int64, logOrigin: LogOrigin?) throws -> NodeCard {
        try ensureNotRevoked("signs node cards")
        if let wildcard = configuration.cardAddresses.first(where: NetworkAddress.isWildcard) {
            throw CoreError(.invalidArgument, "the card would tell partners to dial \(wildcard), a wildcard address they cannot reach; set advertise = [\"<host>:<port>\"] under [node] in \(configurationPath) to the address partners reach this node at (and restart liaisond, which reads it at start)")
        }
        return try NodeCard(name: configuration.name, secrets: secrets, addresses: configuration.cardAddresses,
                     validFrom: now, validUntil: now + Int64(configuration.cardValidityDays) * 86_400, logOrigin: logOrigin)
    }
}
