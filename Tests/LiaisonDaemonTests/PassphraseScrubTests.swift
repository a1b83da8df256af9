import Foundation
import LiaisonTestSupport
import Testing

@Suite("A daemon started with LIAISON_PASSPHRASE does not keep it in its environment")
struct PassphraseScrubTests {
    @Test("once the keys are decrypted, /proc/PID/environ no longer shows the passphrase (only the variable's name, its value zeroed)",
          .timeLimit(.minutes(2)))
    func scrubbed() throws {
        let dir = TemporaryDirectory()
        let passphrase = "correct horse battery staple"
        let cli = CLIRunner(environment: ["LIAISON_PASSPHRASE": passphrase])
        try #require(try cli.run(["init", "--home", dir.file("alpha"), "--name", "alpha", "--listen", "127.0.0.1:\(try DaemonProcess.freePort())"]).status == 0)
        let daemon = DaemonProcess(home: dir.file("alpha"), environment: ["LIAISON_PASSPHRASE": passphrase, "LIAISON_TEST_MARKER": "kept"])
        try daemon.start()
        defer { daemon.stop() }
        let pid = try #require(daemon.processIdentifier)
        let environ = try #require(FileManager.default.contents(atPath: "/proc/\(pid)/environ"))
        let text = String(decoding: environ.map { $0 == 0 ? 0x0A : $0 }, as: UTF8.self)
        #expect(text.contains("LIAISON_TEST_MARKER=kept"), "the rest of the environment is read as it was")
        // /proc shows the environment the process started with, in place: the name stays, the bytes of its value are zeros.
        #expect(!text.contains(passphrase), "\(text)")
        #expect(text.contains("LIAISON_PASSPHRASE=\u{0}") || text.contains("LIAISON_PASSPHRASE=\n"))
    }
}
