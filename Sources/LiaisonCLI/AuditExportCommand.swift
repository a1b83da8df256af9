import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore

/// `liaison audit export`: the log as a bundle an auditor verifies elsewhere.
struct AuditExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export the audit log (entries, checkpoints, cosignatures, public keys) to a directory.",
        discussion: """
            The bundle verifies offline on any machine:
              liaison audit verify --bundle DIR --log-key 'liaison/…+…+…'
            Layout: docs/audit-log.md ("Export bundle").
            """)

    @OptionGroup var daemon: DaemonOptions
    @Option(name: .long, help: ArgumentHelp("A new or empty directory to write the bundle to.", valueName: "dir"), transform: OutputPath.parse) var out: String

    func run() throws {
        // Before the daemon is asked to sign anything: the writer would refuse it anyway.
        try AuditBundleWriter.checkDestination(out)
        // Up to a checkpoint signed now: the bundle has no entry its log key does not cover.
        let (keys, size, unsigned) = try AuditKeysPages.fetchSigned(daemon)
        if let unsigned {
            FileHandle.standardError.write(Data("warning: the node signed no checkpoint now (\(unsigned)); entries after its newest checkpoint are exported unsigned, and `audit verify --bundle` fails them unless --allow-unsigned\n".utf8))
        }
        let writer = try AuditBundleWriter(directory: out, logKey: try NoteVerifierKey(parsing: keys.logKey),
                                           witnesses: try keys.witnessKeys.map(NoteVerifierKey.init(parsing:)))
        let progress = ProgressLine(total: Int64(size), label: "exporting", unit: .entries)
        try AuditLeafPages(daemon: daemon).forEach(upTo: size) { leaf in
            try writer.appendLeaf(Array(leaf.leaf.utf8))
            progress.advance()
        }
        for checkpoint in keys.checkpoints { try writer.writeCheckpoint(try SignedNote(parsing: checkpoint.note)) }
        let manifest = try writer.finish(node: keys.node, fingerprint: keys.fingerprint, exportedAt: Timestamp.now())
        progress.finish()
        if daemon.json { return try printJSON(manifest) }
        print("exported \(writer.entryCount) entries and \(keys.checkpoints.count) checkpoints of \(keys.origin) to \(out)")
        print("log key: \(keys.logKey)")
    }
}

/// The log's keys and size, with every checkpoint up to that size, fetched a page
/// of checkpoints at a time.
enum AuditKeysPages {
    /// Has the node sign a checkpoint of everything so far, then fetches its keys
    /// and checkpoints; `size` is the newest checkpoint's, so what is read up to it
    /// has no unsigned tail (the requests themselves, recorded after it, are left
    /// for the next time). If the node will not sign (a witness proved its log was
    /// rolled back), `size` is the whole log's, and `unsigned` says why not.
    static func fetchSigned(_ daemon: DaemonOptions) throws -> (keys: AuditKeysItem, size: Int, unsigned: String?) {
        var refusal: String?
        do {
            _ = try daemon.connect().call(ControlRequest(.auditCheckpoint), AuditCheckpointItem.self)
        } catch let failure as ControlFailure where !failure.code.hasPrefix("control.") {
            refusal = failure.message
        }
        let keys = try fetch(daemon)
        guard refusal == nil, let newest = keys.checkpoints.last else { return (keys, keys.size, refusal ?? "the log has no checkpoint") }
        return (keys, newest.size, nil)
    }

    static func fetch(_ daemon: DaemonOptions) throws -> AuditKeysItem {
        var keys = try daemon.connect().call(ControlRequest(.auditKeys), AuditKeysItem.self)
        let firstPage = keys.checkpoints
        keys.checkpoints = firstPage.filter { $0.size <= keys.size }
        var more = (keys.moreCheckpoints ?? false) && firstPage.count == keys.checkpoints.count
        while more, let last = keys.checkpoints.last {
            var request = ControlRequest(.auditKeys)
            request.cursor = last.size
            let page = try daemon.connect().call(request, AuditKeysItem.self)
            guard !page.checkpoints.isEmpty else { break }   // a page that says more but holds none would loop for ever
            guard page.logKey == keys.logKey else {
                throw CoreError(.fingerprintMismatch, "the daemon's log key changed while its checkpoints were read; run the command again")
            }
            keys.checkpoints += page.checkpoints.filter { $0.size <= keys.size }
            more = (page.moreCheckpoints ?? false) && page.checkpoints.last.map { $0.size <= keys.size } == true
        }
        keys.moreCheckpoints = nil
        return keys
    }
}

/// Fetches the log's leaves from the daemon, a page per connection (a page may hold
/// fewer entries than asked for: the daemon bounds it by bytes).
struct AuditLeafPages {
    let daemon: DaemonOptions
    static let pageSize = 10_000

    func forEach(upTo size: Int, _ body: (AuditEntryItem) throws -> Void) throws {
        var next = 0
        while next < size {
            var request = ControlRequest(.auditLeaves)
            request.entry = next
            request.limit = min(Self.pageSize, size - next)
            // A page may hold fewer entries than asked for (the daemon bounds it by bytes).
            let page = try daemon.connect().call(request, [AuditEntryItem].self)
            guard !page.isEmpty else {
                throw CoreError(.io, "the daemon returned no entries from \(next) on, though the log holds \(size); run the command again")
            }
            for item in page {
                guard item.index == next else {
                    throw CoreError(.invalidArgument, "the daemon returned entry \(item.index) where \(next) was expected")
                }
                try body(item)
                next += 1
            }
        }
    }
}
