import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing

/// A log and an outbox too large for one control frame of a request's size: every
/// listing, the export and live verification page through them (found in review:
/// a 10,000-entry page of about 9,000 entries exceeded the client's 1 MiB frame
/// limit, and `audit.keys` carried every checkpoint ever signed in one answer).
@Suite("Large logs and listings over the control socket", .serialized)
struct AuditPagingTests {
    @Test("with 6,100 queued packages and an audit entry for each: export, live verify, query --all and outbox list all work",
          .timeLimit(.minutes(6)))
    func largeLog() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()   // bravo stays down: everything stays queued
        let socket = ControlFraming.socketPath(home: net.home("alpha"))
        for _ in 0..<24 {
            let client = try ControlClient(path: socket, timeoutSeconds: 60)
            var request = ControlRequest(.sendFiles)
            request.to = ["bravo"]
            request.tlp = "GREEN"
            request.files = 256
            try client.send(json: request)
            for n in 0..<256 { try client.sendPayload(Array("indicator \(n)".utf8)) }
            #expect(try client.receive([SendReceipt].self).count == 256)
        }
        let outbox = try net.expect(["outbox", "list", "--home", net.home("alpha"), "--limit", "10000", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(outbox.stdout.utf8)) as? [Any])?.count == 24 * 256)
        #expect(outbox.stdout.utf8.count > ControlFraming.maximumFrameLength, "the listing was meant to exceed a request frame")

        let entries = try net.auditEvents("alpha")
        #expect(entries.filter { $0.kind == .packageSealed && $0.details["queued"] == "true" }.count == 24 * 256,
                "every queued package has its package.sealed entry")
        let configuration = try NodeHome(path: net.home("alpha")).loadConfiguration()
        let logKey = try NodeLogNames.logKey(configuration.publicKeys).description
        try net.expect(["audit", "verify", "--home", net.home("alpha"), "--log-key", logKey])
        let bundle = net.dir.file("bundle")
        try net.expect(["audit", "export", "--home", net.home("alpha"), "--out", bundle])
        let verified = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey])
        #expect(verified.stdout.contains("VERIFIED"), "\(verified.stdout)")
        let exported = try String(contentsOfFile: bundle + "/leaves.jsonl", encoding: .utf8).split(separator: "\n").count
        #expect(exported >= entries.count, "the export holds \(exported) of at least \(entries.count) entries")
        let exportedBytes = (try FileManager.default.attributesOfItem(atPath: bundle + "/leaves.jsonl")[.size] as? Int) ?? 0
        #expect(exportedBytes > ControlFraming.maximumFrameLength, "the log was meant to exceed a request frame")

        // An entry appended after the export's last checkpoint is signed by nobody: it fails
        // unless the auditor says the bundle may end unsigned.
        let leaves = bundle + "/leaves.jsonl"
        let last = try #require(try String(contentsOfFile: leaves, encoding: .utf8).split(separator: "\n").last)
        let handle = try #require(FileHandle(forWritingAtPath: leaves))
        handle.seekToEndOfFile()
        handle.write(Data((last + "\n").utf8))
        try handle.close()
        let appended = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey])
        #expect(appended.status == 65 && appended.stdout.contains("[verify.unsigned-entries]"), "\(appended.status): \(appended.stdout)")
        let allowed = try net.cli.run(["audit", "verify", "--bundle", bundle, "--log-key", logKey, "--allow-unsigned"])
        #expect(allowed.status == 0 && allowed.stdout.contains("not yet covered by a checkpoint: 1"), "\(allowed.status): \(allowed.stdout)")
        #expect(try net.cli.run(["audit", "verify", "--home", net.home("alpha"), "--allow-unsigned"]).status == 64)
    }

    @Test("more checkpoints than one audit.keys answer carries: the export holds every one, and it verifies",
          .timeLimit(.minutes(4)))
    func manyCheckpoints() throws {
        let net = try DaemonNetwork(["alpha"])
        try net.daemon("alpha").start()
        let socket = ControlFraming.socketPath(home: net.home("alpha"))
        // Each request is itself an audited entry, so each one signs a new checkpoint.
        for _ in 0..<520 {
            _ = try ControlClient(path: socket, timeoutSeconds: 30).call(ControlRequest(.auditCheckpoint), AuditCheckpointItem.self)
        }
        let first = try ControlClient(path: socket, timeoutSeconds: 30).call(ControlRequest(.auditKeys), AuditKeysItem.self)
        #expect(first.moreCheckpoints == true && first.checkpoints.count == 500, "\(first.checkpoints.count) checkpoints in one answer")
        let stored = try AuditLog(readingOnly: net.home("alpha") + "/audit.db").checkpoints()
        let bundle = net.dir.file("bundle")
        try net.expect(["audit", "export", "--home", net.home("alpha"), "--out", bundle])
        let written = try FileManager.default.contentsOfDirectory(atPath: bundle + "/checkpoints").count
        #expect(written >= 520 && written <= stored.count + 1, "\(written) checkpoint files for \(stored.count) stored")
        let logKey = try NodeLogNames.logKey(try NodeHome(path: net.home("alpha")).loadConfiguration().publicKeys).description
        let verified = try net.expect(["audit", "verify", "--bundle", bundle, "--log-key", logKey])
        #expect(verified.stdout.contains("VERIFIED"), "\(verified.stdout)")
    }
}
