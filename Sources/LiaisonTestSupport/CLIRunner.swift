import Foundation

/// Runs the real `liaison` binary (built beside the test bundle) as a child
/// process, for end-to-end tests of the command line.
public struct CLIRunner: Sendable {
    /// What a run produced.
    public struct Result: Sendable {
        /// Exit status.
        public let status: Int32
        /// Standard output.
        public let stdout: String
        /// Standard error.
        public let stderr: String
    }

    /// Where the executables are: the directory holding the test bundle.
    public static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// The `liaison` executable.
    public static var liaisonPath: String { productsDirectory.appendingPathComponent("liaison").path }

    /// Extra environment for every run (e.g. LIAISON_PASSPHRASE).
    public var environment: [String: String]

    /// A command that runs `liaison` on the runner's behalf (e.g. `setpriv` to run it
    /// as another user); empty to run it directly.
    public var wrapper: [String]

    /// A runner with `environment` added to a clean one.
    public init(environment: [String: String] = [:], wrapper: [String] = []) {
        self.environment = environment
        self.wrapper = wrapper
    }

    /// Runs `liaison arguments…` and waits (bounded: 120 s); in `directory` when given,
    /// else in the test's working directory.
    @discardableResult
    public func run(_ arguments: [String], stdin: Data? = nil, in directory: String? = nil) throws -> Result {
        let process = Process()
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let tool = wrapper.first {
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = Array(wrapper.dropFirst()) + [Self.liaisonPath] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.liaisonPath)
            process.arguments = arguments
        }
        var env = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(1000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
