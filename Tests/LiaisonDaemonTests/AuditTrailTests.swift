import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

@Suite("Audit trail of real daemons", .serialized)
struct AuditTrailTests {
    @Test("every action leaves its leaf on both sides; proofs, exports and verification work on the live node")
    func trail() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "checkpoint-interval-seconds = 1\n")
        try net.startAll()
        let id = try net.send(Array("indicator: 198.51.100.7".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        #expect(try net.fetch(id, at: "bravo") != nil)

        let alpha = try net.auditEvents("alpha")
        let alphaKinds = Set(alpha.map(\.kind))
        for kind: AuditEventKind in [.nodeCreated, .keyGenerated, .peerAdded, .daemonStarted, .controlCommand, .packageSealed,
                                     .packageOffered, .packageDelivered] {
            #expect(alphaKinds.contains(kind), "alpha's log lacks \(kind.rawValue)")
        }
        let sealed = try #require(alpha.first { $0.kind == .packageSealed })
        #expect(sealed.package == id && sealed.markings?.contains("TLP:AMBER") == true)
        #expect(sealed.details["queued"] == "true" && sealed.details["recipients"] == "bravo", "\(sealed.details)")
        guard case .local(let uid, "operator") = sealed.actor else { Issue.record("sealed by \(sealed.actor)"); return }
        #expect(uid == getuid())
        let bravo = try net.auditEvents("bravo")
        let received = try #require(bravo.first { $0.kind == .packageReceived })
        #expect(received.package == id && received.peerName == "alpha" && received.remote?.hasPrefix("127.0.0.1") == true)
        // One entry on each side closes the delivery, and both name the same receipt.
        let delivered = try #require(alpha.first { $0.kind == .packageDelivered && $0.package == id })
        let signature = try #require(delivered.details["receipt-signature"])
        #expect(Data(base64Encoded: signature)?.count == 64, "\(delivered.details)")
        #expect(received.details["receipt-signature"] == signature, "\(received.details)")
        #expect(received.details["received-at"] != nil && received.details["received-at"] == delivered.details["received-at"])
        #expect(received.details["receipt-signed-by"] != nil && received.details["receipt-signed-by"] == delivered.details["receipt-signed-by"])
        #expect(delivered.details["bytes"] != nil && delivered.peerName == "bravo")
        // Entries that would only repeat these are not written (versions before 2026-11-29 did).
        let repeats: Set<AuditEventKind> = [.packageQueued, .packageSent, .receiptReceived, .receiptIssued]
        #expect(!alpha.contains { repeats.contains($0.kind) } && !bravo.contains { repeats.contains($0.kind) })
        #expect(bravo.contains { $0.kind == .handshakeAccepted && $0.peerName == "alpha" })
        #expect(bravo.contains { $0.kind == .packageOpened && $0.package == id })
        // The auditor's own queries are in the log too.
        #expect(try net.auditEvents("alpha").contains { $0.kind == .auditQuery })

        // Refusals, found by their outcome: a RED package for a partner is denied.
        let red = try net.cli.run(["send", net.dir.write("red", [1]), "--home", net.home("alpha"), "--to", "bravo", "--tlp", "RED"])
        #expect(red.status != 0)
        let refusals = try net.auditEvents("alpha", ["--outcome", "denied", "--outcome", "FAILED"])
        #expect(!refusals.isEmpty && refusals.allSatisfy { $0.outcome != .ok }, "\(refusals)")
        #expect(refusals.contains { $0.kind == .policyDenied && $0.peerName == "bravo" })
        #expect(try net.auditEvents("alpha", ["--outcome", "ok"]).allSatisfy { $0.outcome == .ok })
        // A package id shortened as the table prints it stands for the one package it starts.
        let about = try net.auditEvents("alpha", ["--package", id])
        #expect(!about.isEmpty && about.allSatisfy { $0.package == id })
        #expect(try net.auditEvents("alpha", ["--package", String(id.prefix(12)).uppercased()]) == about)
        let short = try net.cli.run(["audit", "query", "--home", net.home("alpha"), "--package", String(id.prefix(7))])
        #expect(short.status == 64 && short.stderr.contains("first 8 or more"), "\(short.stderr)")
        let other = String(id.prefix(11)) + (id[id.index(id.startIndex, offsetBy: 11)] == "0" ? "1" : "0")
        let unknown = try net.cli.run(["audit", "query", "--home", net.home("alpha"), "--package", other])
        #expect(unknown.status == 66 && unknown.stderr.contains("no package this node sent or received has an id starting with"), "\(unknown.stderr)")
        let provedShort = try net.expect(["audit", "prove", "--home", net.home("alpha"), "--package", String(id.prefix(10)),
                                          "--out", net.dir.file("short.tlog-proof")])
        #expect(provedShort.stdout.contains(id), "\(provedShort.stdout)")
        let typo = try net.cli.run(["audit", "query", "--home", net.home("alpha"), "--outcome", "refused"])
        #expect(typo.status == 64 && typo.stderr.contains("ok, denied, failed"), "\(typo.stderr)")
        // A window back from now: the next page's hint names the time it stood for, so it does not move.
        let recent = try net.expect(["audit", "query", "--home", net.home("alpha"), "--since", "1d", "--limit", "2"])
        let since = try #require(AuditQueryTimeHint.since(in: recent.stderr), "\(recent.stderr)")
        #expect(Timestamp.parse(since).map { abs($0 - (Timestamp.now() - 86_400)) < 120 } == true, "\(recent.stderr)")

        // A proof of the package's newest entry verifies offline against the log key.
        let proofFile = net.dir.file("delivered.tlog-proof")
        let proved = try net.expect(["audit", "prove", "--home", net.home("alpha"), "--package", id, "--out", proofFile])
        let proof = try TLogProof(parsing: Array(try #require(FileManager.default.contents(atPath: proofFile))))
        let configuration = try NodeHome(path: net.home("alpha")).loadConfiguration()
        let logKey = try NodeLogNames.logKey(configuration.publicKeys)
        let leaf = try AuditLog(readingOnly: net.home("alpha") + "/audit.db").leaves(proof.index..<(proof.index + 1))[0]
        _ = try proof.verify(leaf: leaf, logKey: logKey, witnesses: [], requiredWitnesses: 0)
        // A kept proof is never written over.
        let kept = FileManager.default.contents(atPath: proofFile)
        let again = try net.cli.run(["audit", "prove", "--home", net.home("alpha"), "--entry", "0", "--out", proofFile])
        #expect(again.status == 64 && again.stderr.contains("already exists"), "\(again.stderr)")
        #expect(FileManager.default.contents(atPath: proofFile) == kept)
        // The auditor's own check, with the entry as prove printed it.
        let entryFile = net.dir.write("delivered.entry.json", Array(proved.stdout.utf8))
        let checked = try net.expect(["audit", "check-proof", proofFile, "--entry", entryFile, "--log-key", logKey.description])
        #expect(checked.stdout.hasPrefix("VERIFIED: entry \(proof.index) (package.") && checked.stdout.contains("as of its checkpoint of size"),
                "\(checked.stdout)")
        let altered = net.dir.write("altered.entry.json", Array(proved.stdout.replacingOccurrences(of: "\"outcome\":\"ok\"", with: "\"outcome\":\"denied\"").utf8))
        let refused = try net.cli.run(["audit", "check-proof", proofFile, "--entry", altered, "--log-key", logKey.description])
        #expect(refused.status == 65 && refused.stderr.contains("do not rely on it"), "\(refused.stderr)")
        let otherLog = try NodeLogNames.logKey(try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys)
        let wrongKey = try net.cli.run(["audit", "check-proof", proofFile, "--entry", entryFile, "--log-key", otherLog.description])
        #expect(wrongKey.status == 65, "\(wrongKey.stderr)")
        // A line of `audit query --json` serves as the entry too, if it is the proof's entry
        // (the wrong files: AuditCheckProofInputTests).
        let lines = try net.expect(["audit", "query", "--home", net.home("alpha"), "--package", id, "--json"]).stdout.split(separator: "\n")
        let line = try #require(lines.first { $0.hasPrefix("{\"index\":\(proof.index),") })
        let fromQuery = try net.expect(["audit", "check-proof", proofFile, "--entry", net.dir.write("line.json", Array((line + "\n").utf8)),
                                        "--log-key", logKey.description])
        #expect(fromQuery.stdout.hasPrefix("VERIFIED: entry \(proof.index) ("), "\(fromQuery.stdout)")

        // Witnessing: bravo cosigns alpha's checkpoints within a few periods.
        let bravoWitness = try NodeLogNames.witnessKey(try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys)
        #expect(try Self.waitCosigned(net, "alpha", by: bravoWitness.name), "bravo never cosigned alpha's checkpoint")

        // Live verification, then an export verified offline, demanding bravo's cosignature.
        try net.expect(["audit", "verify", "--home", net.home("alpha"), "--log-key", logKey.description])
        let bundle = net.dir.file("alpha-bundle")
        try net.expect(["audit", "export", "--home", net.home("alpha"), "--out", bundle])
        let verified = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description,
                                       "--witness-key", bravoWitness.description, "--witnesses", "1"])
        #expect(verified.stdout.contains("VERIFIED"))
        // The export signed a checkpoint bravo has not cosigned yet: entries past the witnessed
        // one are reported, and fail only when the auditor bounds them.
        let behind = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description,
                                      "--witness-key", bravoWitness.description, "--witnesses", "1", "--max-unwitnessed", "0", "--json"])
        let behindOutput = try JSONSerialization.jsonObject(with: Data(behind.stdout.utf8)) as? [String: Any] ?? [:]
        let behindReport = behindOutput["report"] as? [String: Any] ?? [:]
        if let witnessed = behindReport["witnessedSize"] as? Int, let entries = behindReport["entries"] as? Int, witnessed < entries {
            #expect(behind.status == 65 && behindOutput["valid"] as? Bool == false
                    && (behindOutput["witnessingBehind"] as? [String: Any])?["code"] as? String == "verify.witnessing-behind", "\(behind.stdout)")
            let loose = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description,
                                         "--witness-key", bravoWitness.description, "--witnesses", "1", "--max-unwitnessed", "\(entries - witnessed)"])
            #expect(loose.status == 0, "\(loose.stdout)")
        } else {
            #expect(behind.status == 0, "\(behind.stdout)")
        }
        let unbounded = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description, "--max-unwitnessed", "5"])
        #expect(unbounded.status == 64 && unbounded.stderr.contains("give --witnesses K too"), "\(unbounded.stderr)")
        // Without the trusted key the headline itself says whose key it checked against.
        let selfKeyed = try net.expect(["audit", "verify", "--bundle", bundle]).stdout
        #expect(selfKeyed.hasPrefix("VERIFIED: no problem found, but against the log key read from the bundle itself"), "\(selfKeyed)")
        // A manifest that disagrees with the bundle is pointed out (it is never trusted).
        let manifestPath = bundle + "/manifest.json"
        let manifest = try String(contentsOfFile: manifestPath, encoding: .utf8)
        let edited = manifest.replacing(#/"entries":\d+/#, with: "\"entries\":5")
        try edited.write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let disagreeing = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description])
        #expect(disagreeing.stderr.contains("manifest.json says 5 entries but the bundle holds"), "\(disagreeing.stderr)")
        // So is one that is garbled or gone: every export writes it.
        try "{\"entries\":".write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let garbled = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description])
        #expect(garbled.stdout.hasPrefix("VERIFIED") && garbled.stderr.contains("manifest.json is malformed")
                    && garbled.stderr.contains("the bundle was changed after the export"), "\(garbled.stderr)")
        unlink(manifestPath)
        let gone = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description, "--json"])
        #expect(gone.stderr.contains("the bundle has no manifest.json, which every export writes"), "\(gone.stderr)")
        let goneReport = try JSONSerialization.jsonObject(with: Data(gone.stdout.utf8)) as? [String: Any]
        #expect(goneReport?["valid"] as? Bool == true && (goneReport?["manifestWarning"] as? String)?.contains("no manifest.json") == true)
        // One that cannot be read as a file (here a directory in its place) is said to be so.
        try FileManager.default.createDirectory(atPath: manifestPath, withIntermediateDirectories: false)
        let unreadable = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description])
        #expect(unreadable.stdout.hasPrefix("VERIFIED") && unreadable.stderr.contains("warning: ") && unreadable.stderr.contains("manifest.json"),
                "\(unreadable.stderr)")
        try FileManager.default.removeItem(atPath: manifestPath)
        try manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let restored = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description])
        #expect(!restored.stderr.contains("warning"), "\(restored.stderr)")
        // Demanding two witnesses with only one witness key you trust is a usage error:
        // keys taken from the bundle itself would prove nothing.
        let tooMany = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description,
                                       "--witness-key", bravoWitness.description, "--witnesses", "2"])
        #expect(tooMany.status == 64 && tooMany.stderr.contains("needs at least 2 witness keys"), "\(tooMany.stderr)")
        // alpha's own witness key (the log's public key) never counts as a witness.
        let ownKey = try NodeLogNames.witnessKey(configuration.publicKeys)
        let selfWitnessed = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey.description,
                                             "--witness-key", ownKey.description, "--witnesses", "1"])
        #expect(selfWitnessed.status == 65 && selfWitnessed.stdout.contains("verify.insufficient-witnesses")
                    && selfWitnessed.stdout.contains("the log's own key, also given, never counts"), "\(selfWitnessed.stdout)")
        net.daemon("alpha").stop()
        // After a clean stop the database file itself verifies, storage checks included.
        let fromNode = try net.expect(["audit", "verify", "--database", net.home("alpha") + "/audit.db", "--home", net.home("alpha"), "--json"])
        // The keys came from the node's own files, not from the auditor: the report says so.
        let output = try JSONSerialization.jsonObject(with: Data(fromNode.stdout.utf8)) as? [String: Any]
        let report = output?["report"] as? [String: Any]
        #expect(output?["valid"] as? Bool == true && report?["logKeySource"] as? String == "node", "\(fromNode.stdout)")

        // A write-protected forensic copy, examined by another user: verified, and nothing written beside it.
        let evidence = net.dir.file("evidence")
        try FileManager.default.createDirectory(atPath: evidence, withIntermediateDirectories: false)
        // The file and its write-ahead log, as a forensic copy takes them.
        try FileManager.default.copyItem(atPath: net.home("alpha") + "/audit.db", toPath: evidence + "/audit.db")
        if FileManager.default.fileExists(atPath: net.home("alpha") + "/audit.db-wal") {
            try FileManager.default.copyItem(atPath: net.home("alpha") + "/audit.db-wal", toPath: evidence + "/audit.db-wal")
            chmod(evidence + "/audit.db-wal", 0o444)
        }
        let copied = try FileManager.default.contentsOfDirectory(atPath: evidence).sorted()
        chmod(evidence + "/audit.db", 0o444)
        chmod(evidence, 0o555)
        chmod(net.dir.path, 0o755)
        defer { chmod(evidence, 0o755) }
        let stranger = CLIRunner(wrapper: ["/usr/bin/setpriv", "--reuid=12345", "--regid=65534", "--clear-groups"])
        let examined = try stranger.run(["audit", "verify", "--database", evidence + "/audit.db", "--log-key", logKey.description])
        #expect(examined.status == 0 && examined.stdout.contains("VERIFIED"), "\(examined.stdout)\(examined.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: evidence).sorted() == copied)
    }

    /// Waits (bounded) until some checkpoint of `node`'s log carries `witness`'s cosignature.
    static func waitCosigned(_ net: DaemonNetwork, _ node: String, by witness: String) throws -> Bool {
        for _ in 0..<60 {
            let log = try AuditLog(readingOnly: net.home(node) + "/audit.db")
            if try log.checkpoints().contains(where: { $0.witnesses.contains(witness) }) { return true }
            usleep(250_000)
        }
        return false
    }

    @Test("an offer on a session already open is recorded with the package's queueing; every offer is recorded once, before the package leaves",
          .timeLimit(.minutes(2)))
    func offersRecordedWithQueueing() throws {
        let net = try DaemonNetwork(["alpha", "bravo", "charlie"])
        try net.startAll()
        // The first package opens the session to bravo; the next ones are queued while
        // it lingers (2 s), the last also for charlie, to whom no session is open.
        let first = try net.send(Array("first".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(first, from: "alpha", to: ["bravo"]))
        var later: [String] = []
        for n in 0..<3 { later.append(try net.send(Array("later \(n)".utf8), from: "alpha", to: ["bravo"])) }
        let both = try net.send(Array("both".utf8), from: "alpha", to: ["bravo", "charlie"])
        for id in later { #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"])) }
        #expect(try net.waitDelivered(both, from: "alpha", to: ["bravo", "charlie"]))

        let log = net.daemon("alpha").log
        let recordedAhead = (later + [both]).filter { log.contains("the offer of \($0) to bravo is recorded with its queueing") }
        #expect(!recordedAhead.isEmpty, "no package was queued while the session to bravo was open: \(log.suffix(3000))")
        #expect(!log.contains("the offer of \(first) to"), "no session was open when the first package was queued")
        #expect(!log.contains("to bravo, charlie is recorded") && !log.contains("to charlie is recorded"))

        let events = try net.auditEvents("alpha")
        for id in [first] + later + [both] {
            for peer in id == both ? ["bravo", "charlie"] : ["bravo"] {
                let offers = events.filter { $0.kind == .packageOffered && $0.package == id && $0.peerName == peer }
                #expect(offers.count == 1, "\(id) to \(peer): \(offers.count) offers recorded")
                #expect(offers.first?.details["attempt"] == "1")
            }
        }
        // Recorded ahead: in the queueing's commit, right after its package.sealed.
        for id in recordedAhead {
            let sealed = try #require(events.firstIndex { $0.kind == .packageSealed && $0.package == id })
            let offered = events[sealed + 1]
            #expect(offered.kind == .packageOffered && offered.package == id && offered.peerName == "bravo", "\(offered)")
            #expect(events.firstIndex { $0.kind == .packageDelivered && $0.package == id }.map { $0 > sealed + 1 } == true)
        }
    }

    @Test("packages handed to a waiting sender go out once each; one not handed over is read from the queue")
    func handedOverOnce() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let first = try net.send(Array("first".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(first, from: "alpha", to: ["bravo"]))
        // One at a time while the session lingers: the sender waits for each.
        var small: [String] = []
        for n in 0..<4 {
            let id = try net.send(Array("small \(n)".utf8), from: "alpha", to: ["bravo"])
            #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
            small.append(id)
        }
        // A package too large for the database is a file, never handed over; a small one
        // queued right behind it may be, and both go out.
        let large = try net.send([UInt8](repeating: 0x4C, count: NodeStore.maximumInlineBytes + 1), from: "alpha", to: ["bravo"])
        let behind = try net.send(Array("behind".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(large, from: "alpha", to: ["bravo"]))
        #expect(try net.waitDelivered(behind, from: "alpha", to: ["bravo"]))

        let log = net.daemon("alpha").log
        #expect(small.contains { log.contains("\($0) handed over to the sender to bravo") }, "\(log.suffix(3000))")
        #expect(!log.contains("\(large) handed over"))
        let delivered = try net.auditEvents("alpha").filter { $0.kind == .packageDelivered }
        let received = try net.auditEvents("bravo").filter { $0.kind == .packageReceived }
        for id in [first, large, behind] + small {
            #expect(delivered.filter { $0.package == id }.count == 1, "\(id) was delivered \(delivered.filter { $0.package == id }.count) times")
            #expect(received.filter { $0.package == id }.count == 1)
        }
        #expect(Set(try net.inbox("bravo")).isSuperset(of: [first, large, behind] + small))
    }

    @Test("bursts of sends while the sender lingers: every package goes out once, whether handed over or read", .timeLimit(.minutes(3)))
    func handOverBursts() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        let first = try net.send(Array("first".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(first, from: "alpha", to: ["bravo"]))
        let socket = ControlFraming.socketPath(home: net.home("alpha"))
        let ids = IDList()
        // Rounds of concurrent sends with pauses between them: a round's first packages
        // find the sender waiting (handed over, their offers recorded with their
        // queueing), the rest find it busy (handed over for its next look, or read).
        let rounds = 8, threads = 6, perThread = 4
        for round in 0..<rounds {
            let group = DispatchGroup()
            for worker in 0..<threads {
                DispatchQueue.global().async(group: group) {
                    for n in 0..<perThread {
                        guard let client = try? ControlClient(path: socket, timeoutSeconds: 30) else { return }
                        var request = ControlRequest(.send)
                        request.to = ["bravo"]
                        request.tlp = "GREEN"
                        guard (try? client.send(json: request)) != nil, (try? client.sendPayload(Array("r\(round) w\(worker) n\(n)".utf8))) != nil,
                              let receipt = try? client.receive(SendReceipt.self) else { return }
                        ids.append(receipt.id)
                    }
                }
            }
            group.wait()
            usleep(30_000)
        }
        let sentIDs = ids.all
        #expect(sentIDs.count == rounds * threads * perThread)
        let store = try NodeStore(path: net.home("alpha") + "/" + NodeStore.fileName)
        #expect(try eventually(timeoutSeconds: 60) { try store.counts().delivered == sentIDs.count + 1 })
        let sent = Dictionary(grouping: try net.auditEvents("alpha").filter { $0.kind == .packageDelivered }.compactMap(\.package), by: { $0 })
        let received = Dictionary(grouping: try net.auditEvents("bravo").filter { $0.kind == .packageReceived }.compactMap(\.package), by: { $0 })
        for id in sentIDs {
            #expect(sent[id]?.count == 1, "\(id) was delivered \(sent[id]?.count ?? 0) times")
            #expect(received[id]?.count == 1, "\(id) was received \(received[id]?.count ?? 0) times")
        }
        #expect(net.daemon("alpha").log.contains("handed over to the sender to bravo"), "no package was handed over")
    }

    @Test("a witness refuses a rolled-back log and records why")
    func witnessRefusesRollback() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "checkpoint-interval-seconds = 1\n")
        try net.daemon("bravo").start()
        try net.daemon("alpha").start()
        let bravoWitness = try NodeLogNames.witnessKey(try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys)
        #expect(try Self.waitCosigned(net, "alpha", by: bravoWitness.name))
        net.daemon("alpha").stop()
        // Restore alpha's audit log "from a backup": a fresh, shorter log with the same key.
        for suffix in ["", "-wal", "-shm"] { unlink(net.home("alpha") + "/audit.db" + suffix) }
        try net.daemon("alpha").start()
        var refused = false
        for _ in 0..<40 where !refused {
            refused = try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"]).contains { $0.outcome == .denied }
            if !refused { usleep(250_000) }
        }
        #expect(refused, "bravo cosigned a rolled-back log")
        #expect(net.daemon("bravo").log.contains("rollback"))
        // bravo showed the larger checkpoint alpha's key signed: alpha believes it and stops signing.
        #expect(eventually(timeoutSeconds: 10) { net.daemon("alpha").log.contains("it was rolled back") }, "\(net.daemon("alpha").log.suffix(2000))")
        let stopped = try net.cli.run(["audit", "checkpoint", "--home", net.home("alpha")])
        #expect(stopped.status != 0 && stopped.stderr.contains("refusing to sign"), "\(stopped.stderr)")
        // status says so, to people and to scripts.
        let shown = try net.expect(["status", "--home", net.home("alpha")]).stdout
        #expect(shown.contains("CHECKPOINTS REFUSED") && shown.contains("rolled back"), "\(shown)")
        let json = try net.expect(["status", "--home", net.home("alpha"), "--json"]).stdout
        #expect(json.contains("\"checkpointRefused\""), "\(json)")
    }

    @Test("a witness refuses a rewritten log that grew past what it cosigned, and the node stops signing")
    func witnessRefusesFork() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "checkpoint-interval-seconds = 1\n")
        try net.daemon("bravo").start()
        try net.daemon("alpha").start()
        let bravoWitness = try NodeLogNames.witnessKey(try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys)
        #expect(try Self.waitCosigned(net, "alpha", by: bravoWitness.name))
        net.daemon("alpha").stop()
        let cosignedSize = try #require(try AuditLog(readingOnly: net.home("alpha") + "/audit.db").checkpoints().last?.size)
        // Someone holding alpha's files rebuilds its log with another history, longer
        // than anything bravo cosigned, and lets the daemon sign it.
        for suffix in ["", "-wal", "-shm"] { unlink(net.home("alpha") + "/audit.db" + suffix) }
        let forged = try AuditLog(path: net.home("alpha") + "/audit.db")
        try forged.appendBlocking((0..<(cosignedSize + 50)).map {
            AuditEvent(time: Int64($0), kind: .controlCommand, actor: .daemon, details: ["forged": String($0)])
        })
        try net.daemon("alpha").start()
        #expect(try eventually(timeoutSeconds: 20) {
            try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"]).contains { $0.outcome == .denied && $0.reason?.contains("fork") == true }
        }, "bravo cosigned a forked log")
        #expect(eventually(timeoutSeconds: 10) { net.daemon("alpha").log.contains("refusing to sign a checkpoint") || net.daemon("alpha").log.contains("rolled back or rewritten") })
        let refused = try net.cli.run(["audit", "checkpoint", "--home", net.home("alpha")])
        #expect(refused.status != 0 && refused.stderr.contains("refusing to sign"), "\(refused.stderr)")
    }

    // Async: a guard against a hang, not a speed check (README, "Tests": a suspended async test can wait minutes for a thread).
    @Test("SIGKILL during a stream of audited commands loses no acknowledged event", .timeLimit(.minutes(10)))
    func killDuringAppends() async throws {
        let net = try DaemonNetwork(["alpha"])
        let socket = net.home("alpha") + "/liaisond.sock"
        var acknowledged = 0
        for round in 0..<10 {
            try net.daemon("alpha").start()
            // Acknowledged status calls, each one audited before it was answered, from
            // four threads; the kill lands while they are in flight.
            let counter = Counter()
            let stop = Date().addingTimeInterval(5)
            let group = DispatchGroup()
            for _ in 0..<4 {
                DispatchQueue.global().async(group: group) {
                    while Date() < stop {
                        guard let client = try? ControlClient(path: socket, timeoutSeconds: 2),
                              (try? client.call(ControlRequest(.status), StatusReport.self)) != nil else { return }
                        counter.increment()
                    }
                }
            }
            usleep(UInt32(150_000 + (round % 5) * 80_000))
            net.daemon("alpha").killHard()
            group.wait()
            acknowledged += counter.value
        }
        let log = try AuditLog(readingOnly: net.home("alpha") + "/audit.db")
        var query = AuditQuery()
        query.kinds = [.controlCommand]
        query.limit = 1_000_000
        let recorded = try log.query(query).filter { $0.event.details["command"] == "status" }.count
        #expect(recorded >= acknowledged, "\(acknowledged) acknowledged, \(recorded) recorded")
        #expect(acknowledged > 50, "the stream was too short to mean anything (\(acknowledged))")
        // PRAGMA integrity_check is clean, and the stored tree checks out.
        #expect(try log.verifyStorage(thorough: true).isEmpty)
        // And the daemon starts again on the same log without repair.
        try net.daemon("alpha").start()
        try net.expect(["audit", "verify", "--home", net.home("alpha")])
    }

    @Test("a full audit volume refuses actions once its journal cannot be carried over, loses no record, and recovers without repair",
          .enabled(if: SmallFilesystem.isAvailable, "mounting a small tmpfs needs root"))
    func diskFull() throws {
        let volume = try SmallFilesystem(bytes: 4 << 20)
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "database = \"\(volume.path)/audit.db\"\n")
        try net.daemon("alpha").start()
        let before = try net.auditEvents("alpha").count
        let filler = volume.fill()
        // The send's records are journaled in the store's own commit (the store's
        // volume has room): it is queued, its records wait in the journal.
        let payload = net.dir.write("payload", Array("journaled while the audit log is full".utf8))
        let journaled = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN", "--json"])
        #expect(journaled.status == 0, "\(journaled.status): \(journaled.stderr)")
        let first = try #require(try JSONSerialization.jsonObject(with: Data(journaled.stdout.utf8)) as? [String: Any])["id"] as? String
        // The next action needs the log: refused, and nothing more is queued.
        let refused = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN"])
        #expect(refused.status != 0 && refused.stderr.contains("audit.unavailable"), "\(refused.status): \(refused.stderr)")
        let listing = try net.cli.run(["outbox", "list", "--home", net.home("alpha")])
        #expect(listing.status != 0 && listing.stderr.contains("audit.unavailable"))
        unlink(filler)
        let sent = try net.send(Array("accepted once space is back".utf8), from: "alpha", to: ["bravo"], tlp: "GREEN")
        let outbox = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"])
        let ids = try (JSONSerialization.jsonObject(with: Data(outbox.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(Set(ids) == [first, sent], "only the journaled and the later package are queued")
        // The journaled records arrived first, then the later send's: nothing lost, nothing twice.
        let events = Array(try net.auditEvents("alpha").dropFirst(before))
        #expect(events.filter { $0.kind == .packageSealed }.map(\.package) == [first, sent])
        net.daemon("alpha").stop()
        #expect(try AuditLog(readingOnly: volume.path + "/audit.db").verifyStorage().isEmpty)
    }

    @Test("a daemon killed with records in its journal, restarted while the audit volume is full, refuses to start, keeps the journal and carries it over once there is room",
          .enabled(if: SmallFilesystem.isAvailable, "mounting a small tmpfs needs root"))
    func fullAtStart() throws {
        let volume = try SmallFilesystem(bytes: 4 << 20)
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "database = \"\(volume.path)/audit.db\"\n")
        try net.daemon("alpha").start()
        let filler = volume.fill()
        let payload = net.dir.write("payload", Array("journaled, then the daemon is killed".utf8))
        let journaled = try net.cli.run(["send", payload, "--home", net.home("alpha"), "--to", "bravo", "--tlp", "GREEN", "--json"])
        #expect(journaled.status == 0, "\(journaled.status): \(journaled.stderr)")
        let id = try #require(try JSONSerialization.jsonObject(with: Data(journaled.stdout.utf8)) as? [String: Any])["id"] as? String
        net.daemon("alpha").killHard()

        // The journal cannot be carried over: the start fails, bounded, with a status the
        // unit restarts on (1, not 65: nothing is damaged), saying why.
        #expect(throws: (any Error).self) { try net.daemon("alpha").start(timeoutSeconds: 20) }
        #expect(net.daemon("alpha").stop() == 1)
        let log = net.daemon("alpha").log
        #expect(log.contains("[audit.unavailable]") && log.contains("the disk holding the database is full; free space"), "\(log.suffix(1500))")
        let wal = (try? FileManager.default.attributesOfItem(atPath: net.home("alpha") + "/" + NodeStore.fileName + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "liaison.db-wal holds \(wal) bytes after the failed start")

        // Room again: the next start carries the journal over, and the acknowledged send
        // is queued and recorded exactly once.
        unlink(filler)
        try net.daemon("alpha").start()
        let outbox = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"])
        let ids = try (JSONSerialization.jsonObject(with: Data(outbox.stdout.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
        #expect(ids == [id])
        let events = try net.auditEvents("alpha")
        #expect(events.filter { $0.kind == .packageSealed }.map(\.package) == [id])
        #expect(net.daemon("alpha").stop() == 0)
        #expect(try AuditLog(readingOnly: volume.path + "/audit.db").verifyStorage().isEmpty)
    }
}

/// A thread-safe count.
/// Package ids collected from several threads.
final class IDList: @unchecked Sendable {
    private let lock = NSLock()
    private var ids: [String] = []
    func append(_ id: String) { lock.lock(); ids.append(id); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return ids }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}

/// The `--since` a paging hint names (`more entries: run again with --after N --since T`).
enum AuditQueryTimeHint {
    static func since(in text: String) -> String? {
        guard let range = text.range(of: "--since ") else { return nil }
        return String(text[range.upperBound...].prefix { $0 != " " && $0 != "\n" })
    }
}
