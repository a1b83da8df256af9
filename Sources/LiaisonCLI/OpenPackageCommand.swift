import ArgumentParser
import Foundation
import LiaisonCore

/// `liaison package open`.
struct OpenPackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Verify and decrypt a package addressed to this node.",
        discussion: """
            Checks that the package is addressed to this node, that its header is intact,
            that the sender is a known, unrevoked peer, that it has not expired, and the
            sender's signature on every chunk. The output file appears only if all of it
            verifies; otherwise nothing is written and the error names what failed.
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("in"), help: ArgumentHelp("The package ('-' for standard input).", valueName: "file"))
    var input: String

    @Option(name: .long, help: ArgumentHelp("Where to write the payload (must not exist).", valueName: "file"), transform: OutputPath.parse)
    var out: String

    func run() throws {
        let home = node.nodeHome
        let configuration = try home.loadConfiguration()
        let keyring = try home.loadKeyring(configuration)
        let secrets = try home.loadSecrets(configuration, passphrase: node.passphraseSource)
        // This node can open packages it sealed to itself.
        let directory = SelfAndPeers(keyring: keyring, own: KnownSender(name: configuration.name, identity: configuration.publicKeys.identity))
        let source = try InputFile(path: input)
        var reader = ProgressSource(source.stream, descriptor: source.stream.descriptor, label: "opening")
        var opener = try PackageOpener(reading: &reader, recipient: secrets.encryption, senders: directory, now: Timestamp.now())
        let file = try AtomicOutputFile(path: out)
        var sink = file
        let opened = try opener.open(from: &reader, to: &sink)
        // Plaintext appears only with its audit record.
        let audit = try LocalAudit(home: home, configuration: configuration)
        defer { audit.close() }
        try audit.record(audit.event(.packageOpened, peer: keyring.peers.first { $0.keys.identity == opened.sender.identity },
                                     package: opened.header.packageID.description, markings: opened.header.markings.banner))
        try file.commit()
        let report = OpenReport(opened, out: out)
        if output.json { return try printJSON(report) }
        print("Verified package \(report.id) and wrote \(report.payloadBytes) bytes to \(out)")
        print("  from:     \(report.sender) (\(report.senderFingerprint))")
        print("  markings: \(report.markings)")
        print("  created:  \(report.created)")
        print("  expires:  \(report.expires ?? "never")")
        print("  type:     \(report.contentType)")
    }
}

/// The keyring plus this node itself, as senders.
struct SelfAndPeers: SenderDirectory {
    let keyring: Keyring
    let own: KnownSender

    func sender(withIdentity key: [UInt8]) -> KnownSender? {
        if own.identity.rawRepresentation == key { return own }
        return keyring.sender(withIdentity: key)
    }
}

/// What `package open --json` prints.
struct OpenReport: Encodable {
    let id: String
    let sender: String
    let senderFingerprint: String
    let tlp: String
    let classification: String
    let releasableTo: [String]
    let caveats: [String]
    let markings: String
    let created: String
    let expires: String?
    let contentType: String
    let payloadBytes: UInt64
    let out: String

    init(_ opened: OpenedPackage, out: String) {
        let h = opened.header
        id = h.packageID.description
        sender = opened.sender.name
        senderFingerprint = opened.sender.fingerprint.description
        tlp = h.markings.tlp.label
        classification = h.markings.classification
        releasableTo = h.markings.releasableTo
        caveats = h.markings.caveats
        markings = h.markings.banner
        created = Timestamp.iso8601(h.created)
        expires = h.expires.map(Timestamp.iso8601)
        contentType = h.contentType
        payloadBytes = opened.payloadByteCount
        self.out = out
    }
}
