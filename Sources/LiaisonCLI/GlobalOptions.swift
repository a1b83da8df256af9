import ArgumentParser
import Foundation
import LiaisonCore

/// Where the node lives: for commands that read its files but not its secret keys.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The node's home directory (default: $LIAISON_HOME, else ~/.liaison).", valueName: "dir"))
    var home: String?

    /// The resolved home.
    var nodeHome: NodeHome { Self.resolve(home) }

    /// `home`, else $LIAISON_HOME, else ~/.liaison.
    static func resolve(_ home: String?) -> NodeHome { NodeHome(path: NodeHome.resolvedPath(home)) }
}

/// Where the node lives and how to unlock its keys: for commands that sign or decrypt.
struct NodeOptions: ParsableArguments {
    @OptionGroup var location: HomeOptions

    @Option(name: .long, help: ArgumentHelp("Read the key passphrase from this file (else $LIAISON_PASSPHRASE, else the systemd credential liaison-passphrase).", valueName: "file"))
    var passphraseFile: String?

    /// The resolved home.
    var nodeHome: NodeHome { location.nodeHome }

    var passphraseSource: PassphraseSource { PassphraseSource(file: passphraseFile) }
}

/// `--json` for scripts.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of text for people.")
    var json = false
}

/// Prints an `Encodable` value as one line of JSON with sorted keys.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// Reads a whole small file (cards, keys, statements, proofs, receipts), with a clear
/// error. At most one byte past `limit` is read, so a device (`/dev/zero`) or a huge
/// file given by mistake is refused, not read whole.
func readSmallFile(_ path: String, limit: Int) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    guard exists, !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path) else {
        throw CoreError(.inputUnreadable, "cannot read \(path): " + (!exists ? "no such file" : isDirectory.boolValue ? "it is a directory; give the file itself" : "not readable (check its permissions)"))
    }
    defer { try? handle.close() }
    let data: Data
    do {
        data = try handle.read(upToCount: limit + 1) ?? Data()
    } catch {
        throw CoreError(.inputUnreadable, "cannot read \(path): \((error as NSError).localizedDescription)")
    }
    guard data.count <= limit else { throw CoreError(.invalidArgument, "\(path) is larger than \(limit) bytes") }
    return Array(data)
}

/// ``readSmallFile(_:limit:)``, as UTF-8 text.
func readTextFile(_ path: String, limit: Int) throws -> String {
    guard let text = String(validating: try readSmallFile(path, limit: limit), as: UTF8.self) else {
        throw CoreError(.malformedCard, "\(path) is not UTF-8 text")
    }
    return text
}

/// Splits `a,b, c` lists given to options.
func commaList(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

/// A package id on the command line (``PackageIDText``): refused before anything
/// is asked or written when it can be neither a whole id nor the start of one.
enum PackageIDArgument {
    static func validate(_ text: String) throws {
        do { _ = try PackageIDText.parse(text) } catch let error as CoreError { throw ValidationError(error.message) }
    }
}

/// `--out` paths: `-` is refused, not taken for a file of that name. Outputs are
/// written to a temporary file and renamed into place once complete (a package's
/// payload only once every chunk verified), so none goes to standard output.
enum OutputPath {
    /// `text`, unless it is `-`.
    static func parse(_ text: String) throws -> String {
        guard text != "-" else {
            throw ValidationError("--out - would create a file named \"-\": this output goes to a file, written whole or not at all; give a path (./- if you mean that name)")
        }
        return text
    }
}

/// A checkpoint note or proof an auditor keeps (`audit checkpoint --out`, `audit
/// witnessed --out`, `audit prove --out`): made before the daemon is asked, and never
/// over an existing file, which may be the checkpoint the auditor trusts, or an earlier
/// proof, and must not be quietly replaced.
struct KeptNoteFile {
    private let file: AtomicOutputFile?

    /// A new file at `path` (nothing if nil); throws if something is there already.
    init(_ path: String?, mode: mode_t) throws {
        file = try path.map { try AtomicOutputFile(path: $0, mode: mode) }
    }

    /// Writes `note` and puts the file in place.
    func write(_ note: String) throws {
        guard let file else { return }
        try Array(note.utf8).withUnsafeBytes { try file.write($0) }
        try file.commit()
    }
}
