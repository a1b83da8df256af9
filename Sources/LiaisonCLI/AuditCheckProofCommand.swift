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
            Exit status: 0 verified; 65 the proof, the entry or the checkpoint does not
            verify (altered, or another log's); 66 a file cannot be read; 64 a usage error.
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
        let parsed = try TLogProof(parsing: try Self.contents(proof, what: "proof"))
        var leaf = try Self.contents(entry, what: "entry")
        // As printed: the entry's exact bytes, then a line end.
        if leaf.last == UInt8(ascii: "\n") { leaf.removeLast() }
        if let line = QueryLine(leaf) {
            guard line.index == parsed.index else {
                throw AuditError(.malformedLeaf, "\(entry) holds entry \(line.index) (a line of `audit query --json`), but the proof is of entry \(parsed.index): give the entry the proof was made for")
            }
            leaf = line.leaf
        }
        let event = try Self.entry(leaf, file: entry)
        let verified = try parsed.verify(leaf: leaf, logKey: try TrustedKeyArgument.logKey(logKey),
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

    /// One line `audit query --json` prints, `{"index":N,"leaf":<leaf>}`: the leaf is
    /// in it byte for byte, so it serves as the entry as well as `audit prove`'s output.
    struct QueryLine {
        let index: Int
        let leaf: [UInt8]

        /// Nil unless `line` is exactly such a line (one line, nothing around it).
        init?(_ line: [UInt8]) {
            let head = Array(#"{"index":"#.utf8), middle = Array(#","leaf":"#.utf8)
            guard line.starts(with: head), line.last == UInt8(ascii: "}"), !line.contains(UInt8(ascii: "\n")) else { return nil }
            let digits = line[head.count...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            guard (1...18).contains(digits.count), let index = Int(String(decoding: digits, as: UTF8.self)),
                  line[(head.count + digits.count)...].starts(with: middle) else { return nil }
            self.index = index
            self.leaf = Array(line[(head.count + digits.count + middle.count)..<(line.count - 1)])
        }
    }

    /// The entry in `leaf`, read from `file`: a file that is not one is said to be
    /// the wrong file (or an altered one), not a damaged log.
    private static func entry(_ leaf: [UInt8], file: String) throws -> AuditEvent {
        do {
            return try AuditEvent(canonicalBytes: leaf)
        } catch let error as AuditError where error.code == .malformedLeaf {
            let what = leaf.isEmpty ? "it is empty"
                : leaf.starts(with: Array(TLogProof.header.utf8)) ? "it is a proof: the proof goes first, the entry after --entry"
                : error.detail ?? error.message
            throw AuditError(.malformedLeaf, "\(file) is not an audit entry as `audit prove` prints it (\(what)): give --entry the "
                                 + "file `audit prove --out PROOF > ENTRY` wrote, or one line of `audit query --json`; if it is that, it was altered")
        }
    }

    private static func contents(_ path: String, what: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CoreError(.inputUnreadable, "cannot read the \(what) \(path): no such file or not readable")
        }
        return Array(data)
    }
}
