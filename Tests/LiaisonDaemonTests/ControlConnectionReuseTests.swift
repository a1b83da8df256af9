import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonTestSupport
import LiaisonWire
import Testing

/// One control connection carrying many requests (as an integration feeding the
/// daemon would), on a real daemon: each request is served, checked and recorded
/// as if it had come alone, and the connection ends at the first failure or once
/// idle past `control-timeout-seconds`.
@Suite("Control connection reuse (real daemons)", .serialized)
struct ControlConnectionReuseTests {
    static func sendRequest(to peer: String) -> ControlRequest {
        var request = ControlRequest(.send)
        request.to = [peer]
        request.tlp = "GREEN"
        return request
    }

    @Test("a connection carries request after request, each recorded and delivered; idle past the timeout it is closed",
          .timeLimit(.minutes(2)))
    func manyRequests() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "control-timeout-seconds = 2\n")
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        let statusesBefore = try net.auditEvents("alpha").filter { $0.kind == .controlCommand && $0.details["command"] == "status" }.count
        let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("alpha")), timeoutSeconds: 30)
        var ids: [String] = []
        for n in 0..<3 {
            try client.send(json: Self.sendRequest(to: "bravo"))
            try client.sendPayload(Array("indicator \(n) over one connection".utf8))
            ids.append(try client.receive(SendReceipt.self).id)
            // Another kind of request between the sends, on the same connection.
            #expect(try client.call(ControlRequest(.status), StatusReport.self).node == "alpha")
        }
        #expect(Set(ids).count == 3)
        for id in ids { #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]), "\(id) was not delivered") }

        let events = try net.auditEvents("alpha")
        let sends = events.filter { $0.kind == .controlCommand && $0.details["command"] == "send" }
        #expect(sends.count == 3 && sends.allSatisfy { $0.outcome == .ok }, "\(sends)")
        #expect(events.filter { $0.kind == .controlCommand && $0.details["command"] == "status" }.count == statusesBefore + 3)
        #expect(Set(events.filter { $0.kind == .packageSealed }.compactMap(\.package)) == Set(ids))

        // Idle between requests for longer than control-timeout-seconds: cut off, as a
        // stalled request would be, and its slot given back.
        Thread.sleep(forTimeInterval: 4)
        let lost = #expect(throws: ControlFailure.self) { _ = try client.call(ControlRequest(.status), StatusReport.self) }
        #expect(lost?.code == "control.connection-lost", "\(String(describing: lost))")
        #expect(net.daemon("alpha").log.contains("it sent nothing for 2 s (control-timeout-seconds)"))
        #expect(try net.cli.run(["status", "--home", net.home("alpha"), "--json"]).status == 0)
    }

    @Test("a feed written in Python from the documented protocol sends on one connection; every package is delivered",
          .timeLimit(.minutes(2)))
    func pythonFeed() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        let (status, stdout, stderr) = try PythonTool.run("control_feed.py",
                                                         [ControlFraming.socketPath(home: net.home("alpha")), "bravo", "5", "AMBER"])
        #expect(status == 0, "\(stderr)")
        let lines = stdout.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let ids = lines.compactMap { $0?["id"] as? String }
        #expect(ids.count == 5 && Set(ids).count == 5, "\(stdout)")
        #expect(lines.last??["node"] as? String == "alpha", "\(stdout)")
        for id in ids { #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]), "\(id) was not delivered") }
        let sealed = try net.auditEvents("alpha").filter { $0.kind == .packageSealed }
        #expect(Set(sealed.compactMap(\.package)) == Set(ids))
        #expect(sealed.allSatisfy { $0.markings?.contains("AMBER") == true }, "\(sealed.map(\.markings))")
    }

    @Test("after a refused request the daemon closes the connection: what follows is not read as a request",
          .timeLimit(.minutes(2)))
    func closedAfterFailure() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("alpha")), timeoutSeconds: 30)
        try client.send(json: Self.sendRequest(to: "nobody"))
        try client.sendPayload(Array("for a peer this node does not know".utf8))
        let refused = #expect(throws: ControlFailure.self) { _ = try client.receive(SendReceipt.self) }
        #expect(refused?.code == "peer.unknown", "\(String(describing: refused))")
        let start = Date()

        // The next request on that connection is never served: its outcome is plainly
        // "connection lost", and nothing of it is queued or recorded.
        let lost = #expect(throws: ControlFailure.self) {
            try client.send(json: Self.sendRequest(to: "bravo"))
            try client.sendPayload(Array("after the refusal".utf8))
            _ = try client.receive(SendReceipt.self)
        }
        #expect(lost?.code == "control.connection-lost", "\(String(describing: lost))")
        #expect(Date().timeIntervalSince(start) < 10, "the client waited for an answer that could not come")
        #expect(try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        let sends = try net.auditEvents("alpha").filter { $0.kind == .controlCommand && $0.details["command"] == "send" }
        #expect(sends.count == 1 && sends.first?.outcome == .failed, "\(sends)")
    }

    @Test("an inbox get read in full leaves the connection for the next request; one that fails while streaming ends it, and a request pipelined behind it is not run",
          .timeLimit(.minutes(2)))
    func failedStreamEndsConnection() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        try net.daemon("alpha").start()
        try net.daemon("bravo").start()
        // Large enough to be kept in a file of bravo's inbox, whose last bytes are then damaged.
        let id = try PipelinedDeliveryTests.send(try Sodium.randomBytes(count: 3 * SessionMessage.maximumPushByteCount),
                                                 socket: ControlFraming.socketPath(home: net.home("alpha")), to: "bravo")
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        // Undamaged, the streamed answer is read in full and the connection carries the next request.
        do {
            let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("bravo")), timeoutSeconds: 30)
            var get = ControlRequest(.inboxGet)
            get.id = id
            try client.send(json: get)
            #expect(try client.receive(OpenedItem.self).id == id)
            var plaintext = 0
            while case let frame = try client.receiveFrame(), !frame.isEmpty { plaintext += frame.count }
            #expect(plaintext == 3 * SessionMessage.maximumPushByteCount)
            _ = try client.receive(Empty.self)
            #expect(try client.call(ControlRequest(.status), StatusReport.self).node == "bravo")
        }
        let path = try #require(try NodeStore(path: net.home("bravo") + "/" + NodeStore.fileName).inboxEntry(id: PackageID(parsing: id))?.path)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 20] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let statusesBefore = try net.auditEvents("bravo").filter { $0.details["command"] == "status" }.count

        let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("bravo")), timeoutSeconds: 30)
        var get = ControlRequest(.inboxGet)
        get.id = id
        try client.send(json: get)
        try client.send(json: ControlRequest(.status))   // pipelined: sent before any answer is read
        #expect(try client.receive(OpenedItem.self).id == id)
        while try !client.receiveFrame().isEmpty {}
        let failed = #expect(throws: ControlFailure.self) { _ = try client.receive(Empty.self) }
        #expect(failed?.code.hasPrefix("package.") == true, "\(String(describing: failed))")
        let lost = #expect(throws: ControlFailure.self) { _ = try client.receive(StatusReport.self) }
        #expect(lost?.code == "control.connection-lost", "\(String(describing: lost))")
        #expect(try net.auditEvents("bravo").filter { $0.details["command"] == "status" }.count == statusesBefore,
                "the request behind the failed one was run")
    }

    @Test("SIGTERM closes a kept connection waiting for its next request, and one refused but not hung up; the daemon exits promptly and cleanly",
          .timeLimit(.minutes(2)))
    func shutdownClosesIdleConnection() throws {
        let net = try DaemonNetwork(["alpha"])
        try net.daemon("alpha").start()
        let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("alpha")), timeoutSeconds: 30)
        #expect(try client.call(ControlRequest(.status), StatusReport.self).node == "alpha")
        // And one that was refused but does not hang up: the daemon waits for it to, but not past SIGTERM.
        let lingering = try ControlClient(path: ControlFraming.socketPath(home: net.home("alpha")), timeoutSeconds: 30)
        var unknown = ControlRequest(.peersShow)
        unknown.name = "nobody"
        #expect(throws: ControlFailure.self) { _ = try lingering.call(unknown, PeerDetail.self) }
        let start = Date()
        let status = net.daemon("alpha").stop()
        let took = Date().timeIntervalSince(start)
        #expect(status == 0, "exit status \(String(describing: status)): \(net.daemon("alpha").log.suffix(1500))")
        #expect(took < 10, "the daemon took \(took) s to stop with a kept connection open (control-timeout-seconds is 30)")
        let lost = #expect(throws: ControlFailure.self) { _ = try client.call(ControlRequest(.status), StatusReport.self) }
        #expect(lost?.code == "control.connection-lost", "\(String(describing: lost))")
    }
}
