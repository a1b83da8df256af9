import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import LiaisonWire
import Testing
@testable import LiaisonDaemon

/// Pipelined delivery between real daemons: small packages are kept in the
/// database and pushed whole, many in flight per session; large ones still
/// go by offer and stream, as files.
@Suite("Pipelined delivery: pushes, receipts and the audit trail on real daemons", .serialized)
struct PipelinedDeliveryTests {
    /// Package ids by payload number, collected from several threads.
    final class IDList: @unchecked Sendable {
        private let lock = NSLock()
        private var ids: [Int: String] = [:]
        private var errors: [String] = []
        func add(_ i: Int, _ id: String) { lock.lock(); ids[i] = id; lock.unlock() }
        func fail(_ error: String) { lock.lock(); errors.append(error); lock.unlock() }
        var byPayload: [Int: String] { lock.lock(); defer { lock.unlock() }; return ids }
        var failures: [String] { lock.lock(); defer { lock.unlock() }; return errors }
    }

    /// One `send` over the control socket, as the CLI does it; returns the package id.
    static func send(_ payload: [UInt8], socket: String, to peer: String, tlp: String = "GREEN") throws -> String {
        let client = try ControlClient(path: socket, timeoutSeconds: 60)
        var request = ControlRequest(.send)
        request.to = [peer]
        request.tlp = tlp
        try client.send(json: request)
        try client.sendPayload(payload)
        return try client.receive(SendReceipt.self).id
    }

    /// The payload of small package `i`: distinct, a few hundred bytes.
    static func smallPayload(_ i: Int) -> [UInt8] {
        var rng = SeededBytes(seed: UInt64(1000 + i))
        return Array("small package \(i)\n".utf8) + rng.next(200 + (i * 37) % 800)
    }

    /// `liaison <command> --json --limit 1000` at `node`, as a list of objects.
    static func list(_ net: DaemonNetwork, _ command: [String], at node: String) throws -> [[String: Any]] {
        let result = try net.expect(command + ["--home", net.home(node), "--json", "--limit", "1000"])
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
    }

