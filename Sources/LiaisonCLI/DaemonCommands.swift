import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonStore

/// `liaison status`: the node and its peers, like `wg show`.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the running daemon: peers, last handshakes, queued and delivered packages, failures.")

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let status = try daemon.connect().call(ControlRequest(.status), StatusReport.self)
        if daemon.json { return try printJSON(status) }
        print("node: \(status.node)\(status.revoked == true ? " (REVOKED: this node revoked its own key; it sends nothing more)" : "")")
        print("  fingerprint: \(status.fingerprint)")
        if let previous = status.previousFingerprint, let until = status.previousKeysUntil {
            // Revoked, the node's revocation names both keys to partners that knew them linked.
            print("  rotated from: \(previous) " + (status.revoked == true ? "(revoked with the current key by every partner that took the rotation: docs/access-control.md)"
                                                                          : "(partners accept the previous keys until \(until))"))
        }
        print("  listening: \(status.listen.isEmpty ? "(nowhere)" : status.listen.joined(separator: ", "))")
        print("  up since: \(status.startedAt) (\(Self.ago(status.startedAt)))")
        print("  packages: \(status.queued) queued, \(status.delivered) delivered, \(status.failed) failed, \(status.expired) expired; inbox \(status.inbox)")
        if let free = status.diskFree {
            let reserve = status.diskReserve ?? 0
            let short = reserve > 0 && free < reserve
            print("  disk: \(ByteCount.format(free)) free, \(ByteCount.format(reserve)) kept in reserve"
                  + (short ? " (DOWN TO THE RESERVE: packages are refused until space is freed)" : ""))
        }
        if let size = status.auditSize {
            let signed = status.checkpointSize.map { checkpoint in
                "; newest checkpoint at \(checkpoint)" + (status.checkpointSignedAt.map { ", signed \(Self.ago($0))" } ?? "")
                    + ", cosigned by \(status.checkpointWitnesses ?? 0) witness\(status.checkpointWitnesses == 1 ? "" : "es")"
            } ?? "; no checkpoint signed yet"
            print("  audit log: \(size) entries\(signed)")
            if let origin = status.auditLogOrigin, let begun = status.auditLogBegunAt, let succeeds = status.auditLogSucceeds {
                print(HomeInHints.here("  audit log begun: \(begun) (\(Self.ago(begun))) as \(origin), after \(succeeds) (`liaison audit query --event log.started` says why)"))
            }
            if let refused = status.checkpointRefused {
                print("  CHECKPOINTS REFUSED: this node signs none until an operator acts (docs/operations.md, \"The audit log\"): \(refused)")
            }
        }
        if let waiting = status.rotationNotTold, status.previousFingerprint != nil {
            print("  not yet told of the key rotation: \(waiting.joined(separator: ", ")) (retried while the overlap lasts; a partner given keys/card.txt instead refuses what was sealed before the rotation: send that again)")
        } else if let waiting = status.rotationNotTold {
            print("  NEVER TOLD of the key rotation before its overlap ended: \(waiting.joined(separator: ", ")) (give their operators keys/card.txt; what was sealed for them before the rotation must be sent again)")
        }
        if let waiting = status.revocationNotTold {
            print("  not yet told of the revocation: \(waiting.joined(separator: ", ")) (retried; or give them keys/revocation.txt)")
        }
        for peer in status.peers {
            print("")
            print("peer: \(peer.name)\(peer.revoked ? " (REVOKED)" : "")")
            print("  fingerprint: \(peer.fingerprint)")
            if let previous = peer.previousFingerprint, let until = peer.previousKeysUntil {
                print("  rotated from: \(previous) (previous keys accepted until \(until))")
            }
            print("  trust: \(peer.trust)")
            if let until = peer.cardValidUntil, let end = Timestamp.parse(until) {
                let days = (end - Timestamp.now()) / 86_400
                let note = end <= Timestamp.now() ? " (EXPIRED: still trusted; ask \(peer.name) to rotate its keys, `liaison keys rotate`: its new card comes over the transport)"
                    : days < 30 ? " (in \(days) days)" : ""
                print("  card valid until: \(until)\(note)")
            }
            print("  endpoint: \(peer.addresses.isEmpty ? "(none)" : peer.addresses.joined(separator: ", "))")
            print("  latest handshake: \(peer.lastHandshake.map { "\($0) (\(Self.ago($0)))" } ?? "never")")
            print("  transfer: \(ByteCount.format(peer.bytesReceived)) received, \(ByteCount.format(peer.bytesSent)) sent")
            print("  packages: \(peer.queued) queued, \(peer.delivered) delivered, \(peer.failed) failed")
            if let error = peer.lastError { print("  last error: \(error)") }
            if let waiting = peer.queueError, waiting != peer.lastError { print("  queue waits: \(waiting)") }
            if let next = peer.nextAttempt, let at = Timestamp.parse(next) { print("  next try: \(next) (in \(max(0, at - Timestamp.now())) s)") }
            if let refused = peer.witnessRefusal {
                print(HomeInHints.here("  CHECKPOINTS REFUSED as its witness: \(refused.count) since this daemon started, the last \(refused.lastAt) (\(Self.ago(refused.lastAt))): \(refused.reason) (a rollback, a copy of \(peer.name) running beside it, or another key: ask its operator; `liaison audit query --peer \(peer.name) --event checkpoint.cosigned --outcome denied`)"))
            }
            if let log = peer.newAuditLog {
                print(HomeInHints.here("  NEW AUDIT LOG: \(log.origin), after \(log.after), which this node cosigned up to \(log.afterCosignedSize) entries (ask \(peer.name)'s operator why; `liaison audit witnessed \(peer.name)`)"))
            }
        }
    }

    /// How long ago an RFC 3339 time was, as `wg show` says it ("3 minutes ago").
    static func ago(_ time: String, now: Int64 = Timestamp.now()) -> String {
        guard let then = Timestamp.parse(time) else { return "?" }
        let seconds = now - then
        guard seconds >= 0 else { return "in the future" }
        func unit(_ n: Int64, _ name: String) -> String { "\(n) \(name)\(n == 1 ? "" : "s") ago" }
        switch seconds {
        case ..<60: return unit(seconds, "second")
        case ..<3600: return unit(seconds / 60, "minute")
        case ..<86_400: return unit(seconds / 3600, "hour")
        default: return unit(seconds / 86_400, "day")
        }
    }
}

