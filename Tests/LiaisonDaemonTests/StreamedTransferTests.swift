import Foundation
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing

/// A large package travels as offer → data… → end, and the recipient verifies
/// it while it arrives (a thread reading the spool file behind the session).
/// These drive a real daemon by hand to check that this early verification
/// still refuses what it must, survives a dropped connection, and resumes.
@Suite("Streamed transfers verified as they arrive, on a real daemon")
struct StreamedTransferTests {
    /// A sealed package from `sender` to `recipient` with `size` payload bytes (1 MiB chunks).
    private static func seal(size: Int, net: DaemonNetwork, from sender: String, to recipient: String) throws -> (PackageID, [UInt8]) {
        var sealer = try PackageSealer(sender: try ProtocolClient.secrets(home: net.home(sender)).identity,
                                       recipients: [try ProtocolClient.publicKeys(home: net.home(recipient)).encryption],
                                       markings: try Markings(tlp: .green), created: Timestamp.now(), expires: nil)
        var rng = SeededBytes(seed: UInt64(size))
        var input = MemorySource(rng.next(size))
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        return (sealer.packageID, output.bytes)
    }

    private static func connect(_ net: DaemonNetwork, as sender: String, to recipient: String) throws -> ProtocolClient {
        var client = try ProtocolClient(port: net.ports[recipient]!)
        try client.handshake(local: try ProtocolClient.secrets(home: net.home(sender)).transport,
                             remote: try ProtocolClient.publicKeys(home: net.home(recipient)).transport)
        return client
    }

    /// Sends `bytes[range]` as data messages of at most the largest size allowed.
    private static func stream(_ bytes: [UInt8], _ range: Range<Int>, on client: inout ProtocolClient) throws {
        var offset = range.lowerBound
        while offset < range.upperBound {
            let end = min(offset + SessionMessage.maximumDataByteCount, range.upperBound)
            try client.send(.data(Array(bytes[offset..<end])))
            offset = end
        }
    }

    /// Streams the rest of `package` from `offset`, ends the transfer, and checks
    /// that bravo answers with its receipt, keeps the package, and leaves no partial.
    private static func finish(_ package: [UInt8], id: PackageID, from offset: Int, on client: inout ProtocolClient,
                               net: DaemonNetwork, what: String) throws {
        try stream(package, offset..<package.count, on: &client)
        try client.send(.end(packageID: id, size: UInt64(package.count)))
        guard case .receipt(let receipt) = try client.receive() else {
            Issue.record("\(what) got no receipt")
            return
        }
        #expect(receipt.packageID == id)
        #expect(try net.inbox("bravo") == [id.description])
        #expect(try spoolFiles(net, "bravo").isEmpty)
    }

