import ArgumentParser
import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore

/// `liaison audit …`: the auditor's view of the node's tamper-evident log.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Query, prove, export and verify the node's tamper-evident audit log (auditor role).",
        discussion: """
            Every security-relevant action of the node is an entry of an RFC 6962
            Merkle tree in SQLite; the daemon signs checkpoints of it with the node's
            log key, and peers cosign them as witnesses. `query`, `checkpoint`, `prove`,
            `witnessed` and `export` ask the running daemon (members of an [access]
            auditor group may); `verify` checks a live node, an exported bundle or a
            database file, and needs no secret key; `check-proof` checks one entry's
            proof, and `match` two partners' exports against each other, offline. See
            docs/audit-log.md.
            """,
        subcommands: [AuditQueryCommand.self, AuditCheckpointCommand.self, AuditProveCommand.self, AuditWitnessedCommand.self, AuditExportCommand.self,
                      AuditVerifyCommand.self, AuditCheckProofCommand.self, AuditMatchCommand.self, AuditNewLogCommand.self])
}

/// `liaison audit query`: entries by peer, package, event kind and time.
struct AuditQueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "List audit entries, filtered by peer, package, event, outcome and time.",
        discussion: """
            Oldest first, a page at a time (--limit, default 100); when there is more, a
            line on standard error after the page says how to get the next one (--after N).
            --all pages through everything.
            --json prints one JSON object per line: the entry's index and its leaf.

            Examples:
              liaison audit query --peer bravo --since 2026-11-26T00:00:00Z
              liaison audit query --event policy.denied --event package.rejected --json
              liaison audit query --outcome denied --outcome failed --newest-first
            """)

    @OptionGroup var daemon: DaemonOptions
    @Option(name: .long, help: ArgumentHelp("Only entries about this peer: its name (every key it had: current, previous and first), or a fingerprint (a removed peer's, say).", valueName: "name|fingerprint")) var peer: String?
    @Option(name: .long, help: ArgumentHelp("Only entries about this package: its id, or the first 8 or more hex digits of a package this node sent or received (as the table shows them).", valueName: "id")) var package: String?
    @Option(name: .long, help: ArgumentHelp("Only entries of this kind (repeatable), e.g. package.received.", valueName: "kind"))
    var event: [String] = []
    @Option(name: .long, help: ArgumentHelp("Only entries with this outcome (repeatable): ok, denied or failed.", valueName: "outcome"))
    var outcome: [String] = []
    @Option(name: .long, help: ArgumentHelp("Only entries at or after this time: \(AuditQueryTime.forms).", valueName: "time"))
    var since: String?
    @Option(name: .long, help: ArgumentHelp("Only entries before this time (the same forms).", valueName: "time")) var until: String?
    @Option(name: .long, help: "Entries per page (at most \(ControlRequest.maximumListLimit)).") var limit = 100
    @Option(name: .long, help: ArgumentHelp("Start after this entry index (paging).", valueName: "index")) var after: Int?
    @Flag(name: .long, help: "Newest entries first.") var newestFirst = false
    @Flag(name: .long, help: "Fetch every page.") var all = false

    func validate() throws {
        try checkListLimit(limit)
        for kind in event where AuditEventKind(rawValue: kind) == nil {
            throw ValidationError("\"\(kind)\" is not an event kind; one of: \(AuditEventKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for name in outcome where AuditOutcome(rawValue: name.lowercased()) == nil {
            throw ValidationError("\"\(name)\" is not an outcome; one of: \(AuditOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        for (name, value) in [("since", since), ("until", until)] {
            if let value, AuditQueryTime.resolve(value) == nil {
                throw ValidationError("--\(name) \(value) is not a time; give \(AuditQueryTime.forms)")
            }
        }
        // Both readable and the wrong way round: nothing could ever match, which is a mistake, not an answer.
        if let since, let until, let from = AuditQueryTime.resolve(since).flatMap(Timestamp.parse),
           let to = AuditQueryTime.resolve(until).flatMap(Timestamp.parse), from >= to {
            throw ValidationError("--since \(since) is not before --until \(until): no entry could match; swap them")
        }
    }

    func run() throws {
        var request = ControlRequest(.auditQuery)
        request.peer = peer
        request.id = package
        request.events = event.isEmpty ? nil : event
        request.outcomes = outcome.isEmpty ? nil : outcome.map { $0.lowercased() }
        request.since = since.flatMap { AuditQueryTime.resolve($0) }
        request.until = until.flatMap { AuditQueryTime.resolve($0) }
        request.limit = limit
        request.newestFirst = newestFirst
        request.cursor = after
        var printedHeader = false
        while true {
            let page = try daemon.connect().call(request, [AuditEntryItem].self)
            let entries = try page.map { item in (item.index, try AuditEvent(canonicalBytes: Array(item.leaf.utf8)), item.leaf) }
            if daemon.json {
                for (index, _, leaf) in entries { print(AuditQueryLine(index: index, leaf: Array(leaf.utf8)).text) }
            } else if !entries.isEmpty {
                let table = TextTable(headers: ["INDEX", "TIME", "EVENT", "OUTCOME", "ACTOR", "PEER", "PACKAGE", "REASON"])
                    .render(entries.map { Self.row($0.0, $0.1) })
                print(printedHeader ? String(table.drop(while: { $0 != "\n" }).dropFirst()) : table)
                printedHeader = true
            }
            guard AuditEntryItem.isFull(page, limit: limit), let last = page.last else { break }
            request.cursor = last.index
            if !all {
                // On standard error, so JSON lines on standard output stay clean for scripts;
                // after the page, also when both go to one pipe.
                fflush(nil)   // every output stream: stdout is what matters
                // A time given back from now (10m, 7d) is named as the time it stood for, so that
                // the next page asks for the same window rather than one that moved.
                let pinned = [("since", since, request.since), ("until", until, request.until)].compactMap { name, given, sent in
                    given.flatMap { given in sent.flatMap { sent in given == sent ? nil : " --\(name) \(sent)" } }
                }.joined()
                FileHandle.standardError.write(Data("more entries: run again with --after \(last.index)\(pinned) (or --all)\n".utf8))
                break
            }
        }
        if !printedHeader && !daemon.json { print("No audit entries match.") }
    }

    static func row(_ index: Int, _ event: AuditEvent) -> [String] {
        let seconds = event.time / 1000
        let actor: String
        if case .peer(let fingerprint) = event.actor { actor = "peer:" + fingerprint.prefix(11) } else { actor = event.actor.description }
        return [String(index), Timestamp.iso8601(seconds), event.kind.rawValue, event.outcome.rawValue, actor,
                event.peerName ?? event.peer.map { String($0.prefix(11)) } ?? "-", event.package.map { String($0.prefix(12)) } ?? "-",
                event.reason.map { $0.count > 60 ? String($0.prefix(59)) + "…" : $0 } ?? ""]
    }
}

/// `liaison audit checkpoint`: sign (if the log grew) and print the newest checkpoint.
struct AuditCheckpointCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the log's newest signed checkpoint (signing one now if the log grew).",
        discussion: """
            A checkpoint signed now is taken to the node's witnesses at once; the command \
            waits up to 5 s for their cosignatures. Keep a copy: `liaison audit verify \
            --trusted-checkpoint FILE` later proves the log was not rewritten or cut since.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Option(name: .long, help: ArgumentHelp("Also write the checkpoint note to this file, which must not exist (a kept checkpoint is never replaced).", valueName: "file"),
            transform: OutputPath.parse) var out: String?

    func run() throws {
        let kept = try KeptNoteFile(out, mode: 0o644)
        let item = try daemon.connect().call(ControlRequest(.auditCheckpoint), AuditCheckpointItem.self)
        try kept.write(item.note)
        if daemon.json { return try printJSON(item) }
        print(item.note, terminator: "")
        FileHandle.standardError.write(Data("checkpoint of \(item.size) entries, signed \(item.signedAt); cosigned by \(item.witnesses.isEmpty ? "no witness yet" : item.witnesses.joined(separator: ", "))\n".utf8))
    }
}

/// `liaison audit prove`: a C2SP tlog-proof that an entry is in the log.
struct AuditProveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prove",
        abstract: "Write a C2SP tlog-proof that an entry is in the log.",
        discussion: """
            The proof holds the entry's index, its inclusion path and a signed
            checkpoint (with cosignatures); anyone with the log's key can check it
            offline with `liaison audit check-proof FILE --entry ENTRY --log-key KEY`.
            With --out the proof goes to FILE (never over an existing file) and the entry
            itself to standard output: keep both. --package proves the newest entry about that package. A proof is
            checked against the signed checkpoint before it is given: an entry altered in
            audit.db gets none (store.corrupt).
            """)

    @OptionGroup var daemon: DaemonOptions
    @Option(name: .long, help: ArgumentHelp("The entry index.", valueName: "n")) var entry: Int?
    @Option(name: .long, help: ArgumentHelp("Prove the newest entry about this package (its id, or a shortened one as for query).", valueName: "id")) var package: String?
    @Option(name: .long, help: ArgumentHelp("Write the proof here (default: standard output).", valueName: "file"), transform: OutputPath.parse) var out: String?

    func validate() throws {
        guard (entry == nil) != (package == nil) else { throw ValidationError("give exactly one of --entry N and --package ID") }
    }

    func run() throws {
        var request = ControlRequest(.auditProve)
        request.entry = entry
        request.id = package
        // Made before the daemon is asked, and never over an earlier proof.
        let file = try KeptNoteFile(out, mode: 0o644)
        let item = try daemon.connect().call(request, AuditProofItem.self)
        if let out {
            try file.write(item.proof)
            FileHandle.standardError.write(Data("wrote the proof of entry \(item.entry) to \(out)\n".utf8))
        }
        if daemon.json { return try printJSON(item) }
        if out == nil { print(item.proof, terminator: "") } else { print(item.leaf) }
    }
}
