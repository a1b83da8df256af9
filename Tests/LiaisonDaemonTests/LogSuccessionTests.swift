import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import LiaisonWire
import Testing

/// A node restored from a backup holds an older copy of its audit log than its
/// witnesses cosigned: they refuse it, with proof, and it stops signing
/// checkpoints. `liaison audit new-log` closes that log and begins another under
/// a new name, which the witnesses cosign again, saying aloud what it follows.
@Suite("A new audit log after a restore")
struct LogSuccessionTests {
    @Test("a restored node begins a new log: its witness cosigns it and records what it follows, and the old log takes no more cosignatures")
    func newLogAfterRestore() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], audit: "checkpoint-interval-seconds = 1\n")
        try net.daemon("bravo").start()
        try net.daemon("alpha").start()
        let home = net.home("alpha")
        let alpha = try NodeHome(path: home).loadConfiguration()
        let family = NodeLogNames.origin(alpha.logFingerprint)
        let bravoWitness = try NodeLogNames.witnessKey(try NodeHome(path: net.home("bravo")).loadConfiguration().publicKeys)
        #expect(try AuditTrailTests.waitCosigned(net, "alpha", by: bravoWitness.name))
        // A package before the backup: its records come through the store's journal.
        let before = try net.send(Array("before the backup".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(before, from: "alpha", to: ["bravo"], timeoutSeconds: 30))
        let backup = net.dir.file("alpha-backup")
        try net.expect(["backup", "--home", home, "--out", backup])
        // After the backup alpha's log grows, and bravo cosigns it past what the backup holds.
        let backedUp = try AuditLog(readingOnly: backup + "/audit.db").size()
        let sent = try net.send(Array("after the backup".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(sent, from: "alpha", to: ["bravo"], timeoutSeconds: 30))
        #expect(try eventually(timeoutSeconds: 20) {
            try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"]).contains { Int($0.details["size"] ?? "") ?? 0 > backedUp }
        })
        net.daemon("alpha").stop()

        // The node is restored from its backup: bravo refuses its log, with proof.
        try FileManager.default.moveItem(atPath: home, toPath: net.dir.file("alpha-lost"))
        try FileManager.default.copyItem(atPath: backup, toPath: home)
        try net.daemon("alpha").start()
        #expect(eventually(timeoutSeconds: 20) { net.daemon("alpha").log.contains("it was rolled back") }, "\(net.daemon("alpha").log.suffix(2000))")
        #expect(net.daemon("alpha").log.contains("audit new-log"))
        let refusedStatus = try net.expect(["status", "--home", home]).stdout
        #expect(refusedStatus.contains("CHECKPOINTS REFUSED"), "\(refusedStatus)")
        // The witness's operator sees it too, under the peer (found in an operator's trial:
        // only a critical log line and an audit entry said so).
        let witnessStatus = try net.expect(["status", "--home", net.home("bravo")]).stdout
        #expect(witnessStatus.contains("CHECKPOINTS REFUSED as its witness: ") && witnessStatus.contains("a rollback"),
                "\(witnessStatus)")
        let witnessJSON = try net.expect(["status", "--home", net.home("bravo"), "--json"]).stdout
        #expect(witnessJSON.contains("\"witnessRefusal\""), "\(witnessJSON)")
        // Not while the daemon runs: it holds the log.
        let running = try net.cli.run(["audit", "new-log", "--home", home, "--reason", "restored"])
        #expect(running.status != 0 && running.stderr.contains("stop it first"), "\(running.status) \(running.stderr)")
        net.daemon("alpha").stop()
        let restoredSize = try AuditLog(readingOnly: home + "/audit.db").size()

        let began = try net.expect(["audit", "new-log", "--home", home, "--reason", "restored from the backup of today", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(began.stdout.utf8)) as? [String: Any])
        let origin = try #require(report["origin"] as? String)
        let label = try #require(NodeLogNames.label(of: origin, family: family) ?? nil, "\(origin)")
        #expect(report["succeeds"] as? String == family && report["previousEntries"] as? Int == restoredSize, "\(began.stdout)")
        let archive = try #require(report["previousFile"] as? String)
        #expect(archive == home + "/audit.before-\(label).db")
        // Kept read-only, and a file on its own (out of WAL mode, nothing beside it).
        let mode = try FileManager.default.attributesOfItem(atPath: archive)[.posixPermissions] as? Int
        #expect(mode == 0o400, "\(String(mode ?? 0, radix: 8))")
        let header = try #require(FileManager.default.contents(atPath: archive))
        #expect(header.count > 19 && header[18] == 1 && header[19] == 1, "the closed log is still in WAL mode")
        #expect(!FileManager.default.fileExists(atPath: archive + "-wal") && !FileManager.default.fileExists(atPath: archive + "-shm"))
        // The new log is named, carries the old one's journal marks, and opens with its record.
        let log = try AuditLog(readingOnly: home + "/audit.db")
        let named = try #require(try log.succession())
        #expect(named.label == label && named.succeeds == family)
        let old = try AuditLog(readingOnly: archive)
        let (newMarks, oldMarks) = (try log.journalMarks(), try old.journalMarks())
        #expect(newMarks == oldMarks && !oldMarks.isEmpty, "\(newMarks) \(oldMarks)")
        let first = try #require(try log.query(AuditQuery()).first { $0.index == 0 }?.event)
        #expect(first.kind == .logStarted && first.details["reason"] == "restored from the backup of today"
                    && first.details["succeeds"] == family && first.details["succeeded-size"] == String(restoredSize), "\(first)")
        try log.close()
        try old.close()

        // Started again, it signs the new log, and bravo cosigns it on trust, saying so.
        try net.daemon("alpha").start()
        #expect(try AuditTrailTests.waitCosigned(net, "alpha", by: bravoWitness.name))
        let succession = try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"]).filter { $0.outcome == .ok && $0.details["origin"] == origin }
        #expect(succession.first?.details["succeeds"] == family && Int(succession.first?.details["succeeded-size"] ?? "") ?? 0 > backedUp, "\(succession)")
        #expect(net.daemon("bravo").log.contains("began a new audit log"))
        let bravoStatus = try net.expect(["status", "--home", net.home("bravo")]).stdout
        #expect(bravoStatus.contains("NEW AUDIT LOG: \(origin), after \(family)"), "\(bravoStatus)")
        let status = try net.expect(["status", "--home", home]).stdout
        #expect(!status.contains("CHECKPOINTS REFUSED") && status.contains("audit log begun:") && status.contains("as \(origin), after \(family)"), "\(status)")
        let statusJSON = try #require(try JSONSerialization.jsonObject(with: Data(try net.expect(["status", "--home", home, "--json"]).stdout.utf8)) as? [String: Any])
        #expect(statusJSON["auditLogOrigin"] as? String == origin && statusJSON["auditLogSucceeds"] as? String == family, "\(statusJSON)")
        // Packages still flow, and both logs verify: the new one live, against the key
        // its operator prints (named after the first log), and the old one as a file.
        let after = try net.send(Array("after the new log".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(after, from: "alpha", to: ["bravo"], timeoutSeconds: 30))
        let shown = try JSONSerialization.jsonObject(with: Data(try net.expect(["keys", "show", "--home", home, "--json"]).stdout.utf8))
        let logKey = try #require((shown as? [String: Any])?["logKey"] as? String)
        let live = try net.cli.run(["audit", "verify", "--home", home, "--log-key", logKey])
        #expect(live.status == 0 && live.stdout.contains("began after: \(family), closed at \(restoredSize) entries"), "\(live.stdout)\(live.stderr)")
        let kept = try net.cli.run(["audit", "verify", "--home", home, "--database", archive])
        #expect(kept.status == 0, "\(kept.stdout)\(kept.stderr)")
        // An export, and a proof of one entry, check offline against that same key.
        let bundle = net.dir.file("alpha-bundle")
        try net.expect(["audit", "export", "--home", home, "--out", bundle])
        let offline = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey])
        #expect(offline.status == 0 && offline.stdout.contains("began after: \(family)"), "\(offline.stdout)\(offline.stderr)")
        let proofFile = net.dir.file("after.tlog-proof")
        let proved = try net.expect(["audit", "prove", "--home", home, "--package", after, "--out", proofFile])
        let entryFile = net.dir.write("after.entry.json", Array(proved.stdout.utf8))
        let checkedProof = try net.cli.run(["audit", "check-proof", proofFile, "--entry", entryFile, "--log-key", logKey])
        #expect(checkedProof.status == 0 && checkedProof.stdout.contains("is in the log \(origin)"), "\(checkedProof.stdout)\(checkedProof.stderr)")
        // A backup now holds the closed log too, and checks it against the same key.
        let second = net.dir.file("alpha-backup-2")
        let taken = try #require(try JSONSerialization.jsonObject(with: Data(try net.expect(["backup", "--home", home, "--out", second, "--json"]).stdout.utf8)) as? [String: Any])
        #expect(taken["closedAuditLogs"] as? [String] == ["audit.before-\(label).db"], "\(taken)")
        for _ in 0..<2 {
            let checked = try net.cli.run(["backup", "check", second, "--log-key", logKey])
            #expect(checked.status == 0 && checked.stdout.hasPrefix("SOUND"), "\(checked.stdout)\(checked.stderr)")
        }
        // A closed log swapped for another of the node's own (the first backup's, shorter),
        // with the manifest rewritten to match: the log begun after it says how large it was.
        let swapped = net.dir.file("alpha-backup-swapped")
        try FileManager.default.copyItem(atPath: second, toPath: swapped)
        let closedName = "audit.before-\(label).db"
        unlink(swapped + "/" + closedName)
        try FileManager.default.copyItem(atPath: backup + "/audit.db", toPath: swapped + "/" + closedName)
        var manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: swapped + "/backup.json"))) as? [String: Any])
        var files = try #require(manifest["files"] as? [String: String])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: swapped + "/" + closedName))
        files[closedName] = SHA256.hash(Array(bytes)).map { String(format: "%02x", $0) }.joined()
        manifest["files"] = files
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: swapped + "/backup.json"))
        let caught = try net.cli.run(["backup", "check", swapped, "--log-key", logKey])
        #expect(caught.status == 65 && caught.stdout.contains("the closed audit log \(closedName) holds \(backedUp) entries, not the \(restoredSize)"),
                "\(caught.stdout)")
        // bravo's kept checkpoint of alpha is the new log's, and it says how far the old one went.
        let witnessedRun = try net.expect(["audit", "witnessed", "alpha", "--home", net.home("bravo"), "--json"])
        let witnessed = try #require(try JSONSerialization.jsonObject(with: Data(witnessedRun.stdout.utf8)) as? [String: Any])
        #expect(witnessed["origin"] as? String == origin, "\(witnessed)")
        let earlier = try #require((witnessed["earlierLogs"] as? [[String: Any]])?.first, "\(witnessed)")
        #expect(earlier["origin"] as? String == family && (earlier["size"] as? Int ?? 0) > backedUp, "\(earlier)")
        let witnessedText = try net.expect(["audit", "witnessed", "alpha", "--home", net.home("bravo")]).stderr
        #expect(witnessedText.contains("alpha BEGAN A NEW LOG after \(family)"), "\(witnessedText)")

        // The closed log, put back, takes no more cosignatures: bravo shows alpha the
        // new log's checkpoint, which alpha's own key signed, and alpha stops signing.
        net.daemon("alpha").stop()
        for suffix in ["", "-wal", "-shm"] { unlink(home + "/audit.db" + suffix) }
        try FileManager.default.copyItem(atPath: archive, toPath: home + "/audit.db")
        chmod(home + "/audit.db", 0o600)
        try net.daemon("alpha").start()
        #expect(try eventually(timeoutSeconds: 20) {
            try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"]).contains { $0.outcome == .denied && $0.reason?.contains("superseded") == true }
        }, "bravo cosigned a log alpha had closed")
        #expect(eventually(timeoutSeconds: 10) { net.daemon("alpha").log.contains("is an older copy") }, "\(net.daemon("alpha").log.suffix(2000))")
        // Begun again from that old copy, the next log follows the log the witness showed
        // it (recorded with the refusal), not the copy's own name; bravo cosigns it.
        net.daemon("alpha").stop()
        usleep(1_100_000)   // labels are whole seconds
        let again = try #require(try JSONSerialization.jsonObject(with: Data(try net.expect(["audit", "new-log", "--home", home, "--reason", "the old copy", "--json"]).stdout.utf8)) as? [String: Any])
        #expect(again["succeeds"] as? String == origin, "\(again)")
        try net.daemon("alpha").start()
        #expect(try AuditTrailTests.waitCosigned(net, "alpha", by: bravoWitness.name))
        let third = try #require(again["origin"] as? String)
        let followed = try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"]).filter { $0.outcome == .ok && $0.details["origin"] == third }
        #expect(followed.first?.details["succeeds"] == origin, "\(followed)")
    }

    @Test("a witness refuses a later log named past its clock or signed by another key, and every log older than the newest it cosigned",
          .timeLimit(.minutes(2)))
    func witnessRules() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("bravo").start()
        let secrets = try ProtocolClient.secrets(home: net.home("alpha"))
        let family = NodeLogNames.origin(try NodeHome(path: net.home("alpha")).loadConfiguration().logFingerprint)
        // alpha's daemon does not run: these requests, made with its keys, are the only ones.
        func ask(_ origin: String, size: Int = 1, key: LogSecretKey? = nil) throws -> SessionMessage {
            let note = try NoteSigner(name: origin, secretKey: key ?? secrets.log)
                .sign(try Checkpoint(origin: origin, size: size, rootHash: [UInt8](repeating: UInt8(size), count: 32)))
            var client = try ProtocolClient(port: net.ports["bravo"]!)
            try client.handshake(local: secrets.transport, remote: try ProtocolClient.publicKeys(home: net.home("bravo")).transport)
            try client.send(.witnessRequest(note: note.bytes, oldSize: 0, proof: []))
            return try client.receive()
        }
        func refusal(_ answer: SessionMessage) -> (reason: String, evidence: String) {
            guard case .witnessRefused(_, let reason, let evidence) = answer else { return ("", "") }
            return (reason, String(decoding: evidence, as: UTF8.self))
        }
        let now = Timestamp.now()
        let ahead = family + "/" + NodeLogNames.successorLabel(at: now + 2 * 86_400)
        #expect(refusal(try ask(ahead)).reason.contains("check your clock"))
        let early = family + "/" + NodeLogNames.successorLabel(at: now - 7200)
        #expect(refusal(try ask(early, key: try LogSecretKey())).reason.contains("does not verify with your log key"))
        // The first log, then a later one, taken on trust and recorded as following it.
        guard case .witnessCosignature = try ask(family) else { Issue.record("the first log was not cosigned"); return }
        let later = family + "/" + NodeLogNames.successorLabel(at: now - 3600)
        guard case .witnessCosignature = try ask(later) else { Issue.record("the later log was not cosigned"); return }
        let recorded = try net.auditEvents("bravo", ["--event", "checkpoint.cosigned"]).filter { $0.details["origin"] == later }
        #expect(recorded.count == 1 && recorded.first?.details["succeeds"] == family && recorded.first?.details["succeeded-size"] == "1", "\(recorded)")
        // Closed: the first log, and one begun between it and the newest, whatever their size;
        // the refusal shows the newest log's checkpoint, which alpha's own key signed.
        for closed in [family, early] {
            let answer = refusal(try ask(closed, size: 5))
            #expect(answer.reason.hasPrefix("refused: superseded") && answer.evidence.hasPrefix(later + "\n"), "\(closed): \(answer)")
        }
        let denied = try net.auditEvents("bravo", ["--event", "checkpoint.cosigned", "--outcome", "denied"])
        #expect(denied.filter { $0.reason?.hasPrefix("witness.superseded") == true }.count == 2, "\(denied)")
        // The newest goes on as any log does.
        guard case .witnessRefused(let known, _, _) = try ask(later, size: 3) else { Issue.record("a jump without a proof was cosigned"); return }
        #expect(known == 1)
    }

    @Test("a log merely named a later one, its beginning not signed by the node's log key, is never signed")
    func unsignedLaterLog() throws {
        let net = try DaemonNetwork(["alpha"])
        let home = net.home("alpha")
        let family = NodeLogNames.origin(try NodeHome(path: home).loadConfiguration().logFingerprint)
        // Someone who may write the node's files, without its passphrase, puts a log of
        // their own in place and names it a later one.
        for suffix in ["", "-wal", "-shm"] { unlink(home + "/audit.db" + suffix) }
        let label = NodeLogNames.successorLabel(at: Timestamp.now() - 60)
        let statement = LogSuccessionStatement(origin: family + "/" + label, succeeds: family, succeededSize: nil, succeededRoot: nil,
                                               begunAt: Timestamp.now() - 60)
        // Its name record signed by another key; then by the node's own (a copy of a genuine
        // one) but its first entry not the one that record goes with.
        let genuine = statement.signature(with: try ProtocolClient.secrets(home: home).log)
        for signature in [statement.signature(with: try LogSecretKey()), genuine] {
            net.daemon("alpha").stop()
            for suffix in ["", "-wal", "-shm"] { unlink(home + "/audit.db" + suffix) }
            let forged = try AuditLog(path: home + "/audit.db")
            try forged.beginAsSuccessor(LogSuccession(statement: statement, signature: signature), after: nil)
            try forged.appendBlocking([AuditEvent(time: 1, kind: .logStarted, actor: .daemon, details: ["succeeds": family])])
            try forged.close()
            try net.daemon("alpha").start()
            let refused = try net.cli.run(["audit", "checkpoint", "--home", home])
            #expect(refused.status != 0 && refused.stderr.contains("not begun by `liaison audit new-log"), "\(refused.stderr)")
            let status = try net.expect(["status", "--home", home]).stdout
            #expect(status.contains("CHECKPOINTS REFUSED"), "\(status)")
        }
        #expect(net.daemon("alpha").log.contains("its beginning is not signed by this node's log key"))
    }

    @Test("a new log needs a reason, and a node whose log is lost begins one that says so")
    func lostLog() throws {
        let net = try DaemonNetwork(["alpha"])
        let home = net.home("alpha")
        let bare = try net.cli.run(["audit", "new-log", "--home", home, "--reason", " "])
        #expect(bare.status == 64, "\(bare.status) \(bare.stderr)")
        try net.daemon("alpha").start()
        net.daemon("alpha").stop()
        // Not while a command working without the daemon has the log open.
        let fileLock = open(home + "/audit.db.lock", O_RDWR | O_CREAT, 0o600)
        #expect(flock(fileLock, LOCK_SH) == 0)
        let busy = try net.cli.run(["audit", "new-log", "--home", home, "--reason", "busy"])
        #expect(busy.status != 0 && busy.stderr.contains("a liaison command is writing the audit log"), "\(busy.stderr)")
        close(fileLock)
        // A run cut short between its link and its rename left the live log a second
        // name: the next run clears it, and keeps the log once, under its own label.
        let leftover = home + "/audit.before-20261129T000000Z.db"
        #expect(link(home + "/audit.db", leftover) == 0)
        let one = try #require(try JSONSerialization.jsonObject(with: Data(try net.expect(["audit", "new-log", "--home", home, "--reason", "one", "--json"]).stdout.utf8)) as? [String: Any])
        let firstLabel = try #require((one["origin"] as? String)?.split(separator: "/").last.map(String.init))
        #expect(!FileManager.default.fileExists(atPath: leftover))
        #expect(try FileManager.default.contentsOfDirectory(atPath: home).filter { $0.hasPrefix("audit.before-") } == ["audit.before-\(firstLabel).db"])
        // Labels are the time in whole seconds: the next log begins in a later one.
        usleep(1_100_000)
        // The audit volume is lost (a WAL left without its database is refused: it would
        // be read into the new log); the new log says the old one was not found, and
        // follows the newest log known to have been live.
        for suffix in ["", "-wal", "-shm"] { unlink(home + "/audit.db" + suffix) }
        try #require(FileManager.default.createFile(atPath: home + "/audit.db-wal", contents: Data(repeating: 7, count: 4096)))
        let stale = try net.cli.run(["audit", "new-log", "--home", home, "--reason", "the audit volume failed"])
        #expect(stale.status != 0 && stale.stderr.contains("without") && stale.stderr.contains("nothing was changed"), "\(stale.stderr)")
        #expect(!FileManager.default.fileExists(atPath: home + "/audit.db"))
        unlink(home + "/audit.db-wal")
        let began = try net.expect(["audit", "new-log", "--home", home, "--reason", "the audit volume failed"])
        #expect(began.stdout.contains("was not found") && began.stdout.contains("after \(one["origin"] as? String ?? "?")"), "\(began.stdout)")
        let log = try AuditLog(readingOnly: home + "/audit.db")
        let first = try #require(try log.query(AuditQuery()).first?.event)
        #expect(first.kind == .logStarted && first.details["previous-file"] == "not found")
        #expect(try log.verifyStorage().isEmpty)
        try log.close()
        try net.daemon("alpha").start()
        let verified = try net.cli.run(["audit", "verify", "--home", home])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }
}
