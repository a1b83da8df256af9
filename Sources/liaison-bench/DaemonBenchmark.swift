import Foundation
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonStore

/// Two real daemons on loopback: throughput of 1 KiB packages from `send` to
/// stored receipt, idle latency, a 100 MiB package end to end, and each daemon's
/// peak resident memory.
///
/// Clients are real threads, sending in three ways (a control-socket connection
/// per `send`, as the CLI makes; one kept connection per client, as a feeding
/// program would; 16 files per `send`). Completion is watched in the sending daemon's database — the
/// stored receipt itself — read-only, so watching adds no control commands (each
/// of which the daemon would audit) to the load being measured.
enum DaemonBenchmark {
    struct Node {
        let name: String
        let home: String
        let port: Int
        var process: Process?
    }

    static func run(small: Int, concurrency: Int, largeMiB: Int) throws {
        print("\ndaemons: two liaisond on loopback (release build), 1 KiB packages and one \(largeMiB) MiB package")
        let root = NSTemporaryDirectory() + "/liaison-daemon-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if ProcessInfo.processInfo.environment["LIAISON_BENCH_KEEP"] == nil { try? FileManager.default.removeItem(atPath: root) } }
        let receivers = receiverNames()
        var nodes = try (["sender"] + receivers).map { name in
            Node(name: name, home: root + "/" + name, port: try freePort(), process: nil)
        }
        try introduce(nodes, clients: concurrency)
        for i in nodes.indices { nodes[i].process = try start(nodes[i]) }
        defer { for node in nodes { stop(node.process) } }
        let sender = nodes[0]
        let socket = ControlFraming.socketPath(home: sender.home)
        let store = try NodeStore(path: sender.home + "/" + NodeStore.fileName)
        let delivered = { try store.counts().delivered }

        // Throughput: `concurrency` clients each send their share as fast as they can,
        // in three ways: a connection per `send` (as the CLI makes it), one `send` per
        // package on a connection each client keeps open (as an integration feeding the
        // daemon would), and several files per `send`.
        let payload = [UInt8](repeating: 0x41, count: 1024)
        let phase = Phase(nodes: nodes, delivered: delivered, concurrency: concurrency)
        try phase.run("1 KiB, send → stored receipt, new connection", key: "new", count: small, perRequest: 1) { worker, requests in
            for _ in 0..<requests { try send(payload, socket: socket, to: receivers[worker % receivers.count]) }
        }
        try phase.run("1 KiB, send → stored receipt, kept connection", key: "kept", count: small, perRequest: 1) { worker, requests in
            let client = try ControlClient(path: socket)
            for _ in 0..<requests { try send(payload, over: client, to: receivers[worker % receivers.count]) }
        }
        // The same packages with several files per `send` (`liaison send a b c …`): one
        // control connection, one audit commit and one store commit for each request.
        let perSend = 16
        try phase.run("1 KiB, \(perSend) files per send → stored receipt", key: "files", count: small, perRequest: perSend) { worker, requests in
            for _ in 0..<requests {
                try sendBatch(Array(repeating: payload, count: perSend), socket: socket, to: receivers[worker % receivers.count])
            }
        }

        let clock = ContinuousClock()
        // Latency when idle: one package at a time (LIAISON_BENCH_IDLE packages, 200 unless set, for profiling).
        var latencies: [Double] = []
        for _ in 0..<max(1, Int(ProcessInfo.processInfo.environment["LIAISON_BENCH_IDLE"] ?? "") ?? 200) {
            let t0 = clock.now
            let id = try PackageID(parsing: try send(payload, socket: socket, to: "receiver").id)
            // One indexed look at this package's delivery per poll, every 0.1 ms from 0.5 ms
            // after `send` returned: two durable commits are still ahead then, so no receipt
            // can be missed by the pause, and until it the watcher takes no CPU from the daemons.
            usleep(500)
            try waitDelivered({ try store.deliveries(packageID: id).filter { $0.state == .delivered }.count }, count: 1,
                              timeoutSeconds: 30, poll: 0.0001)
            latencies.append((clock.now - t0).seconds * 1000)
        }
        latencies.sort()
        Measure.row("send → receipt latency, idle, p50", String(format: "%.2f ms", latencies[latencies.count / 2]), target: "target < 2 ms")
        Measure.row("send → receipt latency, idle, p99", String(format: "%.2f ms", latencies[latencies.count * 99 / 100]))
        // The disk's share of that: a package's journey waits for three durable commits
        // one after another (sender: the store's, which journals the send's audit events
        // and, with a session open, the offer's; receiver: the store's; sender: the
        // store's for the receipt), each ending in one fdatasync, spread out by the work
        // between them. The audit log takes the journaled events off that path.
        let backToBack = try DiskProbe.flushMicroseconds(directory: root, gapMicroseconds: 0)
        let spaced = try DiskProbe.flushMicroseconds(directory: root, gapMicroseconds: 1000)
        Measure.row("fdatasync of 8 KiB, back to back, p50", String(format: "%.0f µs", backToBack.percentile(0.5)))
        Measure.row("fdatasync of 8 KiB, 1 ms apart, p50", String(format: "%.0f µs", spaced.percentile(0.5)))
        Measure.row("3 durable commits 1 ms apart, p50", String(format: "%.2f ms", 3 * spaced.percentile(0.5) / 1000),
                    target: "the disk's share of the idle latency")

        // One large package end to end, three times (one at a time): the median, and the range.
        let large = try Sodium.randomBytes(count: largeMiB << 20)
        var runs: [(total: Double, queueing: Double)] = []
        for _ in 0..<3 {
            // What earlier runs and phases left to write back is written now, not
            // charged to this run's fsyncs.
            sync()
            let count = try delivered()
            let t0 = clock.now
            try send(large, socket: socket, to: "receiver")
            let sent = clock.now
            try waitDelivered(delivered, count: count + 1, timeoutSeconds: 600)
            runs.append(((clock.now - t0).seconds, (sent - t0).seconds))
        }
        runs.sort { $0.total < $1.total }
        let median = runs[1]
        Measure.row("\(largeMiB) MiB package, send → stored receipt", Measure.megabytesPerSecond(Double(large.count), median.total),
                    target: String(format: "target ≥ 150 MB/s (median of 3, range %@–%@; queueing %.2f s of %.2f s)",
                                   Measure.megabytesPerSecond(Double(large.count), runs[2].total),
                                   Measure.megabytesPerSecond(Double(large.count), runs[0].total), median.queueing, median.total))
        for node in nodes {
            Measure.row("peak resident memory, \(node.name) daemon", String(format: "%.1f MiB", peakRSS(node.process)), target: "target < 100 MiB")
        }
    }