/// `liaison outbox list|prune`.
struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "outbox", abstract: "Packages this node is sending.", subcommands: [List.self, Prune.self],
                                                    defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List queued and sent packages with their state per peer.",
            discussion: """
                Newest first. --peer and --state keep the deliveries to that peer and/or in \
                that state (queued takes in those being sent), and the packages that have \
                one, e.g. what is stuck: liaison outbox list --state queued --peer bravo
                """)
        @OptionGroup var daemon: DaemonOptions
        @Option(name: .long, help: ArgumentHelp("Show at most this many packages (up to \(ControlRequest.maximumListLimit)).", valueName: "n")) var limit = 100
        @Option(name: .long, help: ArgumentHelp("Only packages with a delivery to this peer.", valueName: "name")) var peer: String?
        @Option(name: .long, help: ArgumentHelp("Only packages with a delivery in this state: queued, sending, delivered, failed or expired.", valueName: "state"))
        var state: String?

        func validate() throws {
            try checkListLimit(limit)
            if let state, DeliveryState(rawValue: state.lowercased()) == nil {
                throw ValidationError("--state is one of \(DeliveryState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() throws {
            var request = ControlRequest(.outboxList)
            request.limit = limit
            request.peer = peer
            request.state = state?.lowercased()
            let items = try daemon.connect().call(request, [OutboxItem].self)
            noteIfCut(items.count, limit: limit, what: "packages")
            if daemon.json { return try printJSON(items) }
            guard !items.isEmpty else {
                guard peer == nil && state == nil else { return print("No package in the outbox matches.") }
                return print(HomeInHints.here("The outbox is empty. Send something with `liaison send FILE --to PEER --tlp LEVEL`."))
            }
            let now = Timestamp.now()
            let rows = items.flatMap { item in
                item.deliveries.map { d in
                    [item.id, d.peer, d.state.uppercased(), item.markings, ByteCount.format(item.size) + (item.pruned == nil ? "" : " (pruned)"),
                     Self.detail(d, now: now)]
                }
            }
            print(TextTable(headers: ["ID", "PEER", "STATE", "MARKINGS", "SEALED", "DETAIL"]).render(rows))
        }

        /// What the DETAIL column says of a delivery: when it was delivered, the last
        /// error, or when it is tried next ("due now" once that time has come).
        static func detail(_ d: DeliveryStatus, now: Int64) -> String {
            if d.state == "delivered" { return d.deliveredAt ?? "" }
            if d.state == "sending" { return "streaming now" + (d.attempts == 0 ? "" : " (after \(d.attempts) failed \(d.attempts == 1 ? "try" : "tries"))") }
            let next = d.nextAttempt.map { text in Timestamp.parse(text).map { $0 <= now } == true ? "due now" : "next \(text)" }
            if let error = d.lastError {
                let failed = d.attempts == 0 ? error : "\(d.attempts) \(d.attempts == 1 ? "try" : "tries"): \(error)"
                return next.map { "\(failed); \($0)" } ?? failed
            }
            return next ?? ""
        }
    }
}

