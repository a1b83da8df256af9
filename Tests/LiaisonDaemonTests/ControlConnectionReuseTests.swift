import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonTestSupport
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
        #expect(Set(events.filter { $0.kind == .packageQueued }.compactMap(\.package)) == Set(ids))

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
        let queued = try net.auditEvents("alpha").filter { $0.kind == .packageQueued }
        #expect(Set(queued.compactMap(\.package)) == Set(ids))
        #expect(queued.allSatisfy { $0.markings?.contains("AMBER") == true }, "\(queued.map(\.markings))")
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
}
