import Foundation
import LiaisonTestSupport
import Testing

/// The deployment files stay valid.
@Suite("Deploy files")
struct DeployFilesTests {
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("the systemd unit passes systemd-analyze verify and keeps its hardening")
    func systemdUnit() throws {
        let unit = try String(contentsOf: Self.repository.appendingPathComponent("Deploy/systemd/liaisond.service"), encoding: .utf8)
        for directive in ["ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=liaison", "LoadCredentialEncrypted=liaison-passphrase",
                          "CapabilityBoundingSet=", "MemoryDenyWriteExecute=yes", "LimitCORE=0", "KillSignal=SIGTERM"] {
            #expect(unit.contains(directive), "missing \(directive)")
        }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            Issue.record("systemd-analyze is not installed: install the systemd package (Deploy/setup.sh does)")
            return
        }
        let dir = TemporaryDirectory()
        let local = unit.replacingOccurrences(of: "/usr/local/bin/liaisond", with: DaemonProcess.daemonPath)
        let path = dir.file("liaisond.service")
        try local.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", path]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = err
        try process.run()
        let output = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && output.isEmpty, "systemd-analyze verify: \(output)")
    }
}