extension OutboxCommand {
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove the sealed files of packages sent in full, to give back disk.",
            discussion: """
                Removes the sealed file of each package kept in a file (those over 65,494 bytes) that \
                was queued more than --older-than ago and whose every delivery is closed: \
                delivered, expired or failed. Nothing still queued or being sent is touched. \
                The package stays in `outbox list` (marked pruned) with its deliveries and \
                receipts, and each removal is recorded in the audit log (package.pruned). \
                Small packages live in the database and are not pruned.
                  liaison outbox prune --older-than 30d
                """)
        @OptionGroup var daemon: DaemonOptions
        @Option(name: .long, help: ArgumentHelp("Only packages queued at least this long ago: 90s, 45m, 12h, 30d, 2w.", valueName: "duration"))
        var olderThan: String

        func validate() throws {
            do { _ = try Timestamp.parseDuration(olderThan) } catch let error as CoreError { throw ValidationError("--older-than: \(error.message)") }
        }

        func run() throws {
            var request = ControlRequest(.outboxPrune)
            request.olderThanSeconds = try Timestamp.parseDuration(olderThan)
            let report = try daemon.connect().call(request, PruneReport.self)
            if daemon.json { return try printJSON(report) }
            guard report.count > 0 else {
                return print("Nothing to prune: no package kept in a file was queued more than \(olderThan) ago with every delivery closed.")
            }
            print("Pruned the sealed files of \(report.count) package\(report.count == 1 ? "" : "s"), \(ByteCount.format(report.bytes)) given back:")
            for id in report.packages { print("  \(id)") }
            if report.count > report.packages.count {
                print("  … and \(report.count - report.packages.count) more: liaison audit query --event package.pruned")
            }
        }
    }
}

