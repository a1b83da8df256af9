import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonTestSupport
import Testing

/// Real nodes with real daemons on loopback: made with the `liaison` binary,
/// cards exchanged (every node knows every other), daemons started on demand.
final class DaemonNetwork: @unchecked Sendable {
    let dir = TemporaryDirectory(prefix: "liaison-net")
    let cli = CLIRunner()
    let names: [String]
    private(set) var ports: [String: Int] = [:]
    private(set) var daemons: [String: DaemonProcess] = [:]
    /// Nodes whose home is elsewhere than in `dir` (on a small volume, say).
    private let homes: [String: String]

    /// `limited` lists (node, peer) pairs where `node` imports `peer` as a limited peer;
    /// every other pair is a partner.
    init(_ names: [String], tunables: String = "retry-initial-seconds = 1\nretry-maximum-seconds = 2\n",
         limited: [(node: String, peer: String)] = [], importOptions: [String: [String]] = [:], audit: String = "",
         homes: [String: String] = [:]) throws {
        self.names = names
        self.homes = homes
        for name in names { try makeNode(name, tunables: tunables, audit: audit) }
        for name in names {
            for other in names where other != name {
                let trust = limited.contains { $0.node == name && $0.peer == other } ? "limited" : "partner"
                try expect(["peers", "import", dir.file("\(other).card"), "--home", home(name), "--name", other, "--trust", trust]
                           + (importOptions["\(name)>\(other)"] ?? []))
            }
        }
    }

    /// A node made with `liaison init` (its card in `dir/NAME.card`), its daemon not started.
    private func makeNode(_ name: String, tunables: String, audit: String) throws {
        let port = try DaemonProcess.freePort()
        ports[name] = port
        try expect(["init", "--home", home(name), "--name", name, "--listen", "127.0.0.1:\(port)", "--no-passphrase"])
        let config = try String(contentsOfFile: home(name) + "/liaison.toml", encoding: .utf8)
        try (config + "\n[daemon]\n" + tunables + (audit.isEmpty ? "" : "\n[audit]\n" + audit)).write(toFile: home(name) + "/liaison.toml", atomically: true, encoding: .utf8)
        try expect(["keys", "card", "--home", home(name), "--out", dir.file("\(name).card")])
        daemons[name] = DaemonProcess(home: home(name))
    }

    /// Makes a node that knows no one and no one knows (yet): a partner that joins later.
    func addStranger(_ name: String, tunables: String = "retry-initial-seconds = 1\nretry-maximum-seconds = 2\n") throws {
        try makeNode(name, tunables: tunables, audit: "")
    }

    func home(_ name: String) -> String { homes[name] ?? dir.file(name) }

    /// Runs `name`'s daemon as the unprivileged user `uid`, its home handed over to
    /// it, as systemd's `User=` and the container's `USER` do.
    func runUnprivileged(_ name: String, uid: Int) throws {
        let chown = Process()
        chown.executableURL = URL(fileURLWithPath: "/bin/chown")
        chown.arguments = ["-R", "\(uid):\(uid)", home(name)]
        try chown.run()
        chown.waitUntilExit()
        #expect(chown.terminationStatus == 0)
        // The test's directory is root's; the user must be able to pass through it.
        chmod(dir.path, 0o711)
        daemons[name] = DaemonProcess(home: home(name), launcher: ["/usr/bin/setpriv", "--reuid=\(uid)", "--regid=\(uid)", "--clear-groups"])
    }

