import Foundation
import LiaisonControl
import LiaisonCore
@testable import LiaisonDaemon
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
        let net = try DaemonNetwork(["alpha"], tunables: "max-control-connections = 4\nmax-control-connections-per-user = 4\n")
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

    @Test("one user holds at most max-control-connections-per-user; another user is still served, and the first once it lets one go",
          .timeLimit(.minutes(2)))
    func perUserCap() throws {
        // Three quarters of 4: this user (root) may hold 3.
        let net = try DaemonNetwork(["alpha"], tunables: "max-control-connections = 4\ncontrol-timeout-seconds = 300\n")
        let config = net.home("alpha") + "/liaison.toml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n[access]\nauditor-groups = [\"nogroup\"]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        try net.daemon("alpha").start()
        let socket = ControlFraming.socketPath(home: net.home("alpha"))
        chmod(net.dir.path, 0o711)
        chmod(net.home("alpha"), 0o711)
        chmod(socket, 0o666)
        var held = try (0..<3).map { _ in try ControlClient(path: socket, timeoutSeconds: 10) }
        // Each is served, so each holds its slot.
        for client in held { #expect(try client.call(ControlRequest(.status), StatusReport.self).node == "alpha") }

        let fourth = try ControlClient(path: socket, timeoutSeconds: 10)
        let refusal = #expect(throws: ControlFailure.self) { _ = try fourth.receive(Empty.self) }
        #expect(refusal?.code == "control.busy" && refusal?.message.contains("max-control-connections-per-user") == true,
                "\(String(describing: refusal))")
        #expect(net.daemon("alpha").log.contains("refused: its user already holds 3 control connections (max-control-connections-per-user)"))
        let mine = try net.cli.run(["status", "--home", net.home("alpha"), "--json"])
        #expect(mine.status == 75 && mine.stderr.contains("close one"), "status \(mine.status): \(mine.stderr)")

        // Another user (an auditor) takes the slot this one may not.
        let stranger = CLIRunner(wrapper: ["/usr/bin/setpriv", "--reuid=12345", "--regid=65534", "--clear-groups"])
        let theirs = try stranger.run(["status", "--socket", socket, "--json"])
        #expect(theirs.status == 0, "another user was shut out: \(theirs.status) \(theirs.stderr)")

        held.removeFirst()
        let served = eventually(timeoutSeconds: 10) { (try? net.cli.run(["status", "--home", net.home("alpha"), "--json"]).status) == 0 }
        #expect(served, "a user's slot was not given back when its connection closed")
        #expect(try held[0].call(ControlRequest(.status), StatusReport.self).node == "alpha")
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

@Suite("Control connection slots")
struct ControlConnectionSlotsTests {
    @Test("a user past its share is refused while slots are left; anyone is refused once all are taken; releases give both back")
    func shares() {
        let slots = ControlConnectionSlots(capacity: 4, perUser: 3)
        #expect((0..<3).allSatisfy { _ in slots.claim(uid: 1000) == nil })
        #expect(slots.claim(uid: 1000) == .userFull)
        #expect(slots.claim(uid: 1001) == nil)
        #expect(slots.claim(uid: 1002) == .full)
        #expect(slots.claim(uid: nil) == .full)
        slots.release(uid: 1000)
        #expect(slots.claim(uid: 1002) == nil)
        slots.release(uid: 1001)
        // Callers whose credentials could not be read share one share.
        #expect(slots.claim(uid: nil) == nil)
        #expect(slots.claim(uid: nil) == .full)
    }

    @Test("a share larger than the capacity is the capacity")
    func clamped() {
        let slots = ControlConnectionSlots(capacity: 2, perUser: 10)
        #expect(slots.perUser == 2)
        #expect(slots.claim(uid: 0) == nil && slots.claim(uid: 0) == nil && slots.claim(uid: 0) == .full)
    }
}
