import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonTestSupport
import NIOConcurrencyHelpers
import Testing

/// `liaison backup` on real daemons: a copy taken while the node receives is
/// whole, and the node restored from it runs with everything it held.
@Suite("Backup and restore (real daemons)", .serialized)
struct BackupTests {
    private static func report(_ stdout: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] ?? [:]
    }

    @Test("a backup taken while packages arrive restores to a node that runs with its inbox, package files, keys and a log that verifies",
          .timeLimit(.minutes(4)))
    func backupWhileRunning() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.startAll()
        // A package kept in a file of its own (past what liaison.db holds inline) and a small one.
        let large = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let big = try net.send(large, from: "alpha", to: ["bravo"])
        let small = try net.send(Array("a small indicator".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(big, from: "alpha", to: ["bravo"], timeoutSeconds: 60))
        #expect(try net.waitDelivered(small, from: "alpha", to: ["bravo"], timeoutSeconds: 60))

        // More packages arrive while the backup is taken (bounded: 40 sends).
        let sending = DispatchGroup()
        let sentMeanwhile = NIOLockedValueBox<[String]>([])
        DispatchQueue.global().async(group: sending) {
            for n in 0..<40 {
                guard let id = try? net.send(Array("during the backup \(n)".utf8), from: "alpha", to: ["bravo"]) else { continue }
                sentMeanwhile.withLockedValue { $0.append(id) }
            }
        }
        // Taken once some of them are on their way, while the rest follow.
        #expect(eventually(timeoutSeconds: 30) { ((try? net.inbox("bravo")) ?? []).count >= 4 })
        let backup = net.dir.file("bravo-backup")
        let taken = try net.expect(["backup", "--home", net.home("bravo"), "--out", backup, "--json"])
        sending.wait()
        let report = try Self.report(taken.stdout)
        #expect(report["node"] as? String == "bravo")
        #expect((report["inboxEntries"] as? Int ?? 0) >= 4, "\(taken.stdout)")
        #expect(report["packageFiles"] as? Int == 1 && report["packageBytes"] as? Int ?? 0 > large.count, "\(taken.stdout)")
        #expect((report["notCopied"] as? [String])?.isEmpty == true, "\(taken.stdout)")
        let manifest = try Self.report(String(contentsOfFile: backup + "/backup.json", encoding: .utf8))
        #expect(manifest["auditRootHash"] as? String == report["auditRootHash"] as? String)
        // Nothing beside the databases (no -wal or -shm), everything the owner's only.
        for file in try FileManager.default.subpathsOfDirectory(atPath: backup) {
            #expect(!file.hasSuffix("-wal") && !file.hasSuffix("-shm"), "\(file)")
            let mode = try FileManager.default.attributesOfItem(atPath: backup + "/" + file)[.posixPermissions] as? Int ?? 0
            #expect(mode & 0o077 == 0, "\(file) is mode \(String(mode, radix: 8))")
        }
        #expect(try net.auditEvents("bravo").contains { $0.kind == .nodeBackedUp && $0.details["directory"]?.hasSuffix("/bravo-backup") == true })
        // Checked later as written; a copy with one byte of a package file changed is not.
        let logKey = { (node: String) throws -> String in
            let shown = try JSONSerialization.jsonObject(with: Data(try net.expect(["keys", "show", "--home", net.home(node), "--json"]).stdout.utf8))
            return (shown as? [String: Any])?["logKey"] as? String ?? ""
        }
        let check = try net.cli.run(["backup", "check", backup, "--log-key", try logKey("bravo")])
        #expect(check.status == 0 && check.stdout.hasPrefix("SOUND"), "\(check.status) \(check.stdout)\(check.stderr)")
        // Held to another node's log key (a backup passed off as this node's), it is not.
        let other = try net.cli.run(["backup", "check", backup, "--log-key", try logKey("alpha")])
        // Said as such, not as damage (found in an operator's trial): the key given is not the backup's node's.
        #expect(other.status == 65 && other.stdout.contains("is not the one this backup's liaison.toml names")
                    && !other.stdout.contains("not as it was written"), "\(other.status) \(other.stdout)")
        let damaged = net.dir.file("damaged-backup")
        try FileManager.default.copyItem(atPath: backup, toPath: damaged)
        let packageFile = try #require(try FileManager.default.contentsOfDirectory(atPath: damaged + "/inbox").first)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: damaged + "/inbox/" + packageFile))
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: Data([0xFF]))
        try handle.close()
        let rotten = try net.cli.run(["backup", "check", damaged, "--json"])
        let found = try Self.report(rotten.stdout)
        #expect(rotten.status == 65 && found["sound"] as? Bool == false, "\(rotten.status) \(rotten.stdout)")
        #expect((found["problems"] as? [String])?.contains { $0.contains("inbox/" + packageFile) && $0.contains("changed") } == true, "\(rotten.stdout)")

        // The node is lost; its backup is put in its place. alpha stops first, so that
        // nothing more arrives: the restored inbox is then exactly the snapshot's.
        _ = net.daemon("alpha").stop()
        _ = net.daemon("bravo").stop()
        let home = net.home("bravo")
        try FileManager.default.moveItem(atPath: home, toPath: net.dir.file("bravo-lost"))
        try FileManager.default.copyItem(atPath: backup, toPath: home)
        try net.daemon("bravo").start()
        let inbox = try net.inbox("bravo")
        #expect(inbox.contains(big) && inbox.contains(small), "\(inbox)")
        #expect(try net.fetch(big, at: "bravo") == large)
        let verified = try net.cli.run(["audit", "verify", "--home", home])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        // The backup's own log holds its record (taken before anything was copied), and
        // exactly one `package.received` for each package in the restored inbox.
        let restoredLog = try net.auditEvents("bravo")
        #expect(restoredLog.contains { $0.kind == .nodeBackedUp && $0.details["directory"]?.hasSuffix("/bravo-backup") == true })
        for id in inbox {
            #expect(restoredLog.filter { $0.kind == .packageReceived && $0.package == id }.count == 1, "\(id)")
        }
        // Still the same node to its partner: a package sent now is received and receipted.
        try net.daemon("alpha").start()
        let after = try net.send(Array("after the restore".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(after, from: "alpha", to: ["bravo"], timeoutSeconds: 60))
        #expect(try net.fetch(after, at: "bravo") == Array("after the restore".utf8))
        // The restored inbox is the snapshot's (the backup's report counted it), each entry whole.
        #expect(inbox.count == report["inboxEntries"] as? Int, "\(inbox.count) against \(taken.stdout)")
        #expect(!sentMeanwhile.withLockedValue { $0 }.isEmpty)
        for id in sentMeanwhile.withLockedValue { $0 } where inbox.contains(id) {
            #expect(try net.fetch(id, at: "bravo") != nil, "\(id) is listed but does not open")
        }
    }

    @Test("an audit log kept elsewhere in the home keeps its place in the backup; a manifest that hides it is caught; a check changes nothing",
          .timeLimit(.minutes(2)))
    func auditLogElsewhereInTheHome() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        // bravo's log moves into logs/ (its history with it), and its configuration says so.
        let home = net.home("bravo")
        try FileManager.default.createDirectory(atPath: home + "/logs", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: home + "/audit.db", toPath: home + "/logs/trail.db")
        try (try String(contentsOfFile: home + "/liaison.toml", encoding: .utf8) + "\n[audit]\ndatabase = \"logs/trail.db\"\n")
            .write(toFile: home + "/liaison.toml", atomically: true, encoding: .utf8)
        try net.startAll()
        let id = try net.send(Array("kept in a log of its own".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"], timeoutSeconds: 60))
        let backup = net.dir.file("trail-backup")
        let report = try Self.report(try net.expect(["backup", "--home", net.home("bravo"), "--out", backup, "--json"]).stdout)
        #expect(report["auditFile"] as? String == "logs/trail.db" && report["auditDatabaseElsewhere"] == nil, "\(report)")
        #expect(FileManager.default.fileExists(atPath: backup + "/logs/trail.db") && !FileManager.default.fileExists(atPath: backup + "/audit.db"))
        // Checked twice: the first check leaves the backup as it was.
        for _ in 0..<2 {
            let check = try net.cli.run(["backup", "check", backup])
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        }
        // A manifest rewritten to point the log check away is caught, not skipped.
        let manifestPath = backup + "/backup.json"
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath))) as? [String: Any] ?? [:]
        manifest["auditFile"] = "/elsewhere.db"
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
        let hidden = try net.cli.run(["backup", "check", backup])
        #expect(hidden.status == 65 && hidden.stdout.contains("names the audit log as /elsewhere.db"), "\(hidden.status) \(hidden.stdout)")
    }

    @Test("backup check opens the key file with the passphrase given: the right one passes; a wrong one, or a key file damaged, is named")
    func keyFileOpens() throws {
        let net = try DaemonNetwork(["alpha"])
        let pass = net.dir.write("delta.pass", Array("the passphrase kept apart\n".utf8))
        let wrong = net.dir.write("wrong.pass", Array("another passphrase\n".utf8))
        let home = net.dir.file("delta")
        try net.expect(["init", "--home", home, "--name", "delta", "--passphrase-file", pass])
        let backup = net.dir.file("delta-backup")
        try net.expect(["backup", "--home", home, "--out", backup])
        let sealed = try net.expect(["backup", "check", backup]).stdout
        #expect(sealed.hasPrefix("SOUND") && !sealed.contains("key file opens"), "\(sealed)")
        let opened = try net.expect(["backup", "check", backup, "--passphrase-file", pass]).stdout
        #expect(opened.contains("the key file opens with the passphrase given"), "\(opened)")
        let refused = try net.cli.run(["backup", "check", backup, "--passphrase-file", wrong, "--json"])
        let report = try Self.report(refused.stdout)
        #expect(refused.status == 65 && report["keysOpened"] as? Bool == false, "\(refused.stdout)")
        #expect((report["problems"] as? [String])?.contains { $0.contains("does not open with the passphrase given") } == true, "\(refused.stdout)")
    }

    @Test("a backup is refused into a directory that holds anything, or inside the home; with no daemon it is taken all the same; a lost file is said and fails it",
          .timeLimit(.minutes(2)))
    func refusals() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        let occupied = net.dir.file("occupied")
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: true)
        _ = net.dir.write("occupied/something", [1])
        let refused = try net.cli.run(["backup", "--home", net.home("alpha"), "--out", occupied])
        #expect(refused.status == 64 && refused.stderr.contains("is not an empty directory"), "\(refused.status) \(refused.stderr)")
        let inside = try net.cli.run(["backup", "--home", net.home("alpha"), "--out", net.home("alpha") + "/backup"])
        #expect(inside.status == 64 && inside.stderr.contains("inside the node's home"), "\(inside.status) \(inside.stderr)")
        let roundabout = try net.cli.run(["backup", "--home", net.home("alpha"), "--out", net.home("alpha") + "/../alpha/keys/../backup"])
        #expect(roundabout.status == 64 && roundabout.stderr.contains("inside the node's home"), "\(roundabout.status) \(roundabout.stderr)")
        // Nothing was recorded for either: neither began.
        #expect(try !net.auditEvents("alpha").contains { $0.kind == .nodeBackedUp })

        // bravo's daemon never ran: no liaison.db and no checkpoint yet. Said so, the rest copied.
        let offline = net.dir.file("offline-backup")
        let taken = try net.expect(["backup", "--home", net.home("bravo"), "--out", offline])
        #expect(taken.stdout.contains("none yet (the daemon never ran)"), "\(taken.stdout)")
        #expect(taken.stdout.contains("no checkpoint yet"), "\(taken.stdout)")
        for file in ["keys/node.secrets", "audit.db", "liaison.toml", "keyring.toml", "backup.json"] {
            #expect(FileManager.default.fileExists(atPath: offline + "/" + file), "\(file)")
        }

        // A package file the node has lost: the backup is written without it, says so,
        // and exits non-zero so that a scheduled backup does not pass for whole.
        try net.daemon("bravo").start()
        let id = try net.send([UInt8](repeating: 0x42, count: 200_000), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"], timeoutSeconds: 60))
        let kept = try FileManager.default.contentsOfDirectory(atPath: net.home("bravo") + "/inbox").filter { $0.hasSuffix(".lpkg") }
        #expect(kept.count == 1)
        for name in kept { try FileManager.default.removeItem(atPath: net.home("bravo") + "/inbox/" + name) }
        let partial = net.dir.file("partial-backup")
        let lacking = try net.cli.run(["backup", "--home", net.home("bravo"), "--out", partial, "--json"])
        #expect(lacking.status == 1 && lacking.stderr.contains("lacks 1 file"), "\(lacking.status) \(lacking.stderr)")
        let listed = (try Self.report(lacking.stdout))["notCopied"] as? [String] ?? []
        #expect(listed.count == 1 && listed[0].contains("the node has lost it"), "\(listed)")
        #expect(FileManager.default.fileExists(atPath: partial + "/backup.json"))
        // Checked later, it says again what it lacked; a directory with no manifest is no backup.
        let recheck = try net.cli.run(["backup", "check", partial])
        #expect(recheck.status == 65 && recheck.stdout.contains("when it was written, this was not copied"), "\(recheck.status) \(recheck.stdout)")
        let none = try net.cli.run(["backup", "check", occupied])
        #expect(none.status == 66 && none.stderr.contains("not a finished backup"), "\(none.status) \(none.stderr)")
    }
}