    /// One throughput measurement: clients on threads of their own (DispatchQueue's
    /// concurrentPerform would run only as many at once as there are cores), timed
    /// from the first request to the last stored receipt, with each daemon's CPU
    /// time and the benchmark's own per package.
    struct Phase {
        let nodes: [Node]
        let delivered: () throws -> Int
        let concurrency: Int

        /// The throughput phases `LIAISON_BENCH_PHASES` names (comma-separated `new`,
        /// `kept`, `files`, or `none`; all unless set), so that a profiler can watch
        /// one alone. The latency and large-package measurements always run.
        static let selected: Set<String>? = {
            guard let text = ProcessInfo.processInfo.environment["LIAISON_BENCH_PHASES"] else { return nil }
            let names = Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            let unknown = names.subtracting(["new", "kept", "files", "none"])
            guard unknown.isEmpty else {
                FileHandle.standardError.write(Data("liaison-bench: LIAISON_BENCH_PHASES names \(unknown.sorted().joined(separator: ", ")); use new, kept, files or none\n".utf8))
                exit(64)
            }
            return names
        }()

        /// Sends `count` packages, `perRequest` per request, split among the clients:
        /// `client` is given its number and makes the number of requests it is given,
        /// and throws if one fails.
        /// A phase `LIAISON_BENCH_PHASES` leaves out is skipped.
        func run(_ label: String, key: String, count: Int, perRequest: Int, client: @escaping @Sendable (_ worker: Int, _ requests: Int) throws -> Void) throws {
            if let selected = Self.selected, !selected.contains(key) { return }
            let requests = (count + perRequest - 1) / perRequest
            sync()   // the previous phase's writeback is not this one's
            let before = try delivered()
            let cpuBefore = nodes.map { cpuSeconds($0.process) }
            let ownBefore = Measure.processCPUSeconds()
            let clock = ContinuousClock()
            let start = clock.now
            let failedClients = ErrorCounter()
            let finished = DispatchGroup()
            for worker in 0..<concurrency {
                let share = requests / concurrency + (worker < requests % concurrency ? 1 : 0)
                finished.enter()
                Thread {
                    do { try client(worker, share) } catch { failedClients.increment() }
                    finished.leave()
                }.start()
            }
            finished.wait()
            guard failedClients.value == 0 else { throw CoreError(.io, "\(label): \(failedClients.value) clients met an error") }
            let packages = requests * perRequest
            try waitDelivered(delivered, count: before + packages, timeoutSeconds: 600)
            Measure.row(label, Measure.perSecond(Double(packages) / (clock.now - start).seconds),
                        target: "target ≥ 3k/s (\(packages) packages, \(concurrency) clients)")
            // CPU time per package, from the kernel's accounting: what each package
            // costs whatever else the machine is doing.
            for (node, cpu) in zip(nodes, cpuBefore) {
                Measure.row("  CPU per package, \(node.name) daemon", String(format: "%.0f µs", (cpuSeconds(node.process) - cpu) / Double(packages) * 1e6))
            }
            for node in nodes { Measure.row("  peak resident memory so far, \(node.name)", String(format: "%.1f MiB", peakRSS(node.process))) }
            Measure.row("  CPU per package, the benchmark", String(format: "%.0f µs", (Measure.processCPUSeconds() - ownBefore) / Double(packages) * 1e6),
                        target: "its clients and watcher, on the same two cores")
        }
    }