    private static func spoolFiles(_ net: DaemonNetwork, _ node: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: net.home(node) + "/spool").filter { $0.hasSuffix(".partial") }
    }

    @Test("a package being streamed is `sending` in the sender's outbox (\"streaming now\"), and `delivered` once its receipt is in",
          .timeLimit(.minutes(3)))
    func sendingWhileStreaming() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let bravo = try #require(net.daemon("bravo").processIdentifier)
        let id = try net.send(Array(repeating: 0x5a, count: 128 << 20), from: "alpha", to: ["bravo"], tlp: "GREEN")
        // Bravo is frozen once the stream has begun — its spool file made and alpha told so
        // (bravo's file comes before its accept reaches alpha: frozen between the two, alpha
        // would never stream) — and alpha's stream then waits on the socket.
        let begun = eventually(timeoutSeconds: 60) {
            !((try? Self.spoolFiles(net, "bravo")) ?? []).isEmpty && (try? net.deliveryStates(id, at: "alpha")) == ["bravo": "sending"]
        }
        kill(bravo, SIGSTOP)
        defer { kill(bravo, SIGCONT) }
        try #require(begun, "bravo never began receiving")
        #expect(try net.deliveryStates(id, at: "alpha") == ["bravo": "sending"])
        let listed = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--state", "sending"]).stdout
        #expect(listed.contains(id) && listed.contains("SENDING") && listed.contains("streaming now"), "\(listed)")
        kill(bravo, SIGCONT)
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        #expect(try net.deliveryStates(id, at: "alpha") == ["bravo": "delivered"])
    }

    @Test("a chunk altered in the middle of a 3 MiB transfer: refused as invalid, nothing kept; the intact package then gets its receipt")
    func alteredChunk() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let (id, package) = try Self.seal(size: 3 << 20, net: net, from: "alpha", to: "bravo")
        var altered = package
        altered[package.count / 2] ^= 0x20

        var client = try Self.connect(net, as: "alpha", to: "bravo")
        try client.send(.offer(packageID: id, size: UInt64(altered.count), expires: nil))
        guard case .accept(_, let offset) = try client.receive() else {
            Issue.record("the offer was not accepted")
            return
        }
        #expect(offset == 0)
        try Self.stream(altered, 0..<altered.count, on: &client)
        try client.send(.end(packageID: id, size: UInt64(altered.count)))
        let reply = try client.receive()
        guard case .reject(_, let reason, let detail) = reply else {
            Issue.record("an altered package got \(reply)")
            return
        }
        #expect(reason == .invalid)
        #expect(detail.contains("chunk"))
        #expect(try net.inbox("bravo").isEmpty)
        #expect(try Self.spoolFiles(net, "bravo").isEmpty)

        try client.send(.offer(packageID: id, size: UInt64(package.count), expires: nil))
        guard case .accept = try client.receive() else {
            Issue.record("the intact package was not accepted after the altered one")
            return
        }
        try Self.finish(package, id: id, from: 0, on: &client, net: net, what: "the intact package")
    }

    @Test("a connection dropped halfway: the next offer resumes where the bytes end, and the whole package verifies")
    func resumedAfterDrop() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let (id, package) = try Self.seal(size: (2 << 20) + 12_345, net: net, from: "alpha", to: "bravo")
        let half = package.count / 2
        do {
            var client = try Self.connect(net, as: "alpha", to: "bravo")
            try client.send(.offer(packageID: id, size: UInt64(package.count), expires: nil))
            guard case .accept = try client.receive() else {
                Issue.record("the offer was not accepted")
                return
            }
            try Self.stream(package, 0..<half, on: &client)
        }   // the connection closes mid-transfer
        #expect(try net.inbox("bravo").isEmpty)

        var written = 0
        var client: ProtocolClient?
        // The daemon keeps the partial once it notices the drop; offer until it does.
        for _ in 0..<100 {
            var attempt = try Self.connect(net, as: "alpha", to: "bravo")
            try attempt.send(.offer(packageID: id, size: UInt64(package.count), expires: nil))
            let reply = try attempt.receive()
            if case .accept(_, let offset) = reply, offset > 0 {
                written = Int(offset)
                client = attempt
                break
            }
            usleep(100_000)   // up to 10 s
        }
        guard var client else {
            Issue.record("the transfer was never resumed")
            return
        }
        #expect(written > 0 && written <= half)
        try Self.finish(package, id: id, from: written, on: &client, net: net, what: "the resumed package")
    }

    @Test("an abandoned transfer's bytes count toward bytes-per-day until a day passes untouched; then it is swept")
    func abandonedPartials() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], importOptions: ["bravo>alpha": ["--bytes-per-day", "2500000"]])
        try net.daemon("bravo").start()
        let (abandoned, first) = try Self.seal(size: 2 << 20, net: net, from: "alpha", to: "bravo")
        let (next, second) = try Self.seal(size: 1 << 20, net: net, from: "alpha", to: "bravo")
        do {
            var client = try Self.connect(net, as: "alpha", to: "bravo")
            try client.send(.offer(packageID: abandoned, size: UInt64(first.count), expires: nil))
            guard case .accept = try client.receive() else {
                Issue.record("the offer was not accepted")
                return
            }
            try Self.stream(first, 0..<(first.count * 3 / 4), on: &client)
        }   // abandoned three quarters in
        // A restart: no claim is left, only the partial on disk.
        #expect(net.daemon("bravo").stop() != nil)
        try net.daemon("bravo").start()
        let partials = try Self.spoolFiles(net, "bravo")
        #expect(partials.count == 1)

        do {
            var client = try Self.connect(net, as: "alpha", to: "bravo")
            try client.send(.offer(packageID: next, size: UInt64(second.count), expires: nil))
            let reply = try client.receive()
            guard case .reject(_, let reason, let detail) = reply else {
                Issue.record("1.5 MB left unfinished plus 1 MiB more passed a 2.5 MB day: \(reply)")
                return
            }
            #expect(reason == .unavailable)
            #expect(detail.contains("unfinished"))
        }   // closed, so that stopping the daemon need not wait for it

        // Untouched for two days: swept when the daemon starts, and the day's volume is free again.
        let stale = timespec(tv_sec: time(nil) - 2 * 86_400, tv_nsec: 0)
        #expect(utimensat(AT_FDCWD, net.home("bravo") + "/spool/" + partials[0], [stale, stale], 0) == 0)
        #expect(net.daemon("bravo").stop() != nil)
        try net.daemon("bravo").start()
        #expect(try eventually { try Self.spoolFiles(net, "bravo").isEmpty })
        #expect(eventually { net.daemon("bravo").log.contains("removed 1 unfinished package(s) untouched for a day from the spool") })
        var retry = try Self.connect(net, as: "alpha", to: "bravo")
        try retry.send(.offer(packageID: next, size: UInt64(second.count), expires: nil))
        guard case .accept = try retry.receive() else {
            Issue.record("the package was refused after the abandoned one was swept")
            return
        }
        try Self.finish(second, id: next, from: 0, on: &retry, net: net, what: "the package after the sweep")
    }

    @Test("at start, inbox files no received package names are moved aside into inbox/orphans; those named, and other files, stay")
    func inboxOrphansSwept() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let id = try net.send(Array(repeating: 0x42, count: 200_000), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        let inbox = net.home("bravo") + "/inbox"
        let kept = try #require(try FileManager.default.contentsOfDirectory(atPath: inbox).first { $0.hasSuffix("\(id).lpkg") })
        _ = net.daemon("bravo").stop()
        // What a failed recording leaves: a package file of the same sender, no row.
        let orphan = String(kept.dropLast("\(id).lpkg".count)) + "\(try PackageID.random()).lpkg"
        let legacy = "\(try PackageID.random()).lpkg"
        for name in [orphan, legacy, "notes.txt"] {
            _ = FileManager.default.createFile(atPath: inbox + "/" + name, contents: Data(repeating: 7, count: 1000))
        }
        try net.daemon("bravo").start()
        let present = Set(try FileManager.default.contentsOfDirectory(atPath: inbox))
        #expect(present.contains(kept) && present.contains("notes.txt"), "\(present)")
        #expect(!present.contains(orphan) && !present.contains(legacy), "\(present)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: inbox + "/orphans")) == [orphan, legacy], "nothing is deleted")
        #expect(net.daemon("bravo").log.contains("moved 2 package file(s) that no received package names"))
        #expect(try net.fetch(id, at: "bravo") == Array(repeating: 0x42, count: 200_000))
    }
}
