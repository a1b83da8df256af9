import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import LiaisonWire
import Testing
@testable import LiaisonDaemon

/// The disk reserve (`disk-reserve-mib`): packages, incoming or sent, never take
/// the last of the home volume, so the store and the audit log keep room to
/// record. The decision on given readings, then on real daemons.
@Suite("Disk reserve")
struct DiskReserveTests {
    @Test("a package is refused exactly when it, with what is already on its way, would leave less than the reserve free")
    func decision() {
        let reserve = DiskReserve(bytes: 100) { 1000 }
        #expect(reserve.shortage(adding: 900) == nil)
        #expect(reserve.shortage(adding: 901) == DiskReserve.Reading(available: 1000, reserve: 100))
        #expect(reserve.shortage(adding: 400, pending: 500) == nil)
        #expect(reserve.shortage(adding: 400, pending: 501) != nil)
        #expect(reserve.shortage(adding: .max, pending: .max) != nil, "an overflowing sum must refuse, not wrap")
        #expect(throws: CoreError.self) { try reserve.ensureRoom(adding: 901, to: "queue the package") }
        #expect(throws: Never.self) { try reserve.ensureRoom(adding: 900, to: "queue the package") }
        // A transfer promised a window at a time: it must fit alone, and its first window beside the others'.
        #expect(reserve.shortage(adding: 900, window: 200, pending: 700) == nil)
        #expect(reserve.shortage(adding: 900, window: 200, pending: 701) != nil)
        #expect(reserve.shortage(adding: 901, window: 200, pending: 0) != nil, "a package that cannot fit at all is refused")
        #expect(reserve.shortage(adding: 150, window: 200, pending: 750) == nil, "a package smaller than a window counts its size")
    }

    @Test("with the reserve off, or the free space unreadable, nothing is refused for space (the write itself fails cleanly if it must)")
    func offOrUnknown() {
        #expect(DiskReserve(bytes: 0) { 0 }.shortage(adding: 1 << 40) == nil)
        #expect(DiskReserve(bytes: 1 << 30) { nil }.shortage(adding: 1 << 40) == nil)
    }

    @Test("the free space is read from the real volume")
    func realVolume() throws {
        let dir = TemporaryDirectory(prefix: "liaison-reserve")
        let free = try #require(DiskReserve.availableBytes(on: dir.path))
        #expect(free > 0)
        #expect(DiskReserve.availableBytes(on: dir.path + "/no/such/place") == nil)
        let reading = try #require(DiskReserve(bytes: 1 << 20, path: dir.path).reading())
        #expect(reading.reserve == 1 << 20 && reading.available > 0)
    }

    @Test("a recipient down to its reserve refuses packages for now: they stay queued, and are delivered once when it has room again",
          .timeLimit(.minutes(3)))
    func recipientRefusesForNow() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.setTunable("bravo", "disk-reserve-mib", String(try Self.moreThanFreeMiB(net.home("bravo"))))
        try net.startAll()
        let small = try net.send(Array("pushed whole".utf8), from: "alpha", to: ["bravo"])
        let large = try net.send(try Sodium.randomBytes(count: 300_000), from: "alpha", to: ["bravo"])  // offered and streamed
        let refused = try eventually(timeoutSeconds: 30) {
            try [small, large].allSatisfy { try Self.lastError($0, net: net)?.contains("short of disk space") == true }
        }
        let listing = try net.expect(["outbox", "list", "--home", net.home("alpha")]).stdout
        #expect(refused, "\(listing)")
        #expect(try net.deliveryStates(small, at: "alpha")["bravo"] == "queued")
        #expect(try net.inbox("bravo").isEmpty)
        let status = try net.expect(["status", "--home", net.home("bravo")]).stdout
        #expect(status.contains("DOWN TO THE RESERVE"), "\(status)")
        #expect(net.daemon("bravo").log.contains("(disk-reserve-mib); free space on it"))
        let rejections = try net.auditEvents("bravo").filter { $0.kind == .packageRejected }
        #expect(rejections.contains { $0.reason?.contains("short of disk space") == true }, "refusals are audited")

