import ArgumentParser
import Foundation
import LiaisonControl
import LiaisonCore

/// `liaison send`: seal files and queue them for delivery by the daemon, each
/// as its own package.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Seal files to peers and queue them; the daemon delivers them and collects signed receipts.",
        discussion: """
            Each file is streamed to the daemon, which seals it with the node's
            identity key (only the daemon holds the keys) into a package of its
            own and stores it in the durable outbox before this command returns.
            Delivery retries with backoff while a peer is unreachable.

            Several files go in one request (up to \(ControlRequest.maximumFilesPerSend) at a time; more are sent
            in several): the daemon records and queues each request's packages
            together — all of them, or none if one cannot be read or sent.

            Examples:
              liaison send report.json --to bravo,charlie --tlp AMBER --rel-to NATO
              liaison send indicators/*.json --to bravo --tlp GREEN --json

            A STIX 2.1 bundle (--content-type application/stix+json) is read whole
            (at most 64 MiB) and its TLP markings are checked first: when the bundle
            is marked more strictly than --tlp, the package is raised to the
            bundle's level and the reply says so; --strict-markings refuses instead.
            """)

    @OptionGroup var daemon: DaemonOptions

    @Argument(help: ArgumentHelp("The files to send, each as its own package ('-' for standard input, once).", valueName: "file"))
    var files: [String]

    @OptionGroup var addressing: AddressingOptions
    @OptionGroup var markingCheck: MarkingCheckOptions
    @Flag(name: .customLong("all-or-nothing"), help: ArgumentHelp(
        "Queue nothing unless every named recipient may receive it (without it, a recipient the policy withholds is skipped, said in `withheld`, and the others get the package)."))
    var allOrNothing = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name at least one file to send ('-' for standard input)") }
        guard files.filter({ $0 == "-" }).count <= 1 else { throw ValidationError("standard input ('-') can be sent only once per command") }
        // The same file twice would be two packages of one content: surely a slip of the glob.
        var seen: [String: String] = [:]
        for path in files where path != "-" {
            let resolved = realpath(path, nil).map { pointer in defer { free(pointer) }; return String(cString: pointer) } ?? path
            if let first = seen.updateValue(path, forKey: resolved) {
                throw ValidationError(first == path ? "\(path) is named twice; name each file once (nothing was sent)"
                                                    : "\(first) and \(path) are the same file; name it once (nothing was sent)")
            }
        }
    }

    func run() throws {
        // Every file must be readable before anything is sent.
        // Checked here, before the daemon is asked: a directory found once the request is
        // open would reach it as an interrupted payload, and be audited as one.
        for path in files where path != "-" {
            guard access(path, R_OK) == 0 else {
                throw CoreError(.inputUnreadable, "cannot read \(path): \(String(cString: strerror(errno))); nothing was sent")
            }
            var info = stat()
            if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
                throw CoreError(.inputUnreadable, "\(path) is a directory; give the files in it (e.g. \(path)/*); nothing was sent")
            }
        }
        var receipts: [SendReceipt] = []
        if files.count == 1 {
            // The one-payload request, which every daemon understands.
            receipts = [try send(files[0])]
        } else {
            let size = ControlRequest.maximumFilesPerSend
            for start in stride(from: 0, to: files.count, by: size) {
                let batch = Array(files[start..<min(start + size, files.count)])
                do {
                    receipts += try send(batch)
                } catch {
                    // Say which files were queued, so that only the rest is sent again.
                    if let notice = Self.partialSendNotice(queued: receipts.count, of: files.count, failedBatch: batch, error: error) {
                        if !receipts.isEmpty { try report(receipts) }
                        FileHandle.standardError.write(Data(notice.utf8))
                    }
                    throw error
                }
                if files.count > size && !daemon.json {
                    FileHandle.standardError.write(Data("queued \(receipts.count) of \(files.count) files\n".utf8))
                }
            }
        }
        try report(receipts)
    }

    /// What to tell the user when the request for `failedBatch` failed after `queued`
    /// of `total` files were queued, ahead of the error itself; `nil` when there is
    /// nothing to add (the first request was refused: nothing was queued).
    ///
    /// When the daemon answered with an error, the batch was not queued. When the
    /// connection failed or timed out before its answer, the daemon may have queued
    /// the batch already: sending it again as told could deliver it twice, so the
    /// user is sent to the outbox first.
    static func partialSendNotice(queued: Int, of total: Int, failedBatch: [String], error: any Error) -> String? {
        let unknown = (error as? ControlFailure)?.leavesOutcomeUnknown == true
        guard queued > 0 || unknown else { return nil }
        let done = "\(queued) of \(total) files were queued\(queued > 0 ? " (listed above)" : "")"
        guard unknown else { return "\(done); \(failedBatch[0]) and the \(total - queued - 1) after it were not:\n" }
        let notSent = total - queued - failedBatch.count
        return "\(done); whether \(failedBatch[0]) and the \(failedBatch.count - 1) after it in the same request were queued is unknown "
            + "(the connection to the daemon failed before its answer)"
            + (notSent > 0 ? ", and the \(notSent) after those were not sent" : "")
            + ". Check `liaison outbox list` before sending any of them again:\n"
    }

    /// Prints the receipts: one file's as before, several as a table (`--json`: an object for one file, an array for several).
    private func report(_ receipts: [SendReceipt]) throws {
        daemon.warnIfAnotherNode(receipts.first?.node, did: "queued the package\(receipts.count == 1 ? "" : "s")")
        if daemon.json {
            try files.count == 1 ? printJSON(receipts[0]) : printJSON(receipts)
        } else if files.count == 1 {
            Self.describe(receipts[0])
        } else {
            Self.describe(receipts)
        }
        // A daemon from before --all-or-nothing ignores it (it skips what it does not
        // know) and queues for the others: what it did is printed above, and it is not
        // called a success.
        if allOrNothing, let partial = receipts.first(where: { !$0.withheld.isEmpty }) {
            throw CoreError(.policyDenied, "the daemon ignored --all-or-nothing (it is older than this CLI: restart it on this release): package \(partial.id) was queued for \(partial.recipients.joined(separator: ", ")) and withheld from \(partial.withheld.map(\.peer).joined(separator: ", "))")
        }
    }

    /// The request `send` makes, before its payloads: `send` for one, `send.files` for several.
    private func request(files: Int?) -> ControlRequest {
        var request = ControlRequest(files == nil ? .send : .sendFiles)
        request.to = addressing.recipients
        request.tlp = addressing.tlp
        request.classification = addressing.classification
        request.releasableTo = addressing.communities
        request.caveats = addressing.caveat
        request.expires = addressing.expires
        request.contentType = addressing.contentType
        request.strictMarkings = markingCheck.strict ? true : nil
        request.allOrNothing = allOrNothing ? true : nil
        request.files = files
        return request
    }

    /// Sends one file in the one-payload form.
    private func send(_ path: String) throws -> SendReceipt {
        let client = try daemon.connect()
        try client.send(json: request(files: nil))
        try Self.stream([try InputFile(path: path)], to: client, answer: SendReceipt.self, progress: Self.progress([path]))
        var receipt = try client.receive(SendReceipt.self)
        receipt.file = path
        return receipt
    }

    /// Sends `paths` in one request: all are queued, or none.
    private func send(_ paths: [String]) throws -> [SendReceipt] {
        let inputs = try paths.map { try InputFile(path: $0) }
        let client = try daemon.connect()
        try client.send(json: request(files: paths.count))
        let receipts: [SendReceipt]
        do {
            try Self.stream(inputs, to: client, answer: [SendReceipt].self, progress: Self.progress(paths))
            receipts = try client.receive([SendReceipt].self)
        } catch let failure as ControlFailure {
            throw Self.naming(failure, in: paths)
        }
        guard receipts.count == paths.count else {
            throw ControlFailure(code: "control.bad-response", message: "the daemon answered \(receipts.count) receipts for \(paths.count) files")
        }
        return zip(receipts, paths).map { receipt, path in
            var named = receipt
            named.file = path
            return named
        }
    }

    /// Progress over `paths`' bytes; their total is known when all are regular files.
    private static func progress(_ paths: [String]) -> ProgressLine {
        var total: Int64 = 0
        for path in paths {
            var info = stat()
            guard path != "-", stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                return ProgressLine(total: nil, label: "sending", unit: .bytes)
            }
            total += Int64(info.st_size)
        }
        return ProgressLine(total: total, label: "sending", unit: .bytes)
    }

    /// The daemon names a file by its place in the request ("file 3 of 16: …"):
    /// this puts the file's path there instead.
    private static func naming(_ failure: ControlFailure, in paths: [String]) -> ControlFailure {
        let message = failure.message
        guard message.hasPrefix("file "), let colon = message.firstIndex(of: ":") else { return failure }
        let place = message[message.index(message.startIndex, offsetBy: 5)..<colon].split(separator: " ")
        guard place.count == 3, place[1] == "of", let number = Int(place[0]), paths.indices.contains(number - 1) else { return failure }
        return ControlFailure(code: failure.code, message: "\(paths[number - 1]): " + message[message.index(after: colon)...].drop { $0 == " " })
    }

    /// Streams each file's bytes as data frames, then the empty frame that ends
    /// it. A daemon that stops reading has refused the send: its answer (of type
    /// `answer`) says why, and that is what is thrown.
    private static func stream<Answer: Codable & Sendable>(_ inputs: [InputFile], to client: ControlClient, answer: Answer.Type,
                                                           progress: ProgressLine) throws {
        var buffer = [UInt8](repeating: 0, count: ControlFraming.dataFrameLength)
        defer { progress.finish() }
        do {
            for input in inputs {
                var stream = input.stream
                while true {
                    let n = try buffer.withUnsafeMutableBytes { try stream.readFully(into: $0) }
                    if n == 0 { break }
                    try client.sendFrame(Array(buffer[0..<n]))
                    progress.advance(by: n)
                }
                try client.sendFrame([])
            }
        } catch let lost as ControlFailure where lost.code == "control.connection-lost" {
            _ = try client.receive(answer)
            throw lost
        }
    }

    private static func describe(_ receipt: SendReceipt) {
        let sealed = receipt.sealedSize.map { "; \(ByteCount.format($0)) sealed" } ?? ""
        print("Queued package \(receipt.id) (\(ByteCount.format(receipt.size)) of payload\(sealed)) for \(receipt.recipients.joined(separator: ", "))")
        for w in receipt.withheld { print("  withheld: \(w.peer) — \(w.reason) [\(w.rule)]") }
        print("  markings: \(receipt.markings)")
        if let note = receipt.markingsNote { print("  note:     \(note)") }
        print("  expires:  \(receipt.expires ?? "never")")
        print(HomeInHints.here("Follow it with `liaison outbox list`; receipts appear in `liaison receipts`."))
    }

    private static func describe(_ receipts: [SendReceipt]) {
        print("Queued \(receipts.count) packages:")
        print(TextTable(headers: ["ID", "FILE", "PAYLOAD", "MARKINGS", "RECIPIENTS", "EXPIRES"]).render(receipts.map { r in
            [r.id, r.file ?? "", ByteCount.format(r.size), r.markings, r.recipients.joined(separator: ","), r.expires ?? "never"]
        }))
        var told = Set<String>()
        for r in receipts {
            for w in r.withheld where told.insert("\(w.peer)\u{0}\(r.markings)").inserted {
                print("  withheld at \(r.markings): \(w.peer) — \(w.reason) [\(w.rule)]")
            }
            if let note = r.markingsNote { print("  note on \(r.file ?? r.id): \(note)") }
        }
        print(HomeInHints.here("Follow them with `liaison outbox list`; receipts appear in `liaison receipts`."))
    }
}
