import Foundation

/// Runs one of the independent implementations in `Tests/Interop` with python3.
public enum PythonTool {
    /// The repository's `Tests/Interop` directory, found from this source file.
    public static var interopDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/Interop").path
    }

    /// Starts `python3 Tests/Interop/<script> arguments…`; the caller waits.
    public static func start(_ script: String, _ arguments: [String]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", interopDirectory + "/" + script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    /// Waits (bounded) and returns status, stdout, stderr.
    public static func finish(_ process: Process, _ out: Pipe, _ err: Pipe, timeoutSeconds: Double = 60) -> (Int32, String, String) {
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    /// Runs to completion.
    public static func run(_ script: String, _ arguments: [String], timeoutSeconds: Double = 60) throws -> (Int32, String, String) {
        let (p, o, e) = try start(script, arguments)
        return finish(p, o, e, timeoutSeconds: timeoutSeconds)
    }
}