/// `liaison inbox list|get`.
struct InboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inbox", abstract: "Packages received from peers.", subcommands: [List.self, Get.self],
                                                    defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List received packages.")
        @OptionGroup var daemon: DaemonOptions
        @Option(name: .long, help: ArgumentHelp("Show at most this many packages (up to \(ControlRequest.maximumListLimit)).", valueName: "n")) var limit = 100

        func validate() throws { try checkListLimit(limit) }

        func run() throws {
            var request = ControlRequest(.inboxList)
            request.limit = limit
            let items = try daemon.connect().call(request, [InboxItem].self)
            noteIfCut(items.count, limit: limit, what: "received packages")
            if daemon.json { return try printJSON(items) }
            guard !items.isEmpty else { return print("The inbox is empty.") }
            print(TextTable(headers: ["ID", "FROM", "MARKINGS", "TYPE", "SEALED", "RECEIVED"]).render(items.map {
                [$0.id, $0.sender + ($0.senderRevoked == true ? " (REVOKED)" : $0.senderRemoved == true ? " (removed)" : ""), $0.markings, $0.contentType, ByteCount.format($0.size), $0.receivedAt]
            }))
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify and decrypt a received package into a file.",
            discussion: "The file appears only once every chunk has verified;\notherwise nothing is written.")
        @OptionGroup var daemon: DaemonOptions
        @Argument(help: ArgumentHelp("The package id, or its first 8 or more hex digits (see `liaison inbox list`).", valueName: "id")) var id: String
        @Option(name: .long, help: ArgumentHelp("Where to write the payload (must not exist).", valueName: "file"), transform: OutputPath.parse) var out: String
        @Option(name: .long, help: ArgumentHelp("The sender, by name or fingerprint, if packages from several peers carry this id (ids are random: one copied the other's).",
                                                valueName: "peer")) var from: String?
        @Flag(name: .long, help: ArgumentHelp("Open it although its signer's key was revoked after it arrived: whoever held the key may have made it. The audit log records that you did."))
        var despiteRevocation = false

        func validate() throws {
            try PackageIDArgument.validate(id)
        }

        func run() throws {
            // The output is made before the daemon is asked: it records the package
            // as opened when it answers, so an --out that cannot be written fails first.
            let file = try AtomicOutputFile(path: out)
            var request = ControlRequest(.inboxGet)
            request.id = id
            request.peer = from
            if despiteRevocation { request.despiteRevocation = true }
            let client = try daemon.connect()
            try client.send(json: request)
            let opened = try client.receive(OpenedItem.self)
            var sink = file
            var total = 0
            while true {
                let frame = try client.receiveFrame()
                if frame.isEmpty { break }
                try sink.write(frame)
                total += frame.count
            }
            _ = try client.receive(Empty.self)
            try file.commit()
            if opened.senderRevoked == true {
                FileHandle.standardError.write(Data("warning: \(opened.sender)'s key is revoked (this node learned of it after the package arrived); its signature verifies, but whoever held the key may have made it\n".utf8))
            }
            if daemon.json { return try printJSON(InboxGetOutput(opened, bytes: total, out: out)) }
            print("Verified package \(opened.id) and wrote \(ByteCount.format(Int64(total))) to \(out)")
            print("  from:     \(opened.sender) (\(opened.senderFingerprint))")
            print("  markings: \(opened.markings)")
            print("  type:     \(opened.contentType)")
        }
    }
}

/// Refuses a `--limit` outside 1…``ControlRequest/maximumListLimit`` (the daemon would
/// quietly serve at least one, or at most the maximum).
func checkListLimit(_ limit: Int) throws {
    guard (1...ControlRequest.maximumListLimit).contains(limit) else {
        throw ValidationError("--limit must be between 1 and \(ControlRequest.maximumListLimit)")
    }
}

/// Says on standard error (so `--json` output stays clean) when a listing may have
/// been cut at its limit (``ControlRequest/listLimit(_:)``).
func noteIfCut(_ count: Int, limit: Int, what: String) {
    let served = ControlRequest.listLimit(limit)
    guard count >= served else { return }
    let maximum = ControlRequest.maximumListLimit
    let more = served < maximum ? "; there may be more (--limit N, up to \(maximum))" : "; there may be more"
    FileHandle.standardError.write(Data("note: only the newest \(served) of the \(what) \(served == 1 ? "is" : "are") shown\(more)\n".utf8))
}

/// What `inbox get --json` prints: the package as the daemon described it, and what
/// was written where (as `package open --json` says it).
struct InboxGetOutput: Encodable {
    let id: String
    let sender: String
    let senderFingerprint: String
    let markings: String
    let contentType: String
    /// Set when the signer's key was revoked after it arrived (`--despite-revocation`).
    let senderRevoked: Bool?
    let bytes: Int
    let out: String

    init(_ opened: OpenedItem, bytes: Int, out: String) {
        id = opened.id; sender = opened.sender; senderFingerprint = opened.senderFingerprint
        markings = opened.markings; contentType = opened.contentType
        senderRevoked = opened.senderRevoked
        self.bytes = bytes; self.out = out
    }
}
