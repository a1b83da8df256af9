import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonTestSupport
import Testing

/// The control socket's bounds (`max-control-connections`, `control-timeout-seconds`)
/// on a real daemon: whoever may open the socket cannot hold the daemon's
/// connections, tasks or files for ever.
@Suite("Control-socket limits (real daemon)", .serialized)
struct ControlLimitsTests {
    @Test("past max-control-connections a connection is told control.busy and closed; status works again once one closes",
          .timeLimit(.minutes(2)))
    func connectionCap() throws {
        let net = try DaemonNetwork(["alpha"], tunables: "max-control-connections = 4\n")
        try net.daemon("alpha").start()
        let socket = ControlFraming.socketPath(home: net.home("alpha"))
        var idle = try (0..<4).map { _ in try ControlClient(path: socket, timeoutSeconds: 10) }

        let fifth = try ControlClient(path: socket, timeoutSeconds: 10)
        let start = Date()
        let refusal = #expect(throws: ControlFailure.self) { _ = try fifth.receive(Empty.self) }
        #expect(refusal?.code == "control.busy", "\(String(describing: refusal))")
        #expect(Date().timeIntervalSince(start) < 5, "the refusal was not prompt")
        #expect(throws: ControlFailure.self, "the refused connection stayed open") { _ = try fifth.receiveFrame() }
        let busy = try net.cli.run(["status", "--home", net.home("alpha"), "--json"])
        #expect(busy.status == 75 && busy.stderr.contains("retry"), "status \(busy.status): \(busy.stderr)")
        #expect(net.daemon("alpha").log.contains("refused: 4 control connections already open (max-control-connections)"))

        idle.removeFirst()
        let served = eventually(timeoutSeconds: 10) { (try? net.cli.run(["status", "--home", net.home("alpha"), "--json"]).status) == 0 }
        #expect(served, "a slot was not given back when its connection closed: \(net.daemon("alpha").log.suffix(1500))")
        // The connections still held were not disturbed.
        #expect(try idle[0].call(ControlRequest(.status), StatusReport.self).node == "alpha")
        // A request that cannot be read is refused and recorded; busy connections are only
        // logged and counted (a normal, retryable condition).
        idle.removeAll()
        do {
            let garbled = try ControlClient(path: socket, timeoutSeconds: 10)
            try garbled.sendPayload(Array("not a request".utf8))
            let unreadable = #expect(throws: ControlFailure.self) { _ = try garbled.receive(Empty.self) }
            #expect(unreadable?.code == "control.bad-request")
        }
        #expect(eventually(timeoutSeconds: 10) { (try? net.cli.run(["status", "--home", net.home("alpha"), "--json"]).status) == 0 })
        let denied = try net.auditEvents("alpha").filter { $0.kind == .controlCommand && $0.outcome == .denied }
        #expect(!denied.contains { $0.reason?.hasPrefix("control.busy") == true }, "\(denied)")
        #expect(denied.contains { $0.reason?.hasPrefix("control.bad-request") == true }, "\(denied)")
    }

    @Test("a send that stalls between frames is cut off after control-timeout-seconds and queues nothing; others are served meanwhile",
          .timeLimit(.minutes(2)))
    func stalledSend() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: "control-timeout-seconds = 2\n")
        try net.daemon("alpha").start()
        let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("alpha")), timeoutSeconds: 30)
        var request = ControlRequest(.send)
        request.to = ["bravo"]
        request.tlp = "GREEN"
        try client.send(json: request)
        try client.sendFrame(Array("the first part of a payload whose end never comes".utf8))
        let start = Date()
        #expect(try net.cli.run(["status", "--home", net.home("alpha"), "--json"]).status == 0, "the daemon stopped answering")

        let lost = #expect(throws: ControlFailure.self) { _ = try client.receive(SendReceipt.self) }
        #expect(lost?.code == "control.connection-lost", "\(String(describing: lost))")
        let waited = Date().timeIntervalSince(start)
        #expect(waited > 1 && waited < 15, "cut off after \(waited) s, not about 2 s")
        #expect(net.daemon("alpha").log.contains("it sent nothing for 2 s (control-timeout-seconds)"))

        // Dropped exactly as a client hanging up mid-payload: recorded as failed, nothing sealed or queued.
        let recorded = try eventually(timeoutSeconds: 10) {
            try net.auditEvents("alpha").contains { $0.kind == .controlCommand && $0.details["command"] == "send" && $0.outcome == .failed }
        }
        #expect(recorded, "the cut-off send was not recorded as failed")
        let events = try net.auditEvents("alpha")
        let failed = try #require(events.first { $0.kind == .controlCommand && $0.details["command"] == "send" })
        #expect(failed.reason?.hasPrefix("control.truncated:") == true, "\(failed.reason ?? "")")
        #expect(!events.contains { $0.kind == .packageSealed })
        #expect(try net.expect(["outbox", "list", "--home", net.home("alpha"), "--json"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
        #expect(try FileManager.default.contentsOfDirectory(atPath: net.home("alpha") + "/outbox").isEmpty)
    }

    @Test("an inbox get whose client never reads is cut off after control-timeout-seconds", .timeLimit(.minutes(2)))
    func unreadInboxGet() throws {
        let net = try DaemonNetwork(["alpha", "bravo"], tunables: """
            retry-initial-seconds = 1
            retry-maximum-seconds = 2
            control-timeout-seconds = 2
            """)
        try net.startAll()
        // Far more than the socket's buffers hold: streaming it waits on the client.
        let payload = [UInt8](repeating: 0x5A, count: 4 << 20)
        let id = try net.send(payload, from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"], timeoutSeconds: 60))

        let client = try ControlClient(path: ControlFraming.socketPath(home: net.home("bravo")), timeoutSeconds: 30)
        var request = ControlRequest(.inboxGet)
        request.id = id
        try client.send(json: request)
        let cutOff = eventually(timeoutSeconds: 15) { net.daemon("bravo").log.contains("it read nothing for 2 s (control-timeout-seconds)") }
        #expect(cutOff, "the daemon kept waiting on a client that reads nothing: \(net.daemon("bravo").log.suffix(1500))")

        // What was already in the socket can still be read, then the stream ends short.
        _ = try client.receive(OpenedItem.self)
        var received = 0
        let ended = #expect(throws: ControlFailure.self) {
            while true {
                let frame = try client.receiveFrame()
                if frame.isEmpty { break }
                received += frame.count
            }
        }
        #expect(ended?.code == "control.connection-lost", "\(String(describing: ended))")
        #expect(received < payload.count)
        #expect(try net.cli.run(["status", "--home", net.home("bravo"), "--json"]).status == 0, "the daemon stopped answering")
    }
}
