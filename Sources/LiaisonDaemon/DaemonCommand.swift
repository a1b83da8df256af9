import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import Logging

/// `liaisond`: the command line of the daemon.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct DaemonCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "liaisond",
        abstract: "The Liaison daemon: exchanges packages with partner daemons over Noise-authenticated TCP.",
        discussion: """
            Reads <home>/liaison.toml and keyring.toml, decrypts the node's keys \
            (passphrase from --passphrase-file, $LIAISON_PASSPHRASE or the systemd \
            credential liaison-passphrase), listens on the configured addresses and \
            serves the `liaison` CLI on <home>/liaisond.sock. SIGTERM (or SIGINT, \
            or SIGHUP unless started under nohup: there is no reload) drains \
            transfers in flight and exits; restart it to apply a changed liaison.toml.

            Exit codes: 0 stopped cleanly; 1 another failure, worth a restart (an address \
            in use, a full disk, an audit log that cannot be written); 65 a database that \
            is damaged (restore it from a backup) or from a newer Liaison; 66 no node or key \
            file at the home; 75 another liaisond runs for this node; 77 the keys cannot \
            be unlocked (wrong or missing passphrase, a key file others may read); 78 \
            liaison.toml is malformed. The systemd unit restarts on none of 65, 75, 77 \
            and 78. A node that revoked its own key still starts, to keep telling its \
            partners of the revocation; it sends no packages.
            """,
        version: "liaisond \(LiaisonVersion.number) (libsodium \(Sodium.version))")

    @Option(name: .long, help: ArgumentHelp("The node's home directory (default: $LIAISON_HOME, else ~/.liaison).", valueName: "dir"))
    var home: String?

    @Option(name: .long, help: ArgumentHelp("Read the key passphrase from this file.", valueName: "file"))
    var passphraseFile: String?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    public init() {}

    /// Parses the process arguments and runs, exiting with the right status.
    public static func runFromCommandLine() async -> Never {
        do {
            var command = try parseAsRoot()
            guard var daemon = command as? DaemonCommand else {
                try command.run()   // --help, --version
                Self.exit()
            }
            try await daemon.run()
            Self.exit()
        } catch {
            Self.exit(withError: error)
        }
    }

    public func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown log level \(logLevel); use one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    public mutating func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "liaisond")
        // Everything the daemon creates is private unless it says otherwise (the
        // control socket is then opened up to 0660 for the node's group).
        umask(0o077)
        let path = NodeHome.resolvedPath(home)
        do {
            let daemon = try Daemon(home: path, passphrase: PassphraseSource(file: passphraseFile), logger: logger)
            // The keys are decrypted: the passphrase must not linger in /proc/<pid>/environ.
            PassphraseSource.scrubEnvironment()
            try await daemon.run()
        } catch let error as CoreError {
            FileHandle.standardError.write(Data("liaisond: error: \(error.message) [\(error.code.rawValue)]\n".utf8))
            throw ExitCode(Self.exitStatus(error.code))
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("liaisond: error: \(error.message) [\(error.code.rawValue)]\n".utf8))
            throw ExitCode(Self.exitStatus(store: error.code))
        }
    }

    /// 65 (data error) for a database that is damaged or from a newer Liaison: no
    /// restart mends it, and the unit makes none; an operator restores the file from
    /// a backup (docs/operations.md, "Moving or restoring a home") or upgrades. Any
    /// other store failure (a full disk, a file that cannot be opened yet) is 1.
    static func exitStatus(store code: StoreError.Code) -> Int32 {
        switch code {
        case .corrupt, .unsupportedSchema: 65
        default: 1
        }
    }

    /// sysexits, as the CLI gives them for these codes (`ExitCode.for(_: CoreError)`).
    /// Anything else is 1, not the CLI's choice: a daemon that cannot start has found
    /// no bad data, and a full disk or an audit log it cannot write is worth the unit's
    /// restart, not the 75 that stops it. The unit restarts on none of 75 (another
    /// daemon runs), 77 (the keys cannot be unlocked: a wrong or missing passphrase, a
    /// key file others may read; or this node's key revoked, should a step at start
    /// ever refuse for it) or 78 (fix the configuration),
    /// where another try would only fail again, each after a 64 MiB Argon2id.
    static func exitStatus(_ code: CoreError.Code) -> Int32 {
        switch code {
        case .nodeMissing, .keyFileMissing: 66
        case .nodeRunning: 75
        case .keyFileInsecurePermissions, .keyFileSymlink, .wrongPassphrase, .passphraseUnavailable, .nodeRevoked: 77
        case .malformedConfig: 78
        default: 1
        }
    }
}