    /// `.lpkg` files in `directory`.
    static func packageFiles(_ directory: String) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".lpkg") })
    }

    @Test("150 small packages sent from four threads and one large one: each delivered once, receipts stored, small ones never touch a file",
          .timeLimit(.minutes(5)))
    func manySmallAndOneLarge() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let socket = ControlFraming.socketPath(home: net.home("alpha"))
        let small = 150, threads = 4
        let sent = IDList()
        let finished = DispatchGroup()
        for worker in 0..<threads {
            finished.enter()
            Thread {
                defer { finished.leave() }
                for i in stride(from: worker, to: small, by: threads) {
                    do { sent.add(i, try Self.send(Self.smallPayload(i), socket: socket, to: "bravo")) } catch { sent.fail("\(i): \(error)") }
                }
            }.start()
        }
        // The large package goes in the same run, while the small ones are being sent.
        let large = try Sodium.randomBytes(count: 3 * SessionMessage.maximumPushByteCount + 12_345)
        let largeID = try net.send(large, from: "alpha", to: ["bravo"], tlp: "GREEN")
        #expect(finished.wait(timeout: .now() + 120) == .success, "the senders did not finish in time")
        #expect(sent.failures.isEmpty, "sends failed: \(sent.failures.prefix(5))")
        let byPayload = sent.byPayload
        let smallIDs = Array(byPayload.values)
        #expect(byPayload.count == small)
        #expect(Set(smallIDs).count == small, "package ids repeat")
        let all = Set(smallIDs + [largeID])

        // Every one delivered (bounded wait), exactly one delivery each.
        let deliveredAll = try eventually(timeoutSeconds: 120) {
            let outbox = try Self.list(net, ["outbox", "list"], at: "alpha")
            return outbox.count == small + 1 && outbox.allSatisfy { item in
                (item["deliveries"] as? [[String: Any]])?.map { $0["state"] as? String } == ["delivered"]
            }
        }
        #expect(deliveredAll, "not all delivered: \(net.daemon("alpha").log.suffix(3000))")
        let outbox = try Self.list(net, ["outbox", "list"], at: "alpha")
        #expect(Set(outbox.compactMap { $0["id"] as? String }) == all)
        #expect(outbox.allSatisfy { ($0["deliveries"] as? [[String: Any]])?.map { $0["peer"] as? String } == ["bravo"] })

        let receipts = try Self.list(net, ["receipts"], at: "alpha")
        #expect(receipts.count == small + 1)
        #expect(Set(receipts.compactMap { $0["id"] as? String }) == all)
        #expect(receipts.allSatisfy { $0["signatureValid"] as? Bool == true && $0["peer"] as? String == "bravo" })

        let inbox = try Self.list(net, ["inbox", "list"], at: "bravo")
        let inboxIDs = inbox.compactMap { $0["id"] as? String }
        #expect(inboxIDs.count == small + 1)
        #expect(Set(inboxIDs) == all)
        let sizes = Dictionary(uniqueKeysWithValues: inbox.compactMap { item in
            (item["id"] as? String).map { ($0, (item["size"] as? NSNumber)?.intValue ?? -1) }
        })
        #expect(smallIDs.allSatisfy { (sizes[$0] ?? .max) <= SessionMessage.maximumPushByteCount })
        #expect((sizes[largeID] ?? 0) > SessionMessage.maximumPushByteCount)

        // Small packages live in the databases on both sides; only the large one has files.
        #expect(Self.packageFiles(net.home("alpha") + "/outbox") == ["\(largeID).lpkg"])
        // Named per sender in the inbox: `<alpha's fingerprint, hex>-<id>.lpkg`.
        let inboxFiles = Self.packageFiles(net.home("bravo") + "/inbox")
        let alphaPrefix = Hex.encode(try ProtocolClient.publicKeys(home: net.home("alpha")).fingerprint.bytes)
        #expect(inboxFiles == ["\(alphaPrefix)-\(largeID).lpkg"])
        let alphaStore = try NodeStore(path: net.home("alpha") + "/" + NodeStore.fileName)
        let bravoStore = try NodeStore(path: net.home("bravo") + "/" + NodeStore.fileName)
        for id in smallIDs.prefix(10) {
            let packageID = try PackageID(parsing: id)
            #expect(try alphaStore.outboxPackage(id: packageID)?.path == nil)
            #expect(try alphaStore.outboxBody(id: packageID)?.count == sizes[id])
            #expect(try bravoStore.inboxEntry(id: packageID)?.path == nil)
            #expect(try bravoStore.inboxEntry(id: packageID).flatMap(bravoStore.inboxBody) == alphaStore.outboxBody(id: packageID))
        }
        let largePackageID = try PackageID(parsing: largeID)
        #expect(try alphaStore.outboxBody(id: largePackageID) == nil)
        #expect(try bravoStore.inboxEntry(id: largePackageID)?.path == net.home("bravo") + "/inbox/" + (inboxFiles.first ?? "?"))
        #expect(try bravoStore.inboxEntry(id: largePackageID).flatMap(bravoStore.inboxBody) == nil)

        // Exactly once on the receiving side's audit trail too.
        let received = try net.auditEvents("bravo").filter { $0.kind == .packageReceived }
        #expect(received.count == small + 1)
        #expect(Set(received.compactMap(\.package)) == all)

        // The exact plaintext comes back for a small and the large package.
        for i in [0, 77, small - 1] {
            let probe = try #require(byPayload[i])
            #expect(try net.fetch(probe, at: "bravo") == Self.smallPayload(i), "package \(i)")
        }
        #expect(try net.fetch(largeID, at: "bravo") == large)
    }

    @Test("a client speaking the protocol: push → receipt; again → the same receipt; altered → refused; back to back → each answered",
          .timeLimit(.minutes(2)))
    func pushProtocol() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()   // alpha's daemon stays down: the test speaks as alpha
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let alphaKeys = try ProtocolClient.publicKeys(home: net.home("alpha"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))

        /// A package sealed by alpha for bravo, now.
        func seal(_ text: String) throws -> (id: PackageID, bytes: [UInt8], headerHash: [UInt8]) {
            var sealer = try PackageSealer(sender: alpha.identity, recipients: [bravoKeys.encryption], markings: try Markings(tlp: .amber),
                                           contentType: "text/plain", created: Timestamp.now(), expires: Timestamp.now() + 3600)
            var input = MemorySource(Array(text.utf8))
            var output = MemorySink()
            try sealer.seal(from: &input, to: &output)
            var header = MemorySource(output.bytes)
            let h = try PackageOpener.readHeader(from: &header)
            #expect(output.bytes.count <= SessionMessage.maximumPushByteCount)
            return (h.packageID, output.bytes, h.hash)
        }
        func push(_ package: (id: PackageID, bytes: [UInt8], headerHash: [UInt8])) -> SessionMessage {
            .push(packageID: package.id, expires: Timestamp.now() + 3600, bytes: package.bytes)
        }
        func verifies(_ receipt: DeliveryReceipt, _ package: (id: PackageID, bytes: [UInt8], headerHash: [UInt8])) -> Bool {
            receipt.packageID == package.id
                && receipt.verify(recipient: bravoKeys.identity, packageID: package.id, headerHash: package.headerHash, sender: alphaKeys.fingerprint)
        }

        var client = try ProtocolClient(port: net.ports["bravo"]!)
        try client.handshake(local: alpha.transport, remote: bravoKeys.transport)

        // A push is answered with a receipt that verifies.
        let first = try seal("first report")
        try client.send(push(first))
        guard case .receipt(let receipt) = try client.receive() else { Issue.record("a push was not answered with a receipt"); return }
        #expect(verifies(receipt, first))
        #expect(try net.inbox("bravo") == [first.id.description])

        // The same package again: the stored receipt, byte for byte, and still one row.
        try client.send(push(first))
        #expect(try client.receive() == .receipt(receipt))
        #expect(try net.inbox("bravo") == [first.id.description])

        // A damaged copy of it: still the stored receipt (what took effect stays), and
        // neither copy records anything: the package was received once.
        var damagedCopy = first
        damagedCopy.bytes[damagedCopy.bytes.count - 20] ^= 0x01
        try client.send(push(damagedCopy))
        #expect(try client.receive() == .receipt(receipt))
        let receivedEntries = try net.auditEvents("bravo").filter { $0.kind == .packageReceived && $0.package == first.id.description }
        #expect(receivedEntries.count == 1, "\(receivedEntries)")
        #expect(try net.inbox("bravo") == [first.id.description])

        // One flipped byte: refused as invalid, nothing stored; the intact package is then taken.
        let second = try seal("second report")
        var altered = second
        altered.bytes[altered.bytes.count - 20] ^= 0x01
        try client.send(push(altered))
        let refusal = try client.receive()
        guard case .reject(let refusedID, .invalid, let detail) = refusal else { Issue.record("an altered push got \(refusal)"); return }
        #expect(refusedID == second.id)
        #expect(detail.contains("chunk-authentication-failed") || detail.contains("signature") || detail.contains("authenticat"), "\(detail)")
        #expect(try net.inbox("bravo") == [first.id.description])
        try client.send(push(second))
        guard case .receipt(let secondReceipt) = try client.receive() else { Issue.record("the intact package was refused"); return }
        #expect(verifies(secondReceipt, second))

        // A push whose id is not its package's: refused, stored under neither id.
        let third = try seal("third report")
        let wrongID = try PackageID.random()
        try client.send(.push(packageID: wrongID, expires: nil, bytes: third.bytes))
        guard case .reject(wrongID, .invalid, _) = try client.receive() else { Issue.record("a push under another id was not refused"); return }

        // Back to back before reading: each answered, naming its own package.
        let fourth = try seal("fourth report"), fifth = try seal("fifth report")
        try client.send(push(fourth))
        try client.send(push(fifth))
        var answers: [PackageID: SessionMessage] = [:]
        for _ in 0..<2 {
            let answer = try client.receive()
            guard case .receipt(let r) = answer else { Issue.record("a pipelined push got \(answer)"); continue }
            answers[r.packageID] = answer
        }
        #expect(Set(answers.keys) == [fourth.id, fifth.id])
        if case .receipt(let r) = answers[fourth.id] { #expect(verifies(r, fourth)) }
        if case .receipt(let r) = answers[fifth.id] { #expect(verifies(r, fifth)) }

        // A mixed volley: new, altered, already received, and the one refused for its id.
        // The middle of a package this small is in its header: a header that does not
        // open here is answered as any package bravo does not take from this sender
        // ("refused", one text for every such cause: the answer must not tell a
        // co-recipient whether bravo was addressed), not "invalid" with the check named.
        let sixth = try seal("sixth report"), seventh = try seal("seventh report")
        var damaged = seventh
        damaged.bytes[damaged.bytes.count / 2] ^= 0x80
        let volley = [push(sixth), push(damaged), push(first), push(third)]
        for message in volley { try client.send(message) }
        var outcomes: [PackageID: String] = [:]
        for _ in volley {
            switch try client.receive() {
            case .receipt(let r): outcomes[r.packageID] = "receipt"
            case .reject(let id, let reason, _): outcomes[id] = "reject \(reason)"
            case let other: Issue.record("unexpected answer \(other)")
            }
        }
        #expect(outcomes == [sixth.id: "receipt", seventh.id: "reject refused", first.id: "receipt", third.id: "receipt"])

        try client.send(.close(reason: .done))
        let stored = Set([first, second, fourth, fifth, sixth, third].map(\.id.description))
        #expect(Set(try net.inbox("bravo")) == stored)
        #expect(try net.inbox("bravo").count == stored.count)
        #expect(!(try net.inbox("bravo")).contains(wrongID.description))
        #expect(Self.packageFiles(net.home("bravo") + "/inbox").isEmpty, "pushed packages are kept in the database")
        #expect(try net.fetch(fifth.id.description, at: "bravo") == Array("fifth report".utf8))
        // Bravo's audit trail: each stored package received once; the refusals recorded.
        let events = try net.auditEvents("bravo")
        let received = events.filter { $0.kind == .packageReceived }.compactMap(\.package)
        #expect(received.sorted() == stored.sorted())
        #expect(events.contains { $0.kind == .packageRejected && $0.package == second.id.description && $0.outcome == .denied })
        #expect(events.contains { $0.kind == .packageRejected && $0.package == seventh.id.description })
    }

    /// A package sealed by `sender` for `recipient`, with its id.
    static func seal(_ payload: [UInt8], by sender: NodeSecrets, for recipient: NodePublicKeys,
                     created: Int64 = Timestamp.now(), expires: Int64? = nil) throws -> (id: PackageID, bytes: [UInt8]) {
        var sealer = try PackageSealer(sender: sender.identity, recipients: [recipient.encryption], markings: try Markings(tlp: .green),
                                       created: created, expires: expires)
        var input = MemorySource(payload)
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        var header = MemorySource(output.bytes)
        return (try PackageOpener.readHeader(from: &header).packageID, output.bytes)
    }

    /// Whether `message` refuses package `id` for `reason`.
    static func isReject(_ message: SessionMessage, _ id: PackageID, _ reason: SessionMessage.RejectReason) -> Bool {
        guard case .reject(let refused, let why, _) = message else { return false }
        return refused == id && why == reason
    }

    @Test("pushes get an offer's admission checks: another sender's id, expiry, size limit, a package sealed by someone else",
          .timeLimit(.minutes(2)))
    func pushAdmission() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"], importOptions: ["bravo>charlie": ["--max-package-bytes", "500"]])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let charlie = try ProtocolClient.secrets(home: net.home("charlie"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let alphaKeys = try ProtocolClient.publicKeys(home: net.home("alpha"))

        var asAlpha = try ProtocolClient(port: net.ports["bravo"]!)
        try asAlpha.handshake(local: alpha.transport, remote: bravoKeys.transport)
        let taken = try Self.seal(Array("alpha's package".utf8), by: alpha, for: bravoKeys)
        try asAlpha.send(.push(packageID: taken.id, expires: nil, bytes: taken.bytes))
        guard case .receipt = try asAlpha.receive() else { Issue.record("alpha's push was not taken"); return }

        // Expired, by the push's own claim and by the sealed header: refused as expired, nothing stored.
        let now = Timestamp.now()
        let fresh = try Self.seal(Array("claimed expired".utf8), by: alpha, for: bravoKeys)
        try asAlpha.send(.push(packageID: fresh.id, expires: now - 5, bytes: fresh.bytes))
        let claimedExpired = try asAlpha.receive()
        #expect(Self.isReject(claimedExpired, fresh.id, .expired), "\(claimedExpired)")
        let stale = try Self.seal(Array("sealed expired".utf8), by: alpha, for: bravoKeys, created: now - 100, expires: now - 10)
        try asAlpha.send(.push(packageID: stale.id, expires: nil, bytes: stale.bytes))
        let sealedExpired = try asAlpha.receive()
        #expect(Self.isReject(sealedExpired, stale.id, .expired), "\(sealedExpired)")

        // A package charlie sealed, delivered by alpha: refused.
        let relayed = try Self.seal(Array("charlie's, relayed".utf8), by: charlie, for: bravoKeys)
        try asAlpha.send(.push(packageID: relayed.id, expires: nil, bytes: relayed.bytes))
        let relayAnswer = try asAlpha.receive()
        #expect(Self.isReject(relayAnswer, relayed.id, .refused), "\(relayAnswer)")
        try asAlpha.send(.close(reason: .done))

        // Charlie pushes under alpha's package id: refused, never alpha's receipt. (A package
        // is its sender's, so the id alone would be charlie's own business; these bytes are
        // over charlie's size limit, and another package than the id they were pushed under.)
        var asCharlie = try ProtocolClient(port: net.ports["bravo"]!)
        try asCharlie.handshake(local: charlie.transport, remote: bravoKeys.transport)
        let own = try Self.seal([UInt8](repeating: 0x63, count: 1000), by: charlie, for: bravoKeys)
        try asCharlie.send(.push(packageID: taken.id, expires: nil, bytes: own.bytes))
        let preempt = try asCharlie.receive()
        guard case .reject(taken.id, _, _) = preempt else { Issue.record("charlie got \(preempt) for alpha's id"); return }
        // Charlie's own package is larger than the 500 bytes bravo takes from it.
        #expect(own.bytes.count > 500)
        try asCharlie.send(.push(packageID: own.id, expires: nil, bytes: own.bytes))
        let oversized = try asCharlie.receive()
        #expect(Self.isReject(oversized, own.id, .tooLarge), "\(oversized)")
        try asCharlie.send(.close(reason: .done))

        #expect(try net.inbox("bravo") == [taken.id.description])
        let stored = try NodeStore(path: net.home("bravo") + "/" + NodeStore.fileName)
        #expect(try stored.inboxEntry(id: taken.id)?.senderFingerprint == alphaKeys.fingerprint)
        #expect(try stored.inboxEntry(id: taken.id).flatMap(stored.inboxBody) == taken.bytes)
        let rejected = try net.auditEvents("bravo").filter { $0.kind == .packageRejected }.compactMap(\.package)
        #expect(Set(rejected) == Set([fresh.id, stale.id, relayed.id, taken.id, own.id].map(\.description)))
    }

    @Test("a connection that drops after its pushes and before any answer: pushed again, each package is taken once, with one receipt",
          .timeLimit(.minutes(2)))
    func droppedBeforeAnswers() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let packages = try (0..<20).map { i in try Self.seal(Array("report \(i)".utf8), by: alpha, for: bravoKeys) }
        do {
            // Every push sent, then the connection is gone before a single answer is read.
            var dropped = try ProtocolClient(port: net.ports["bravo"]!)
            try dropped.handshake(local: alpha.transport, remote: bravoKeys.transport)
            for package in packages { try dropped.send(.push(packageID: package.id, expires: nil, bytes: package.bytes)) }
        }
        /// Pushes `which` on a new connection; returns the receipts by package. A package
        /// the dropped connection is still taking is refused for now (`unavailable`), as a
        /// sender would be told to retry.
        func push(_ which: [(id: PackageID, bytes: [UInt8])]) throws -> [PackageID: DeliveryReceipt] {
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: alpha.transport, remote: bravoKeys.transport)
            for package in which { try client.send(.push(packageID: package.id, expires: nil, bytes: package.bytes)) }
            var receipts: [PackageID: DeliveryReceipt] = [:]
            for _ in which {
                switch try client.receive() {
                case .receipt(let receipt): receipts[receipt.packageID] = receipt
                case .reject(_, .unavailable, _): break
                case let other: Issue.record("neither a receipt nor a refusal for now: \(other)")
                }
            }
            return receipts
        }
        var first: [PackageID: DeliveryReceipt] = [:]
        for _ in 0..<50 where first.count < packages.count {
            first.merge(try push(packages.filter { first[$0.id] == nil }.map { ($0.id, $0.bytes) })) { old, _ in old }
            if first.count < packages.count { usleep(100_000) }
        }
        #expect(Set(first.keys) == Set(packages.map(\.id)))
        // Whatever the dropped connection had stored, every package is in the inbox once,
        // and pushing again gets the very same receipts.
        let again = try push(packages.map { ($0.id, $0.bytes) })
        for package in packages { #expect(again[package.id]?.encoded == first[package.id]?.encoded) }
        let inbox = try net.expect(["inbox", "list", "--home", net.home("bravo"), "--limit", "100", "--json"]).stdout
        let ids = ((try JSONSerialization.jsonObject(with: Data(inbox.utf8)) as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
        #expect(ids.count == packages.count && Set(ids) == Set(packages.map(\.id.description)))
    }

    @Test("the store keeps in a row exactly what one push carries, and refuses a larger body")
    func inlineLimitMatchesPush() async throws {
        #expect(NodeStore.maximumInlineBytes == SessionMessage.maximumPushByteCount)
        #expect(OutboxSink.inlineLimit == SessionMessage.maximumPushByteCount)
        let dir = TemporaryDirectory()
        let store = try NodeStore(path: dir.file("liaison.db"))
        let body = [UInt8](repeating: 7, count: NodeStore.maximumInlineBytes + 1)
        let package = OutboxPackage(id: try PackageID(parsing: String(repeating: "ab", count: 16)), path: nil, size: Int64(body.count),
                                    created: Timestamp.now(), expires: nil, tlp: .green, markings: "TLP:GREEN")
        let error = await #expect(throws: StoreError.self) { try await store.enqueue(package, body: body, recipients: ["bravo"]) }
        #expect(error?.code == .invalidArgument)
        #expect(try store.counts().outboxPackages == 0)
    }

    @Test("a daily byte limit holds for pushes in flight together: the peer gets no more than the limit allows", .timeLimit(.minutes(2)))
    func bytesPerDayPipelined() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], importOptions: ["bravo>alpha": ["--bytes-per-day", "4000"]])
        try net.daemon("bravo").start()
        let alpha = try ProtocolClient.secrets(home: net.home("alpha"))
        let bravoKeys = try ProtocolClient.publicKeys(home: net.home("bravo"))
        let packages = try (0..<10).map { i in try Self.seal([UInt8](repeating: UInt8(i), count: 600), by: alpha, for: bravoKeys) }
        var receipts = 0, refusals = 0
        do {   // the session ends with the block: the restart below need not wait for it
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: alpha.transport, remote: bravoKeys.transport)
            // All ten before reading any answer: they are taken concurrently.
            for package in packages { try client.send(.push(packageID: package.id, expires: nil, bytes: package.bytes)) }
            for _ in packages {
                switch try client.receive() {
                case .receipt: receipts += 1
                case .reject(_, .unavailable, let detail):
                    refusals += 1
                    #expect(detail.contains("bytes for the last 24 hours"), "\(detail)")
                case let other: Issue.record("unexpected answer \(other)")
                }
            }
        }
        let allowed = 4000 / packages[0].bytes.count
        #expect(receipts >= 1 && receipts <= allowed, "\(receipts) taken; the limit allows \(allowed)")
        #expect(receipts + refusals == packages.count)
        let inbox = try net.expect(["inbox", "list", "--home", net.home("bravo"), "--json"]).stdout
        let stored = (try JSONSerialization.jsonObject(with: Data(inbox.utf8)) as? [[String: Any]]) ?? []
        #expect(stored.count == receipts)
        #expect(stored.reduce(0) { $0 + (($1["size"] as? Int) ?? 0) } <= 4000)

        // After a restart the day's volume is read back from the inbox: the packages
        // refused before, offered again one at a time, still do not pass the limit.
        _ = net.daemon("bravo").stop()
        try net.daemon("bravo").start()
        var again = try ProtocolClient(port: net.ports["bravo"]!)
        try again.handshake(local: alpha.transport, remote: bravoKeys.transport)
        var refusedAgain = 0
        for package in packages {
            try again.send(.push(packageID: package.id, expires: nil, bytes: package.bytes))
            if case .reject(_, .unavailable, _) = try again.receive() { refusedAgain += 1 }
        }
        let after = try net.expect(["inbox", "list", "--home", net.home("bravo"), "--json"]).stdout
        let storedAfter = (try JSONSerialization.jsonObject(with: Data(after.utf8)) as? [[String: Any]]) ?? []
        #expect(refusedAgain >= packages.count - allowed, "\(refusedAgain) refused after the restart")
        #expect(storedAfter.reduce(0) { $0 + (($1["size"] as? Int) ?? 0) } <= 4000)
    }

    @Test("send records its control.command in the same commit as package.sealed; a refused send records it as failed",
          .timeLimit(.minutes(2)))
    func commandAudit() throws {
        // alpha takes bravo as a limited peer: GREEN goes, AMBER is refused by policy.
        let net = try DaemonNetwork(["alpha", "bravo"], limited: [("alpha", "bravo")])
        try net.daemon("alpha").start()
        let id = try net.send(Array("green indicator".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")

        let refused = try net.cli.run(["send", net.dir.write("amber", Array("amber indicator".utf8)), "--home", net.home("alpha"),
                                       "--to", "bravo", "--tlp", "AMBER"])
        #expect(refused.status != 0 && refused.stderr.contains("policy.denied"), "\(refused.status): \(refused.stderr)")
        let unknown = try net.cli.run(["send", net.dir.write("nobody", [1]), "--home", net.home("alpha"), "--to", "zulu", "--tlp", "GREEN"])
        #expect(unknown.status != 0)

        let events = try net.auditEvents("alpha")
        // The successful send: command, then sealed naming its recipients, back to back (one commit).
        let sealedAt = try #require(events.firstIndex { $0.kind == .packageSealed && $0.package == id })
        #expect(sealedAt > 0)
        let command = events[sealedAt - 1]
        #expect(command.kind == .controlCommand && command.details["command"] == "send" && command.outcome == .ok, "\(command)")
        #expect(command.details["to"] == "bravo" && command.details["tlp"] == "GREEN")
        #expect(events[sealedAt].details["recipients"] == "bravo")
        // The leaf itself, as `audit query --json` prints it.
        let json = try net.expect(["audit", "query", "--home", net.home("alpha"), "--all", "--limit", "10000", "--json",
                                   "--event", "control.command"]).stdout
        #expect(json.contains(#""command":"send""#))

        // The refused sends: recorded as failed with the reason, and nothing sealed or queued for them.
        let sends = events.filter { $0.kind == .controlCommand && $0.details["command"] == "send" }
        #expect(sends.count == 3)
        let failed = sends.filter { $0.outcome == .failed }
        #expect(failed.count == 2)
        #expect(failed.contains { $0.details["tlp"] == "AMBER" && $0.reason?.hasPrefix("policy.denied") == true }, "\(failed)")
        #expect(failed.contains { $0.details["to"] == "zulu" && $0.reason?.isEmpty == false }, "\(failed)")
        #expect(events.contains { $0.kind == .policyDenied && $0.markings?.contains("AMBER") == true })
        #expect(events.filter { $0.kind == .packageSealed }.count == 1)
        let outbox = try Self.list(net, ["outbox", "list"], at: "alpha")
        #expect(outbox.compactMap { $0["id"] as? String } == [id])
    }
}
