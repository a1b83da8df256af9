import Foundation
import Synchronization

/// A real `liaisond` child process for end-to-end tests, with start, graceful
/// stop (SIGTERM), SIGKILL and restart. Its stderr goes to `<home>/daemon.log`.
public final class DaemonProcess: @unchecked Sendable {
    /// The node's home.
    public let home: String
    private var process: Process?
    private let environment: [String: String]
    private let launcher: [String]

    /// The `liaisond` executable beside the test bundle.
    public static var daemonPath: String { CLIRunner.productsDirectory.appendingPathComponent("liaisond").path }

    /// A daemon for the node at `home` (not started). `launcher`, if given, is a
    /// command that execs the daemon, such as `/usr/bin/nohup`.
    public init(home: String, environment: [String: String] = [:], launcher: [String] = []) {
        self.home = home
        self.environment = environment
        self.launcher = launcher
    }

    deinit { process.map { if $0.isRunning { kill($0.processIdentifier, SIGKILL); $0.waitUntilExit() } } }

    /// The control socket path.
    public var socketPath: String { home + "/liaisond.sock" }

    /// The running daemon's process id (nil before `start`).
    public var processIdentifier: Int32? { process?.processIdentifier }

    /// Starts the daemon and waits (bounded) until its control socket answers.
    public func start(timeoutSeconds: Double = 20) throws {
        unlink(socketPath)
        let p = Process()
        let command = launcher + [Self.daemonPath, "--home", home, "--log-level", "debug"]
        p.executableURL = URL(fileURLWithPath: command[0])
        p.arguments = Array(command.dropFirst())
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        p.environment = env
        let log = home + "/daemon.log"
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        p.standardError = handle
        p.standardOutput = handle
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            guard p.isRunning else { throw SocketError("liaisond exited with \(p.terminationStatus): \(self.log.suffix(2000))") }
            if FileManager.default.fileExists(atPath: socketPath), (try? CLIRunner().run(["status", "--home", home, "--json"]).status) == 0 {
                return
            }
            usleep(50_000)
        }
        throw SocketError("liaisond did not start within \(timeoutSeconds) s: \(self.log.suffix(2000))")
    }

    /// `signal` (SIGTERM unless told), then waits (bounded) for a clean exit; returns
    /// the exit status.
    @discardableResult
    public func stop(timeoutSeconds: Double = 30, signal: Int32 = SIGTERM) -> Int32? {
        guard let p = process else { return nil }
        if p.isRunning { kill(p.processIdentifier, signal) }
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
        return p.terminationStatus
    }

    /// SIGKILL: the daemon gets no chance to clean up.
    public func killHard() {
        guard let p = process else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    /// Whether the process is running.
    public var isRunning: Bool { process?.isRunning ?? false }

    /// What the daemon logged so far.
    public var log: String { (try? String(contentsOfFile: home + "/daemon.log", encoding: .utf8)) ?? "" }

    /// A free TCP port on 127.0.0.1 (bound and released), chosen below Linux's
    /// ephemeral range (32768–60999): a port the kernel hands out itself may be
    /// taken by another test's outgoing connection before the daemon binds it. No
    /// port is handed out twice in one run: a daemon a test stopped, to start it
    /// again, must find its port as it left it, not taken by another test's node
    /// (a full run failed once that way, with EADDRINUSE at the restart).
    public static func freePort() throws -> Int {
        for _ in 0..<1000 {
            let candidate = Int.random(in: 20_000..<32_000)
            guard handedOut.withLock({ $0.insert(candidate).inserted }) else { continue }
            if let listener = try? LoopbackSocket.Listener(port: candidate) { return listener.port }
        }
        throw SocketError("no free port left in 20000–31999 for this test run")
    }

    /// Ports already handed out in this process.
    private static let handedOut = Mutex<Set<Int>>([])
}

/// Polls `condition` every 50 ms until it holds or `timeoutSeconds` pass.
public func eventually(timeoutSeconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    repeat {
        if try condition() { return true }
        usleep(50_000)
    } while Date() < deadline
    return try condition()
}