    final class ErrorCounter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.lock(); count += 1; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    }

    @discardableResult
    static func send(_ payload: [UInt8], socket: String, to peer: String) throws -> SendReceipt {
        try send(payload, over: try ControlClient(path: socket), to: peer)
    }

    /// One `send` on a connection that may carry others before and after it.
    @discardableResult
    static func send(_ payload: [UInt8], over client: ControlClient, to peer: String) throws -> SendReceipt {
        var request = ControlRequest(.send)
        request.to = [peer]
        request.tlp = "GREEN"
        try client.send(json: request)
        try client.sendPayload(payload)
        return try client.receive(SendReceipt.self)
    }

    /// One `send` of several payloads, each its own package, as `liaison send a b c …` makes it.
    static func sendBatch(_ payloads: [[UInt8]], socket: String, to peer: String) throws {
        let client = try ControlClient(path: socket)
        var request = ControlRequest(.sendFiles)
        request.to = [peer]
        request.tlp = "GREEN"
        request.files = payloads.count
        try client.send(json: request)
        for payload in payloads { try client.sendPayload(payload) }
        _ = try client.receive([SendReceipt].self)
    }

    static func delivered(_ socket: String) throws -> Int {
        try ControlClient(path: socket).call(ControlRequest(.status), StatusReport.self).delivered
    }

    static func waitDelivered(_ delivered: () throws -> Int, count: Int, timeoutSeconds: Double, poll: Double = 0.002) throws {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while try delivered() < count {
            guard Date() < deadline else { throw CoreError(.io, "deliveries did not complete within \(timeoutSeconds) s") }
            usleep(useconds_t(poll * 1_000_000))
        }
    }

    /// Creates both nodes and makes them partners of each other.
    static func introduce(_ nodes: [Node], clients: Int) throws {
        var cards: [NodeCard] = []
        for node in nodes {
            let home = NodeHome(path: node.home)
            let configuration = try home.create(name: node.name, listen: ["127.0.0.1:\(node.port)"], passphrase: nil, now: Timestamp.now())
            // Every client and the watcher are one user, and a client that connects anew
            // may briefly hold two slots (the daemon lets one go when it sees the close):
            // the daemons are given room for all of them, as a program feeding a node
            // from one user would be (docs/operations.md, "Feeding the daemon from a program").
            let slots = max(64, 2 * clients + 16)
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: node.home + "/liaison.toml"))
            try file.seekToEnd()
            try file.write(contentsOf: Data("\n[daemon]\nmax-control-connections = \(slots)\nmax-control-connections-per-user = \(slots)\n".utf8))
            try file.close()
            cards.append(try home.card(configuration, secrets: try home.loadSecrets(configuration, passphrase: PassphraseSource()), now: Timestamp.now()))
        }
        for (i, node) in nodes.enumerated() {
            let home = NodeHome(path: node.home)
            let configuration = try home.loadConfiguration()
            var keyring = try home.loadKeyring(configuration)
            for (j, card) in cards.enumerated() where j != i {
                try keyring.add(PeerRecord(name: nodes[j].name, card: card, trust: .partner, added: Timestamp.now()))
            }
            if i == 0 {
                for (n, card) in try idlePartnerCards(under: node.home + "-idle").enumerated() {
                    try keyring.add(PeerRecord(name: "idle\(n)", card: card, trust: .partner, added: Timestamp.now()))
                }
            }
            try home.saveKeyring(keyring, configuration: configuration)
        }
    }

    /// The receiving daemons: `LIAISON_BENCH_RECEIVERS` of them (one unless set), each
    /// client sending to one, so the sender serves several partners at once.
    static func receiverNames() -> [String] {
        let count = max(1, Int(ProcessInfo.processInfo.environment["LIAISON_BENCH_RECEIVERS"] ?? "") ?? 1)
        if count > 1 { print("  \(count) receiving daemons; each client sends to one of them") }
        return ["receiver"] + (1..<count).map { "receiver\($0 + 1)" }
    }

    /// `LIAISON_BENCH_PEERS` more partners of the sender (none by default), which never
    /// run and are sent nothing: a node with many partners, most of them quiet.
    static func idlePartnerCards(under root: String) throws -> [NodeCard] {
        let count = Int(ProcessInfo.processInfo.environment["LIAISON_BENCH_PEERS"] ?? "") ?? 0
        guard count > 0 else { return [] }
        print("  the sender has \(count) more partners, idle")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        return try (0..<count).map { n in
            let home = NodeHome(path: "\(root)/\(n)")
            let configuration = try home.create(name: "idle\(n)", listen: ["127.0.0.1:9"], passphrase: nil, now: Timestamp.now())
            return try home.card(configuration, secrets: try home.loadSecrets(configuration, passphrase: PassphraseSource()), now: Timestamp.now())
        }
    }

    static func start(_ node: Node) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("liaisond")
        process.arguments = ["--home", node.home, "--log-level", ProcessInfo.processInfo.environment["LIAISON_BENCH_LOG"] ?? "error"]
        _ = FileManager.default.createFile(atPath: node.home + "/daemon.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: node.home + "/daemon.log")
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? delivered(ControlFraming.socketPath(home: node.home))) != nil { return process }
            usleep(20_000)
        }
        throw CoreError(.io, "liaisond for \(node.name) did not start")
    }

    static func stop(_ process: Process?) {
        guard let process, process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    /// User plus system CPU time the process has used, in seconds.
    static func cpuSeconds(_ process: Process?) -> Double {
        guard let pid = process?.processIdentifier,
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return .nan }
        // Fields after the command name: state is field 3; utime and stime are fields 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func peakRSS(_ process: Process?) -> Double {
        guard let pid = process?.processIdentifier,
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return .nan }
        return kib / 1024
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw CoreError(.io, "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