        // alpha first, so that bravo's graceful stop waits on no session of alpha's retries.
        net.daemon("alpha").stop()
        net.daemon("bravo").stop()
        try net.setTunable("bravo", "disk-reserve-mib", "0")
        try net.startAll()
        #expect(try net.waitDelivered(small, from: "alpha", to: ["bravo"], timeoutSeconds: 60))
        #expect(try net.waitDelivered(large, from: "alpha", to: ["bravo"], timeoutSeconds: 60))
        #expect(try net.inbox("bravo").sorted() == [small, large].sorted(), "each delivered once")
    }

    @Test("a send is refused, and nothing queued, while the sender's own volume is down to its reserve; the CLI says what to do and exits 75",
          .timeLimit(.minutes(2)))
    func sendRefused() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.setTunable("alpha", "disk-reserve-mib", String(try Self.moreThanFreeMiB(net.home("alpha"))))
        try net.daemon("alpha").start()
        let payload = net.dir.write("payload", Array("no room for this".utf8))
        let refused = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"])
        #expect(refused.status == 75, "\(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("disk-reserve-mib") && refused.stderr.contains("Free space"), "\(refused.stderr)")
        let outbox = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        #expect(outbox.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(outbox)")
        let command = try net.auditEvents("alpha").last { $0.kind == .controlCommand && $0.details["command"] == "send" }
        #expect(command?.outcome == .failed && command?.reason?.contains("node.disk-reserve") == true, "\(String(describing: command))")
    }

    @Test("a large send is stopped as it streams in once it would eat into the reserve, and leaves no file behind",
          .timeLimit(.minutes(3)), .enabled(if: SmallFilesystem.isAvailable, "mounting a small tmpfs needs root"))
    func largeSendStoppedMidway() throws {
        let (volume, net) = try Self.smallHome()
        let before = try #require(DiskReserve.availableBytes(on: volume.path))
        let payload = net.dir.write("large", try Sodium.randomBytes(count: 48 << 20))   // fits the volume, not beside the reserve
        let refused = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"])
        #expect(refused.status == 75, "\(refused.status): \(refused.stderr)")
        #expect(refused.stderr.contains("disk-reserve-mib"), "\(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: net.home("alpha") + "/outbox").isEmpty, "the partial package was left behind")
        let after = try #require(DiskReserve.availableBytes(on: volume.path))
        #expect(after + (4 << 20) >= before, "space was not given back: \(before) → \(after)")
        // A package that fits beside the reserve is still taken.
        let fits = net.dir.write("fits", try Sodium.randomBytes(count: 4 << 20))
        #expect(try net.cli.run(["send", fits, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"]).status == 0)
    }

    @Test("a copy of a package already received gets its stored receipt even when the disk is down to its reserve",
          .timeLimit(.minutes(2)))
    func copyStillAnswered() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let push = try Self.push("delivered, then its receipt lost", from: alpha, to: bravoKeys)
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: alpha.transport, remote: bravoKeys.transport)
        try client.send(push)
        guard case .receipt(let first) = try client.receive() else { Issue.record("the push was not answered with a receipt"); return }
        // Ended as a sender ends it, so that bravo's graceful stop has nothing to wait for.
        try client.send(.close(reason: .done))

        net.daemon("bravo").stop()
        try net.setTunable("bravo", "disk-reserve-mib", String(try Self.moreThanFreeMiB(net.home("bravo"))))
        try net.daemon("bravo").start()
        var again = try ProtocolClient(port: net.ports["bravo"]!)
        try again.handshake(local: alpha.transport, remote: bravoKeys.transport)
        try again.send(push)
        #expect(try again.receive() == .receipt(first), "the copy was refused instead of answered with its receipt")
        // A new package is refused for now.
        try again.send(try Self.push("a new one", from: alpha, to: bravoKeys))
        guard case .reject(_, let reason, let detail) = try again.receive() else { Issue.record("the new package was not refused"); return }
        #expect(reason == .unavailable && detail.contains("short of disk space"), "\(detail)")
    }

    @Test("many small files in one send are checked against the reserve one by one: the request is refused whole, nothing left behind",
          .timeLimit(.minutes(3)), .enabled(if: SmallFilesystem.isAvailable, "mounting a small tmpfs needs root"))
    func manyFilesStopped() throws {
        let (volume, net) = try Self.smallHome()
        // Each under the 16 MiB a single payload streams before it is checked; together past the reserve.
        let files = try (1...5).map { net.dir.write("part-\($0)", try Sodium.randomBytes(count: 12 << 20)) }
        let refused = try net.cli.run(["send"] + files + ["--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"])
        #expect(refused.status == 75 && refused.stderr.contains("disk-reserve-mib"), "\(refused.status): \(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: net.home("alpha") + "/outbox").isEmpty, "sealed files were left behind")
        #expect(try #require(DiskReserve.availableBytes(on: volume.path)) > 40 << 20, "the sealed files' space was not given back")
        let outbox = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        #expect(outbox.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(outbox)")
    }

    /// alpha, running, at home on a 64 MiB tmpfs with a 24 MiB reserve; bravo, its partner, not started.
    @Test("an offer never followed by data holds one window of disk, not its size: another peer's package is still taken; a stream that would eat into the reserve is stopped midway, its partial kept",
          .timeLimit(.minutes(3)), .enabled(if: SmallFilesystem.isAvailable, "mounting a small tmpfs needs root"))
    func offersHoldAWindow() throws {
        let volume = try SmallFilesystem(bytes: 128 << 20)
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], homes: ["bravo": volume.path])
        try net.setTunable("bravo", "disk-reserve-mib", "32")
        try net.setTunable("bravo", "idle-timeout-seconds", "300")
        try net.daemon("bravo").start()
        try net.daemon("charlie").start()

        // alpha, by hand: a package of 80 MiB (it fits the volume beside the reserve,
        // alone) offered and accepted, and no byte of it sent yet.
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravo = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let expires = Timestamp.now() + 3_600
        var sealer = try PackageSealer(sender: alpha.identity, recipients: [bravo.encryption], markings: try Markings(tlp: .green),
                                       contentType: "application/octet-stream", created: Timestamp.now(), expires: expires)
        var input = MemorySource(try Sodium.randomBytes(count: 80 << 20))
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        let sealed = output.bytes, id = sealer.packageID
        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: alpha.transport, remote: bravo.transport)
        try client.send(.offer(packageID: id, size: UInt64(sealed.count), expires: expires))
        #expect(try client.receive() == .accept(packageID: id, offset: 0))

        // charlie's 24 MiB package is taken meanwhile: alpha's offer holds one window, not 80 MiB.
        let delivered = try net.send(try Sodium.randomBytes(count: 24 << 20), from: "charlie", to: ["bravo"], tlp: "GREEN")
        #expect(try net.waitDelivered(delivered, from: "charlie", to: ["bravo"]), "\(net.daemon("bravo").log.suffix(1500))")

        // Now alpha streams: the rest no longer fits beside the reserve, and bravo stops it midway.
        var sent = 0
        for start in stride(from: 0, to: sealed.count, by: SessionMessage.maximumDataByteCount) {
            let chunk = Array(sealed[start..<min(start + SessionMessage.maximumDataByteCount, sealed.count)])
            guard (try? client.send(.data(chunk))) != nil else { break }
            sent += chunk.count
        }
        // A loaded machine may let every byte into the socket before bravo stops: then the
        // session's end (a close, or nothing) follows, never a receipt.
        if sent == sealed.count, (try? client.send(.end(packageID: id, size: UInt64(sealed.count)))) != nil {
            let reply = try? client.receive()
            if case .receipt? = reply { Issue.record("bravo answered a package its disk could not hold beside the reserve") }
        }
        #expect(eventually(timeoutSeconds: 10) { net.daemon("bravo").log.contains("stopped receiving package \(id) from alpha") },
                "\(net.daemon("bravo").log.suffix(1500))")
        let free = try #require(DiskReserve.availableBytes(on: volume.path))
        #expect(free >= 32 << 20, "the reserve was taken: \(free) bytes free")
        // What arrived stays for a resume; nothing of alpha's was stored.
        let spool = try FileManager.default.contentsOfDirectory(atPath: net.home("bravo") + "/spool")
        #expect(spool.contains { $0.hasSuffix("\(id).partial") }, "\(spool)")
        #expect(try !net.inbox("bravo").contains(id.description))
        let stopped = try net.auditEvents("bravo").first { $0.kind == .packageRejected && $0.package == id.description }
        #expect(stopped?.reason?.contains("short of disk space") == true, "\(String(describing: stopped))")
    }

    static func smallHome() throws -> (SmallFilesystem, DaemonNetwork) {
        let volume = try SmallFilesystem(bytes: 64 << 20)
        let net = try DaemonNetwork(["alpha", "bravo"], homes: ["alpha": volume.path])
        try net.setTunable("alpha", "disk-reserve-mib", "24")
        try net.daemon("alpha").start()
        return (volume, net)
    }

    /// A push of `text`, sealed now by `sender` for the node with `recipient`'s keys.
    static func push(_ text: String, from sender: NodeSecrets, to recipient: NodePublicKeys) throws -> SessionMessage {
        var sealer = try PackageSealer(sender: sender.identity, recipients: [recipient.encryption], markings: try Markings(tlp: .green),
                                       contentType: "text/plain", created: Timestamp.now(), expires: Timestamp.now() + 3600)
        var input = MemorySource(Array(text.utf8))
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        return .push(packageID: sealer.packageID, expires: Timestamp.now() + 3600, bytes: output.bytes)
    }

    /// A reserve in MiB certainly larger than what the volume holding `path` has free.
    static func moreThanFreeMiB(_ path: String) throws -> UInt64 {
        (try #require(DiskReserve.availableBytes(on: path)) >> 20) + (1 << 20)
    }

    /// The last error `alpha` recorded for delivering `id` to bravo.
    static func lastError(_ id: String, net: DaemonNetwork) throws -> String? {
        let listing = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout
        let items = try JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [[String: Any]] ?? []
        let deliveries = items.first { $0["id"] as? String == id }?["deliveries"] as? [[String: Any]]
        return deliveries?.first { $0["peer"] as? String == "bravo" }?["lastError"] as? String
    }
}