    /// Sets `key = value` in `[daemon]` of `name`'s liaison.toml (read when its daemon starts).
    func setTunable(_ name: String, _ key: String, _ value: String) throws {
        let path = home(name) + "/liaison.toml"
        var lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        lines.removeAll { $0.hasPrefix(key + " =") }
        let section = try #require(lines.firstIndex(of: "[daemon]"))
        lines.insert("\(key) = \(value)", at: section + 1)
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// `liaison audit query --all --json` at `node`: every entry, decoded from its exact leaf bytes.
    func auditEvents(_ node: String, _ extra: [String] = []) throws -> [AuditEvent] {
        let result = try expect(["audit", "query", "--home", home(node), "--all", "--limit", "10000", "--json"] + extra)
        return try result.stdout.split(separator: "\n").map { line in
            // Each line is {"index":N,"leaf":<leaf>}: cut the leaf out verbatim.
            let start = line.range(of: #","leaf":"#)!.upperBound
            return try AuditEvent(canonicalBytes: Array(line[start..<line.index(before: line.endIndex)].utf8))
        }
    }
    func daemon(_ name: String) -> DaemonProcess { daemons[name]! }

    func startAll() throws { for name in names { try daemon(name).start() } }

    deinit { for d in daemons.values { d.stop(timeoutSeconds: 5) } }

    @discardableResult
    func expect(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRunner.Result {
        let result = try cli.run(args)
        #expect(result.status == 0, "liaison \(args.joined(separator: " ")) failed: \(result.stderr)\n\(daemons.values.map { $0.log.suffix(1500) }.joined(separator: "\n---\n"))",
                sourceLocation: sourceLocation)
        return result
    }

    /// `liaison send` from `sender`; returns the package id.
    func send(_ payload: [UInt8], from sender: String, to recipients: [String], tlp: String = "AMBER", extra: [String] = []) throws -> String {
        let input = dir.write("payload-\(UUID().uuidString)", payload)
        let result = try expect(["send", input, "--home", home(sender), "--to", recipients.joined(separator: ","), "--tlp", tlp, "--json"] + extra)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        // `size` is the payload's, `sealedSize` the package's (as the outbox lists it).
        #expect(json?["size"] as? Int == payload.count && (json?["sealedSize"] as? Int ?? 0) > payload.count, "\(result.stdout)")
        return try #require(json?["id"] as? String)
    }

    /// The delivery states of `id` in `sender`'s outbox, by peer.
    func deliveryStates(_ id: String, at sender: String) throws -> [String: String] {
        try deliveryStates(id, atHome: home(sender))
    }

    /// The delivery states of `id` in the outbox of the node whose home is `home`, by peer.
    func deliveryStates(_ id: String, atHome home: String) throws -> [String: String] {
        let result = try cli.run(["outbox", "list", "--home", home, "--json"])
        guard result.status == 0, let items = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]],
              let item = items.first(where: { $0["id"] as? String == id }),
              let deliveries = item["deliveries"] as? [[String: Any]] else { return [:] }
        return Dictionary(uniqueKeysWithValues: deliveries.compactMap { d in (d["peer"] as? String).map { ($0, d["state"] as? String ?? "") } })
    }

    /// Inbox ids of `node`.
    func inbox(_ node: String) throws -> [String] {
        let result = try cli.run(["inbox", "list", "--home", home(node), "--json"])
        guard result.status == 0, let items = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] else { return [] }
        return items.compactMap { $0["id"] as? String }
    }

    /// Waits until `id` is delivered to every one of `peers`.
    func waitDelivered(_ id: String, from sender: String, to peers: [String], timeoutSeconds: Double = 30) throws -> Bool {
        try eventually(timeoutSeconds: timeoutSeconds) {
            let states = try deliveryStates(id, at: sender)
            return peers.allSatisfy { states[$0] == "delivered" }
        }
    }

    /// `inbox get` into a file and returns its bytes; `from` names the sender when several used the id.
    func fetch(_ id: String, at node: String, from sender: String? = nil) throws -> [UInt8]? {
        let out = dir.file("\(node)-\(id)\(sender.map { "-" + $0 } ?? "").out")
        try expect(["inbox", "get", id, "--home", home(node), "--out", out] + (sender.map { ["--from", $0] } ?? []))
        return FileManager.default.contents(atPath: out).map(Array.init)
    }
}
