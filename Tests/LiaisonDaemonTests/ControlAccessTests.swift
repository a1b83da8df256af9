import Foundation
import LiaisonCore
@testable import LiaisonDaemon
import LiaisonTestSupport
import Testing

@Suite("Control-socket roles")
struct ControlRoleTests {
    let access: AccessSettings = {
        var a = AccessSettings()
        a.operatorGroups = ["liaison"]
        a.auditorGroups = ["audit"]
        return a
    }()

    @Test("roles follow the caller's uid and groups", arguments: [
        (UInt32(0), ["wheel"], ControlRole.operator),
        (1000, ["liaison"], .operator),
        (1001, ["users", "audit"], .auditor),
        (1002, ["audit", "liaison"], .operator),
        (1003, ["users"], nil),
        (500, [], .operator),   // the daemon's own user
    ] as [(UInt32, [String], ControlRole?)])
    func roles(uid: UInt32, groups: [String], expected: ControlRole?) {
        #expect(ControlRole.of(uid: uid, gid: 100, daemonUID: 500, access: access, groupsOf: { _, _ in groups }) == expected)
    }

    @Test("the overflow uid has no role; a socket group that is an operator group is refused only while auditors are named")
    func unmappedAndMisconfigured() {
        #expect(ControlRole.of(uid: ControlRole.overflowUID, gid: 100, daemonUID: 500, access: access, groupsOf: { _, _ in ["liaison"] }) == nil)
        #expect(ControlRole.misconfiguration(of: access, socketGroup: "liaison") != nil)
        #expect(ControlRole.misconfiguration(of: access, socketGroup: "liaison-socket") == nil)
        var operatorsOnly = access
        operatorsOnly.auditorGroups = []
        #expect(ControlRole.misconfiguration(of: operatorsOnly, socketGroup: "liaison") == nil)
    }

    @Test("auditors may read status, receipts and the audit log only")
    func auditorCommands() {
        for command in [ControlRequestCommand.status, .receipts, .auditQuery, .auditLeaves, .auditKeys, .auditCheckpoint, .auditProve, .auditWitnessed] {
            #expect(ControlRole.auditor.permits(command))
        }
        for command in [ControlRequestCommand.send, .peersAdd, .peersRemove, .inboxGet, .inboxList, .outboxList, .peersList] {
            #expect(!ControlRole.auditor.permits(command), "an auditor may not \(command.rawValue)")
            #expect(ControlRole.operator.permits(command))
        }
    }
}

@Suite("Control-socket access for other users (real daemon)", .serialized)
struct ControlAccessTests {
    /// Runs the CLI as uid 12345 (no passwd entry) with the primary group nogroup.
    func asStranger(_ args: [String]) throws -> CLIRunner.Result {
        try CLIRunner(wrapper: ["/usr/bin/setpriv", "--reuid=12345", "--regid=65534", "--clear-groups"]).run(args)
    }

