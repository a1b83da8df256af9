import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

/// `liaison send` with several files: each becomes its own package, and one
/// request's packages are recorded and queued together — all of them, or none.
@Suite("Several files in one send, on real daemons", .serialized)
struct BatchSendTests {
    /// `.lpkg` files in `directory`.
    static func packageFiles(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".lpkg") }
    }

    @Test("three files, one of them large: three packages queued in one audit commit, each delivered once with its own receipt",
          .timeLimit(.minutes(2)))
    func threeFiles() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let payloads = [Array("first report\n".utf8), Array("second report\n".utf8),
                        try Sodium.randomBytes(count: 2 * SessionMessage.maximumPushByteCount + 99)]
        let paths = payloads.enumerated().map { i, bytes in net.dir.write("file-\(i).txt", bytes) }
        let result = try net.expect(["send"] + paths + ["--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN", "--json"])
        let receipts = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(receipts.map { $0["file"] as? String } == paths)
        let ids = receipts.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == 3, "each file is its own package: \(ids)")
        #expect(receipts.allSatisfy { $0["recipients"] as? [String] == ["bravo"] })

        for (id, payload) in zip(ids, payloads) {
            #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]), "\(id) not delivered: \(net.daemon("alpha").log.suffix(2000))")
            #expect(try net.fetch(id, at: "bravo") == payload)
        }
        #expect(Set(try net.inbox("bravo")) == Set(ids))

        // The command and the three sealings (each naming its recipients) are consecutive leaves: one commit.
        let events = try net.auditEvents("alpha")
        let command = try #require(events.firstIndex { $0.kind == .controlCommand && $0.details["command"] == "send.files" })
        #expect(events[command].details["files"] == "3")
        #expect(events[command].outcome == .ok)
        #expect(events[command...].prefix(4).map(\.kind) == [.controlCommand] + Array(repeating: .packageSealed, count: 3))
        #expect(events[(command + 1)...].prefix(3).map(\.package) == ids.map(Optional.some))
        #expect(events[(command + 1)...].prefix(3).allSatisfy { $0.details["recipients"] == "bravo" })
        #expect(!events.contains { $0.kind == .packageQueued }, "the sealing's entry records the queueing")
        // The large one went through a file, the small ones never did.
        #expect(Self.packageFiles(net.home("alpha") + "/outbox") == ["\(ids[2]).lpkg"])
    }

    @Test("forty files of 60 KiB: the first 2 MiB of sealed packages are held in memory, the rest go to files; all are delivered",
          .timeLimit(.minutes(3)))
    func memoryBudget() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let payloads = try (0..<40).map { _ in try Sodium.randomBytes(count: 60 << 10) }
        let paths = payloads.enumerated().map { i, bytes in net.dir.write("block-\(i).bin", bytes) }
        let result = try net.expect(["send"] + paths + ["--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN", "--json"])
        let ids = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]]).compactMap { $0["id"] as? String }
        #expect(ids.count == 40)
        // Each sealed package would fit in a push; those past the budget are files all the same.
        let files = Set(Self.packageFiles(net.home("alpha") + "/outbox"))
        let spilled = ids.filter { files.contains("\($0).lpkg") }
        #expect(spilled.count >= 5 && spilled.count <= 10, "\(spilled.count) of 40 went to files")
        #expect(Array(ids.suffix(spilled.count)) == spilled, "the later packages are the ones in files")
        for (id, payload) in zip(ids, payloads) {
            #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"], timeoutSeconds: 60), "\(id) not delivered")
            #expect(try net.fetch(id, at: "bravo") == payload)
        }
    }

    @Test("a send whose second file never ends queues nothing and leaves no file; the command is recorded as failed",
          .timeLimit(.minutes(2)))
    func truncatedSecondFile() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        do {
            let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("alpha")), timeoutSeconds: 60)
            var request = ControlRequest(.sendFiles)
            request.to = ["bravo"]
            request.tlp = "GREEN"
            request.files = 2
            try client.send(json: request)
            // The first file is large enough to be sealed into a file of its own before the second begins.
            try client.sendPayload(try Sodium.randomBytes(count: 3 * SessionMessage.maximumPushByteCount))
            try client.sendFrame(Array("the second file, cut".utf8))
            // Held open until the daemon took the request (it reads the caller's
            // credentials first), then closed in the middle of the second file.
            #expect(eventually(timeoutSeconds: 20) { net.daemon("alpha").log.contains("control: send.files from") })
        }

        let recorded = try eventually(timeoutSeconds: 20) {
            try net.auditEvents("alpha").contains { $0.kind == .controlCommand && $0.details["files"] == "2" && $0.outcome == .failed }
        }
        #expect(recorded, "the failed send was not recorded: \(net.daemon("alpha").log.suffix(2000))")
        let failed = try #require(try net.auditEvents("alpha").first { $0.kind == .controlCommand && $0.details["files"] == "2" })
        #expect(failed.reason?.hasPrefix("control.truncated: file 2 of 2: ") == true, "\(failed.reason ?? "")")
        let events = try net.auditEvents("alpha")
        #expect(!events.contains { $0.kind == .packageSealed })
        #expect(try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        #expect(try FileManager.default.contentsOfDirectory(atPath: net.home("alpha") + "/outbox").isEmpty, "nothing, not even a temporary file")
    }

    @Test("a count outside 1…256 is refused before any payload is read; the CLI refuses '-' twice and unreadable files, sending nothing",
          .timeLimit(.minutes(2)))
    func refusals() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        for count in [0, ControlRequest.maximumFilesPerSend + 1] {
            let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("alpha")), timeoutSeconds: 60)
            var request = ControlRequest(.sendFiles)
            request.to = ["bravo"]
            request.tlp = "GREEN"
            request.files = count
            try client.send(json: request)
            do {
                _ = try client.receive([SendReceipt].self)
                Issue.record("a send of \(count) files was accepted")
            } catch let failure as ControlFailure {
                #expect(failure.code == "control.bad-request", "\(failure)")
            }
        }
        let present = net.dir.write("present.txt", Array("here".utf8))
        let twice = try net.cli.run(["send", "-", "-", "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"])
        #expect(twice.status != 0)
        #expect(twice.stderr.contains("standard input"), "\(twice.stderr)")
        let missing = try net.cli.run(["send", present, net.dir.file("absent.txt"), "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("absent.txt") && missing.stderr.contains("nothing was sent"), "\(missing.stderr)")
        // A refusal by the daemon names the file it is about.
        let second = net.dir.write("second.txt", Array("there".utf8))
        let unknown = try net.cli.run(["send", present, second, "--home", net.home("alpha"), "--to", "nobody", "--tlp", "GREEN"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("\(present): "), "\(unknown.stderr)")
        #expect(try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }
}
