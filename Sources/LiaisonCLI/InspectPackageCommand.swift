import ArgumentParser
import Foundation
import LiaisonCore

/// `liaison package inspect`.
struct InspectPackageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show what an outsider can see of a package, without any key.",
        discussion: """
            Prints the cleartext header (id, times, markings, content type, number of
            recipients) and walks the chunk frames. The sender and the recipients'
            identities are not visible, and nothing here is authenticated: only
            `package open` by a recipient verifies a package.
            """)

    @OptionGroup var output: OutputOptions

    @Argument(help: ArgumentHelp("The package file.", valueName: "file"))
    var file: String

    func run() throws {
        let source = try InputFile(path: file)
        var reader = source.stream
        let inspection = try PackageInspection(reading: &reader)
        let h = inspection.header
        let report = InspectReport(
            id: h.packageID.description, formatVersion: Int(PackageFormat.version), headerBytes: h.encoded.count,
            created: Timestamp.iso8601(h.created), expires: h.expires.map(Timestamp.iso8601),
            tlp: h.markings.tlp.label, classification: h.markings.classification, releasableTo: h.markings.releasableTo,
            caveats: h.markings.caveats, markings: h.markings.banner, contentType: h.contentType,
            recipients: h.recipientCount, chunkSize: h.chunkSize, chunks: inspection.chunkCount,
            payloadBytes: inspection.payloadByteCount, complete: inspection.isComplete, headerHash: Hex.encode(h.hash))
        if output.json { return try printJSON(report) }
        print("package \(report.id) (format v\(report.formatVersion), unverified: no key used)")
        print("  markings:   \(report.markings)")
        print("  created:    \(report.created)")
        print("  expires:    \(report.expires ?? "never")")
        print("  type:       \(report.contentType)")
        print("  recipients: \(report.recipients) (identities hidden)")
        print("  sender:     hidden (encrypted to the recipients)")
        print("  payload:    \(report.payloadBytes) bytes in \(report.chunks) chunk(s) of up to \(report.chunkSize) bytes")
        print("  complete:   \(report.complete ? "yes (ends with a final chunk)" : "NO — \(inspection.problem ?? "truncated")")")
        print("  header:     BLAKE2b-512 \(report.headerHash) (what a delivery receipt names)")
    }
}

/// What `package inspect --json` prints.
struct InspectReport: Encodable {
    let id: String
    let formatVersion: Int
    let headerBytes: Int
    let created: String
    let expires: String?
    let tlp: String
    let classification: String
    let releasableTo: [String]
    let caveats: [String]
    let markings: String
    let contentType: String
    let recipients: Int
    let chunkSize: Int
    let chunks: Int
    let payloadBytes: UInt64
    let complete: Bool
    /// BLAKE2b-512 of the header, hex: what a delivery receipt for this package names.
    let headerHash: String
}
