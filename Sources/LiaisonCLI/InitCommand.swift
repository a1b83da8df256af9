import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto

/// `liaison init`: create a node.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a new node: four key pairs, an encrypted key file and liaison.toml.",
        discussion: """
            The secret keys are encrypted with Argon2id and XChaCha20-Poly1305 under a
            passphrase read from --passphrase-file, $LIAISON_PASSPHRASE or the systemd
            credential "liaison-passphrase". --no-passphrase stores them unprotected, for
            demos only. An existing node is never overwritten.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("The node's name (lower-case letters, digits, '.', '_', '-').", valueName: "name"))
    var name: String

    @Option(name: .long, help: ArgumentHelp("Address the daemon will listen on, host:port (repeatable).", valueName: "host:port"))
    var listen: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "Address partners dial to reach the daemon, host:port (repeatable; default: the --listen addresses). Needed with a wildcard --listen such as 0.0.0.0:7401, or behind NAT.",
        valueName: "host:port"))
    var advertise: [String] = []

    @Flag(name: .long, help: "Store the secret keys without a passphrase (demos and tests only; `keys show` warns).")
    var noPassphrase = false

    func validate() throws {
        do { try NodeName.validate(name) } catch let error as CoreError { throw ValidationError(error.message) }
        for address in listen {
            do { try NetworkAddress.validate(address) } catch let error as CoreError { throw ValidationError(error.message) }
        }
        if noPassphrase && node.passphraseFile != nil {
            throw ValidationError("--no-passphrase and --passphrase-file contradict each other; choose one")
        }
    }

    /// Passphrases shorter than this many bytes are warned about.
    static let shortPassphrase = 12

    func run() throws {
        let home = node.nodeHome
        let passphrase = noPassphrase ? nil : try node.passphraseSource.read()
        if let passphrase, passphrase.count < Self.shortPassphrase {
            // Said, not refused: the choice is the operator's, but a stolen key file with a
            // short passphrase falls to guessing despite Argon2id.
            FileHandle.standardError.write(Data("warning: the passphrase is \(passphrase.count) bytes long; a stolen key file protected by a short one falls to guessing despite Argon2id. Use \(Self.shortPassphrase) bytes or more (a few random words): while no partner holds this node's card, delete the home and run init again\n".utf8))
        }
        let configuration = try home.create(name: name, listen: listen, advertise: advertise.isEmpty ? nil : advertise, passphrase: passphrase, now: Timestamp.now())
        let fingerprint = configuration.publicKeys.fingerprint
        // The log's first entries: the node and its keys came into being.
        let audit = try LocalAudit(home: home, configuration: configuration)
        defer { audit.close() }
        let keys = configuration.publicKeys
        try audit.record(
            audit.event(.nodeCreated, details: ["name": name, "fingerprint": fingerprint.description]),
            audit.event(.keyGenerated, details: ["role": "identity", "key": KeyText.encode(keys.identity)]),
            audit.event(.keyGenerated, details: ["role": "encryption", "key": KeyText.encode(keys.encryption)]),
            audit.event(.keyGenerated, details: ["role": "transport", "key": KeyText.encode(keys.transport)]),
            audit.event(.keyGenerated, details: ["role": "log", "key": KeyText.encode(keys.log),
                                                 "log-key": try NodeLogNames.logKey(keys).description]))
        if output.json {
            try printJSON(KeysReport(configuration: configuration, home: home))
            return
        }
        print("Created node \"\(name)\" in \(home.path)")
        print("  fingerprint: \(fingerprint)")
        print("  key file:    \(home.keyFilePath(configuration)) (\(noPassphrase ? "UNPROTECTED — demo use only" : "Argon2id passphrase"))")
        let homeOption = node.location.home.map { " --home \($0)" } ?? ""
        let passphraseOption = node.passphraseFile.map { " --passphrase-file \($0)" } ?? ""
        if listen.isEmpty {
            print("  no --listen: its daemon will send, but partners cannot deliver to it until liaison.toml's [node] listen names an address")
        }
        print("Next: `liaison keys card\(homeOption)\(passphraseOption) --out \(name).card` and give the card to your partners;")
        print("read the fingerprint to them over a separate channel so they can check it.")
    }
}
