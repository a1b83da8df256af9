import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore

/// `liaison audit witnessed PEER`: the newest checkpoint of a peer's log that this
/// node cosigned as its witness — a checkpoint held away from the peer, to verify
/// the peer's exported log against.
struct AuditWitnessedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witnessed",
        abstract: "Print the newest checkpoint of a peer's audit log that this node cosigned as its witness.",
        discussion: """
            A bundle exported by the peer carries the checkpoints the peer chose to put
            in it: someone holding the peer's keys could leave out the later ones and
            rewrite the entries after an earlier one. This node kept the last checkpoint
            it cosigned. Take it before the peer exports its log, and hand it to whoever
            verifies the export:

              liaison audit witnessed alpha --out alpha.txt     (on the witness, first)
              liaison audit export --out DIR                    (on alpha, then)
              liaison audit verify --bundle DIR --log-key KEY \\
                  --trusted-checkpoint alpha.txt                  (the auditor)

            The export must then hold exactly the history this node saw, up to that size.
            """)

    @OptionGroup var daemon: DaemonOptions
    @Argument(help: ArgumentHelp("The peer whose log this node witnesses.", valueName: "peer")) var peer: String
    @Option(name: .long, help: ArgumentHelp("Also write the checkpoint note to this file, which must not exist (a kept checkpoint is never replaced).", valueName: "file"),
            transform: OutputPath.parse) var out: String?

    func run() throws {
        let kept = try KeptNoteFile(out, mode: 0o600)
        var request = ControlRequest(.auditWitnessed)
        request.peer = peer
        let item = try daemon.connect().call(request, AuditWitnessedItem.self)
        try kept.write(item.note)
        if daemon.json { return try printJSON(item) }
        print(item.note, terminator: "")
        FileHandle.standardError.write(Data("""
            the newest checkpoint of \(item.peer)'s log (\(item.origin)) this node cosigned: \(item.size) entries.
            Verify \(item.peer)'s export against it: liaison audit verify --bundle DIR --log-key KEY --trusted-checkpoint FILE
            (KEY: \(item.peer)'s log key, as its operator prints it with `liaison keys show`)

            """.utf8))
        // A log begun after another holds none of the history before it: say where that went.
        for earlier in item.earlierLogs ?? [] {
            FileHandle.standardError.write(Data("""
                \(item.peer) BEGAN A NEW LOG after \(earlier.origin), which this node cosigned up to \(earlier.size) entries; that history is not in the log above (`--json` has the checkpoint; \(item.peer)'s log.started entry says why)

                """.utf8))
        }
    }
}