    @Test("a user without access cannot reach the socket; an auditor reads but cannot send")
    func otherUsers() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        let config = net.home("alpha") + "/liaison.toml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n[access]\nauditor-groups = [\"nogroup\"]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        try net.daemon("alpha").start()
        let socket = net.home("alpha") + "/liaisond.sock"
        let denied = try asStranger(["status", "--socket", socket])
        #expect(denied.status == 77, "status \(denied.status): \(denied.stderr)")
        // By --home: the error says the home is closed, and how to open it to the group.
        chmod(net.dir.path, 0o711)
        let closedHome = try asStranger(["status", "--home", net.home("alpha")])
        #expect(closedHome.status == 77 && closedHome.stderr.contains("chmod 0750 \(net.home("alpha"))"), "\(closedHome.stderr)")
        // A command that reads the node's files says it cannot, not that no node is there.
        let offline = try asStranger(["peers", "list", "--home", net.home("alpha")])
        #expect(offline.status == 77 && offline.stderr.contains("run them as the node's user") && !offline.stderr.contains("no node at"),
                "\(offline.stderr)")
        // Let the (auditor) user reach the socket: traverse the home, connect to the socket.
        chmod(net.dir.path, 0o711)
        chmod(net.home("alpha"), 0o711)
        chmod(socket, 0o666)
        let status = try asStranger(["status", "--socket", socket, "--json"])
        #expect(status.status == 0, "an auditor could not read status: \(status.stderr)")
        let input = "/tmp/liaison-auditor-\(getpid())"
        _ = FileManager.default.createFile(atPath: input, contents: Data([1, 2, 3]), attributes: [.posixPermissions: 0o644])
        defer { unlink(input) }
        let send = try asStranger(["send", input, "--socket", socket, "--to", "bravo", "--tlp", "green"])
        #expect(send.status == 77 && send.stderr.contains("control.forbidden"), "an auditor could send: \(send.status) \(send.stderr)")
        let peers = try asStranger(["peers", "remove", "bravo", "--socket", socket])
        #expect(peers.status == 77, "an auditor could change peers")
        #expect(net.daemon("alpha").log.contains("refused for uid 12345"))
        // The auditor reads the log, and finds its own refused attempts recorded there.
        let query = try asStranger(["audit", "query", "--socket", socket, "--event", "control.command", "--all", "--json"])
        #expect(query.status == 0, "an auditor could not query the audit log: \(query.stderr)")
        let refusals = query.stdout.split(separator: "\n").filter { $0.contains(#""outcome":"denied""#) && $0.contains("uid:12345:auditor") }
        #expect(refusals.count == 2, "refused commands are not all audited: \(query.stdout)")
        #expect(query.stdout.contains(#""command":"peers.remove""#))
        // The kernel's overflow uid (a daemon in a user namespace that does not map the
        // caller) gets no role, whatever its groups, and is told why.
        let unmapped = try CLIRunner(wrapper: ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"])
            .run(["status", "--socket", socket])
        #expect(unmapped.status == 77 && unmapped.stderr.contains("PrivateUsers="), "\(unmapped.status) \(unmapped.stderr)")
    }

    @Test("an operator by group, who cannot read the node's files, lists the peers through the running daemon")
    func operatorByGroupListsPeers() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        let config = net.home("alpha") + "/liaison.toml"
        try (try String(contentsOfFile: config, encoding: .utf8) + "\n[access]\noperator-groups = [\"nogroup\"]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        try net.daemon("alpha").start()
        chmod(net.dir.path, 0o711)
        chmod(net.home("alpha"), 0o711)
        chmod(net.home("alpha") + "/liaisond.sock", 0o666)
        let listed = try asStranger(["peers", "list", "--home", net.home("alpha"), "--json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(rows.map { $0["name"] as? String } == ["bravo"] && rows.first?["clearance"] as? String == "UNCLASSIFIED", "\(listed.stdout)")
        // The same report as the node's own user reads from the files.
        let own = try net.expect(["peers", "list", "--home", net.home("alpha"), "--json"])
        #expect(listed.stdout == own.stdout)
        let table = try asStranger(["peers", "list", "--home", net.home("alpha")])
        #expect(table.status == 0 && table.stdout.contains("bravo") && table.stdout.contains("UNCLASSIFIED"), "\(table.stdout)\(table.stderr)")
    }

    @Test("a daemon whose socket group is an operator group while auditors are named refuses to serve, saying why")
    func auditorsWouldBeOperators() throws {
        let net = try DaemonNetwork(["alpha"])
        let config = net.home("alpha") + "/liaison.toml"
        let socketGroup = try #require(ControlRole.groupName(getegid()))
        try (try String(contentsOfFile: config, encoding: .utf8)
             + "\n[access]\noperator-groups = [\"\(socketGroup)\"]\nauditor-groups = [\"nogroup\"]\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        // Before anything starts, with the exit status that tells systemd not to restart it.
        let refused = #expect(throws: (any Error).self) { try net.daemon("alpha").start(timeoutSeconds: 10) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("exited with 78"), "\(String(describing: refused))")
        #expect(!net.daemon("alpha").log.contains("starting"), "the daemon started its services first")
        #expect(net.daemon("alpha").log.contains("operator-groups names \"\(socketGroup)\", the control socket's group"), "\(net.daemon("alpha").log.suffix(1500))")
        #expect(!FileManager.default.fileExists(atPath: net.home("alpha") + "/liaisond.sock"))
    }
}

typealias ControlRequestCommand = LiaisonControl.ControlRequest.Command
import LiaisonControl
