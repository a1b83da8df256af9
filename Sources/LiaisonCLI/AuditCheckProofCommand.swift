import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonCore

/// `liaison audit check-proof`: checks a proof from `audit prove`, offline.
struct AuditCheckProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-proof",
        abstract: "Check a proof from `audit prove`, offline: the entry is in the log, as of a checkpoint signed by the log key you trust.",
        discussion: """
            Keep the entry with its proof: `audit prove --out FILE` writes the proof to \
            FILE and the entry to standard output, e.g.
              liaison audit prove --package ID --out entry.proof > entry.json
            Then, anywhere, with the log's key obtained out of band (its operator prints it
            with `liaison keys show`):
              liaison audit check-proof entry.proof --entry entry.json --log-key KEY
            --witness-key and --witnesses also demand cosignatures by witnesses you trust.
            The entry may also be its line of `audit query --json`.
            Exit status: 0 verified; 65 the proof, the entry or the checkpoint does not
            verify (altered, or another log's); 66 a file cannot be read; 64 a usage error,
            such as a file that is not the entry or not a proof at all (the two swapped).
            """)

    @Argument(help: ArgumentHelp("The proof (c2sp.org/tlog-proof@v1), as `audit prove --out` writes it.", valueName: "file"))
    var proof: String
    @Option(name: .long, help: ArgumentHelp("The entry the proof is about: its JSON, as `audit prove --out` prints it, or its line of `audit query --json`.", valueName: "file"))
    var entry: String
    @Option(name: .long, help: ArgumentHelp("The log key you trust (name+id+key), or a file holding it.", valueName: "key"))
    var logKey: String
    @Option(name: .long, help: ArgumentHelp("A witness key you trust (repeatable).", valueName: "key"))
    var witnessKey: [String] = []
    @Option(name: .long, help: ArgumentHelp("Require this many of those witnesses' cosignatures on the proof's checkpoint.", valueName: "k"))
    var witnesses = 0
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard witnesses >= 0 else { throw ValidationError("--witnesses cannot be negative") }
        guard witnesses <= witnessKey.count else {
            throw ValidationError("--witnesses \(witnesses) needs at least \(witnesses) witness keys you trust (--witness-key)")
        }
    }

    func run() throws {
        let parsed = try Self.readProof(proof)
        let (leaf, event) = try Self.readEntry(entry, provenIndex: parsed.index)
        // The key as the node's operator prints it is named after its first log; a proof
        // from a log the node began after that one is checked under that log's name.
        let given = try TrustedKeyArgument.logKey(logKey)
        let key = NodeLogNames.logKey(given, for: String(parsed.checkpoint.text.prefix { $0 != "\n" })) ?? given
        let verified = try parsed.verify(leaf: leaf, logKey: key,
                                         witnesses: try witnessKey.map(TrustedKeyArgument.witnessKey), requiredWitnesses: witnesses)
        let report = Report(verified: true, entry: verified.index, origin: verified.checkpoint.origin, size: verified.checkpoint.size,
                            cosigners: verified.cosignerNames, kind: event.kind.rawValue, time: Timestamp.iso8601(event.time / 1000))
        if output.json { return try printJSON(report) }
        print("VERIFIED: entry \(report.entry) (\(report.kind) at \(report.time)) is in the log \(report.origin) as of its checkpoint of size \(report.size)")
        print("cosigned by: \(report.cosigners.isEmpty ? "no witness you trust" : report.cosigners.joined(separator: ", "))")
    }

    /// What `check-proof --json` prints.
    struct Report: Encodable {
        let verified: Bool
        let entry: Int
        let origin: String
        let size: Int
        let cosigners: [String]
        let kind: String
        let time: String
    }
}
