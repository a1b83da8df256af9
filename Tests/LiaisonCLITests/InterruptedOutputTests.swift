import Foundation
import LiaisonTestSupport
import Testing

/// An operator's ctrl-C (or a service manager's SIGTERM) while `package open`
/// writes its `--out` file: the decrypted, not yet verified part is removed, and
/// the process still ends by that signal.
@Suite("liaison interrupted while writing its output (real binary)")
struct InterruptedOutputTests {
    @Test("SIGINT and SIGTERM during package open leave no partial plaintext", arguments: [SIGINT, SIGTERM])
    func interruptedOpen(signal: Int32) throws {
        let net = try CLITestNetwork()
        // Large enough that opening takes a while: the signal lands mid-write.
        let payload = [UInt8](repeating: 0x41, count: 192 << 20)
        let package = try net.seal(payload, to: "bravo")
        let out = net.dir.file("opened.out")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRunner.liaisonPath)
        process.arguments = ["package", "open", "--home", net.home("bravo"), "--in", package, "--out", out]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        func partials() -> [String] { net.dir.entries().filter { $0.hasPrefix("opened.out.partial-") } }
        // Bounded: until some plaintext is on disk, or 60 s.
        let deadline = Date().addingTimeInterval(60)
        var written = 0
        while process.isRunning && Date() < deadline && written < 4 << 20 {
            written = partials().compactMap { try? FileManager.default.attributesOfItem(atPath: net.dir.file($0))[.size] as? Int }.max() ?? 0
            usleep(1000)
        }
        try #require(process.isRunning && written > 0, "the open finished before it could be interrupted")
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal)
        #expect(partials().isEmpty, "left behind: \(partials())")
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
