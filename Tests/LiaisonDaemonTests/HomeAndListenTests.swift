import Foundation
import LiaisonTestSupport
import Testing

/// Where a node lives and whether it listens: what an operator gets wrong, said
/// plainly, and a node that only sends.
@Suite("A node's home and listen addresses", .serialized)
struct HomeAndListenTests {
    @Test("a node without a listen address warns at start, sends, and gets its receipts")
    func sendOnlyNode() throws {
        let net = try DaemonNetwork(["alpha", "bravo"])
        let config = net.home("alpha") + "/liaison.toml"
        let text = try String(contentsOfFile: config, encoding: .utf8)
        let edited = text.replacing(#/listen = \[[^\]]*\]/#, with: "listen = []")
        #expect(edited != text)
        try edited.write(toFile: config, atomically: true, encoding: .utf8)
        try net.startAll()
        let id = try net.send(Array("from a node that only sends".utf8), from: "alpha", to: ["bravo"])
        #expect(try net.waitDelivered(id, from: "alpha", to: ["bravo"]))
        #expect(net.daemon("alpha").isRunning)
        #expect(net.daemon("alpha").log.contains("has no listen address ([node] listen)"), "\(net.daemon("alpha").log.suffix(1500))")
        #expect(net.daemon("alpha").stop() == 0)
    }

    @Test("an open-file limit below what the connection limits need is said at start; a low soft limit is raised to the hard one")
    func openFileLimit() throws {
        let net = try DaemonNetwork(["alpha"])
        // Hard and soft 300: it cannot be raised, and 2 × (256 + 64) + 256 are needed.
        let low = DaemonProcess(home: net.home("alpha"), launcher: ["/bin/bash", "-c", "ulimit -n 300; exec \"$0\" \"$@\""])
        try low.start()
        #expect(low.log.contains("the open-file limit is 300, below the 896"), "\(low.log.suffix(1500))")
        #expect(low.stop() == 0)
        // Soft 300 under a hard 4096: raised, and nothing to say.
        let soft = DaemonProcess(home: net.home("alpha"), launcher: ["/bin/bash", "-c", "ulimit -Sn 300; ulimit -Hn 4096; exec \"$0\" \"$@\""])
        let before = soft.log.components(separatedBy: "open-file limit").count
        try soft.start()
        #expect(soft.log.components(separatedBy: "open-file limit").count == before, "\(soft.log.suffix(1500))")
        let pid = try #require(soft.processIdentifier)
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = limits.split(separator: "\n").first { $0.hasPrefix("Max open files") } ?? ""
        #expect(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst(3).first == "4096", "\(line)")
        #expect(soft.stop() == 0)
    }

    @Test("a home whose control socket path is too long for the kernel is refused at start, saying why")
    func socketPathTooLong() throws {
        let dir = TemporaryDirectory(prefix: "liaison-long")
        let home = dir.file(String(repeating: "h", count: 60) + "/" + String(repeating: "n", count: 60))
        let made = try CLIRunner().run(["init", "--home", home, "--name", "long", "--listen", "127.0.0.1:\(try DaemonProcess.freePort())", "--no-passphrase"])
        #expect(made.status == 0, "\(made.stderr)")
        let (status, said) = try DeliveryTests.runDaemonToExit(home: home)
        #expect(status != 0)
        #expect(said.contains("over the 107 a Unix socket path may have") && said.contains("shorter"), "\(said)")
        #expect(!said.contains("unixDomainSocketPathTooLong"), "\(said)")
    }

    @Test("init refuses a directory that holds other files, or a file, and leaves them as they were")
    func initRefusesOccupiedHome() throws {
        let dir = TemporaryDirectory(prefix: "liaison-home")
        let occupied = dir.file("occupied")
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        _ = dir.write("occupied/notes.txt", Array("the operator's own".utf8))
        let refused = try CLIRunner().run(["init", "--home", occupied, "--name", "alpha", "--no-passphrase"])
        #expect(refused.status == 64 && refused.stderr.contains("already holds other files (notes.txt)"), "\(refused.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: occupied)[.posixPermissions] as? Int
        #expect(mode == 0o755, "the directory's mode was changed")
        #expect(!FileManager.default.fileExists(atPath: occupied + "/keys"))

        let file = dir.write("report.json", Array("{}".utf8))
        let onFile = try CLIRunner().run(["init", "--home", file, "--name", "alpha", "--no-passphrase"])
        #expect(onFile.status == 64 && onFile.stderr.contains("is a file, not a directory"), "\(onFile.stderr)")
        let below = try CLIRunner().run(["init", "--home", file + "/node", "--name", "alpha", "--no-passphrase"])
        #expect(below.status != 0 && below.stderr.contains("report.json is a file, not a directory") || below.stderr.contains("Not a directory"),
                "\(below.stderr)")
        #expect(!below.stderr.contains("NSCocoaErrorDomain"), "\(below.stderr)")

        let empty = dir.file("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        let made = try CLIRunner().run(["init", "--home", empty, "--name", "alpha", "--no-passphrase"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("no --listen"), "\(made.stdout)")
    }
}
