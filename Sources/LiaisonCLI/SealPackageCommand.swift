import ArgumentParser
import Foundation
import LiaisonControl
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

            With --content-type application/stix+json the file must be a STIX 2.1
            bundle (at most 64 MiB): when its TLP markings are stricter than --tlp,
            the package is raised to the bundle's level (--strict-markings refuses).
            """)

    @OptionGroup var node: NodeOptions
    @OptionGroup var output: OutputOptions

    @OptionGroup var addressing: AddressingOptions
    @OptionGroup var markingCheck: MarkingCheckOptions

    @Option(name: .customLong("in"), help: ArgumentHelp("File to seal ('-' for standard input).", valueName: "file"))
    var input: String

    @Option(name: .long, help: ArgumentHelp("Where to write the package (must not exist).", valueName: "file"), transform: OutputPath.parse)
    var out: String

    func run() throws {
        let home = node.nodeHome
        let configuration = try home.loadConfiguration()
        let keyring = try home.loadKeyring(configuration)
        let a = addressing
        var markings = try configuration.markings(tlp: a.tlp, classification: a.classification, releasableTo: a.communities, caveats: a.caveat)
        // A STIX bundle is read whole first: its TLP markings may raise the package's.
        let stix = try markingCheck.readSTIX(input, contentType: a.contentType, markings: &markings)
        let selection = try configuration.recipients(a.recipients, keyring: keyring, markings: markings)
        let recipients = selection.allowed
        let secrets = try home.loadSecrets(configuration, passphrase: node.passphraseSource)
        let now = Timestamp.now()
        let expiry = try configuration.expiry(a.expires, now: now)
        var sealer = try PackageSealer(sender: secrets.identity, recipients: recipients.map(\.key), markings: markings,
                                       contentType: a.contentType ?? "application/octet-stream", created: now, expires: expiry)
        let file = try AtomicOutputFile(path: out)
        var sink = file
        let bytes: UInt64
        if let stix {
            var reader = stix.payload.reader()
            bytes = try sealer.seal(from: &reader, to: &sink)
        } else {
            let source = try InputFile(path: input)
            var reader = ProgressSource(source.stream, descriptor: source.stream.descriptor, label: "sealing")
            bytes = try sealer.seal(from: &reader, to: &sink)
        }
        let audit = try LocalAudit(home: home, configuration: configuration)
        defer { audit.close() }
        try audit.record(audit.event(.packageSealed, package: sealer.packageID.description, markings: markings.banner,
                                     details: ["recipients": recipients.map(\.name).joined(separator: ","), "bytes": String(bytes)]
                                        .merging(stix?.check.auditDetails ?? [:]) { ours, _ in ours }))
        try file.commit()
        let report = SealReport(id: sealer.packageID.description, out: out, recipients: recipients.map(\.name),
                                withheld: selection.withheld.map { WithheldRecipient(peer: $0.name, rule: $0.decision.rule.rawValue, reason: $0.decision.explanation) },
                                markings: markings.banner, payloadBytes: bytes,
                                expires: expiry.map(Timestamp.iso8601), markingsNote: stix?.check.note)
        if output.json { return try printJSON(report) }
        print("Sealed \(bytes) bytes as package \(report.id) → \(out)")
        print("  to:       \(report.recipients.joined(separator: ", "))")
        for w in report.withheld { print("  withheld: \(w.peer) — \(w.reason) [\(w.rule)]") }
        print("  markings: \(report.markings)")
        if let note = report.markingsNote { print("  note:     \(note)") }
        print("  expires:  \(report.expires ?? "never")")
    }
}

/// What `package seal --json` prints.
struct SealReport: Encodable {
    let id: String
    let out: String
    let recipients: [String]
    let withheld: [WithheldRecipient]
    let markings: String
    let payloadBytes: UInt64
    let expires: String?
    /// Set when the payload's STIX markings raised the TLP.
    let markingsNote: String?
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
            throw CoreError(.inputUnreadable, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        if fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw CoreError(.inputUnreadable, "\(path) is a directory; give the files in it (e.g. \(path)/*)")
        }
        stream = FileDescriptorStream(descriptor: fd)
        owned = true
    }

    deinit { if owned { close(stream.descriptor) } }
}
