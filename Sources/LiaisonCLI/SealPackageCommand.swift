import ArgumentParser
import Foundation
import LiaisonCore
import LiaisonCrypto

/// `liaison package seal`.
struct SealPackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract: "Sign and encrypt a file to one or more peers.",
        discussion: """
            Each recipient gets its own key wrap; the sender and recipients are hidden
            from outsiders. Markings are bound into the signed header. Include this
            node's own name in --to to keep a copy you can open yourself.

            Example:
              liaison package seal --to bravo,charlie --tlp AMBER \\
                --classification RESTRICTED --rel-to NATO \\
                --in report.json --out report.lpkg
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .long, help: ArgumentHelp("Recipients by peer name, comma-separated or repeated.", valueName: "name,…"))
    var to: [String]

    @Option(name: .long, help: ArgumentHelp("TLP 2.0 level: CLEAR, GREEN, AMBER, AMBER+STRICT or RED.", valueName: "level"))
    var tlp: String

    @Option(name: .long, help: ArgumentHelp("Classification from the node's ladder (default: the lowest).", valueName: "label"))
    var classification: String?

    @Option(name: .customLong("rel-to"), help: ArgumentHelp("Releasability communities, e.g. NATO,EU.", valueName: "community,…"))
    var relTo: [String] = []

    @Option(name: .long, help: ArgumentHelp("Handling caveat (repeatable).", valueName: "caveat"))
    var caveat: [String] = []

    @Option(name: .long, help: ArgumentHelp("Validity from now, e.g. 12h, 30d, or 'never' (default: the node's policy).", valueName: "duration"))
    var expires: String?

    @Option(name: .customLong("content-type"), help: ArgumentHelp("Media type of the payload.", valueName: "type"))
    var contentType: String = "application/octet-stream"

    @Option(name: .customLong("in"), help: ArgumentHelp("File to seal ('-' for standard input).", valueName: "file"))
    var input: String

    @Option(name: .long, help: ArgumentHelp("Where to write the package (must not exist).", valueName: "file"))
    var out: String

    func validate() throws {
        if commaList(to).isEmpty { throw ValidationError("--to needs at least one recipient: an empty recipient set is an error, never \"everyone\"") }
        do {
            _ = try TrafficLightProtocol(parsing: tlp)
            if let expires, expires != "never" { _ = try Timestamp.parseDuration(expires) }
        } catch let error as CoreError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let home = node.nodeHome
        let configuration = try home.loadConfiguration()
        let keyring = try home.loadKeyring(configuration)
        let markings = try Markings(tlp: TrafficLightProtocol(parsing: tlp),
                                    classification: classification ?? configuration.classifications[0],
                                    releasableTo: commaList(relTo), caveats: caveat)
        guard configuration.classifications.contains(markings.classification) else {
            throw CoreError(.invalidMarkings, "\"\(markings.classification)\" is not on this node's classification ladder (\(configuration.classifications.joined(separator: " < ")))")
        }
        let recipients = try resolveRecipients(commaList(to), configuration: configuration, keyring: keyring)
        let secrets = try home.loadSecrets(configuration, passphrase: node.passphraseSource)
        let now = Timestamp.now()
        let lifetime: Int64? = try expires.map { $0 == "never" ? nil : try Timestamp.parseDuration($0) } ?? configuration.defaultExpiry
        var sealer = try PackageSealer(sender: secrets.identity, recipients: recipients.map(\.key), markings: markings,
                                       contentType: contentType, created: now, expires: lifetime.map { now + $0 })
        let source = try InputFile(path: input)
        var reader = source.stream
        let file = try AtomicOutputFile(path: out)
        var sink = file
        let bytes = try sealer.seal(from: &reader, to: &sink)
        try file.commit()
        let report = SealReport(id: sealer.packageID.description, out: out, recipients: recipients.map(\.name),
                                markings: markings.banner, payloadBytes: bytes,
                                expires: lifetime.map { Timestamp.iso8601(now + $0) })
        if output.json { return try printJSON(report) }
        print("Sealed \(bytes) bytes as package \(report.id) → \(out)")
        print("  to:       \(report.recipients.joined(separator: ", "))")
        print("  markings: \(report.markings)")
        print("  expires:  \(report.expires ?? "never")")
    }

    private func resolveRecipients(_ names: [String], configuration: NodeConfiguration, keyring: Keyring) throws -> [(name: String, key: EncryptionPublicKey)] {
        var seen = Set<String>()
        return try names.compactMap { name in
            guard seen.insert(name).inserted else { return nil }
            if name == configuration.name { return (name, configuration.publicKeys.encryption) }
            guard let peer = keyring.peer(named: name) else {
                throw CoreError(.unknownPeer, "no peer named \"\(name)\"; see `liaison peers list`")
            }
            guard !peer.revoked else { throw CoreError(.invalidRecipients, "\"\(name)\"'s key is revoked; nothing can be sealed to it") }
            guard peer.trust != .blocked else { throw CoreError(.invalidRecipients, "\"\(name)\" is blocked; nothing is sent to blocked peers") }
            return (name, peer.keys.encryption)
        }
    }
}

/// What `package seal --json` prints.
struct SealReport: Encodable {
    let id: String
    let out: String
    let recipients: [String]
    let markings: String
    let payloadBytes: UInt64
    let expires: String?
}

/// An input file or standard input, opened for streaming.
final class InputFile {
    let stream: FileDescriptorStream
    private let owned: Bool

    init(path: String) throws {
        if path == "-" {
            stream = FileDescriptorStream(descriptor: 0)
            owned = false
            return
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CoreError(.keyFileMissing, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        stream = FileDescriptorStream(descriptor: fd)
        owned = true
    }

    deinit { if owned { close(stream.descriptor) } }
}
