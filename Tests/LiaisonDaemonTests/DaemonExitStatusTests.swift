import Foundation
import LiaisonCore
import LiaisonStore
import LiaisonTestSupport
import Testing
@testable import LiaisonDaemon

@Suite("liaisond's exit status: sysexits where the CLI gives them, 1 where a restart may help")
struct DaemonExitStatusTests {
    @Test("missing node or key file 66, another daemon 75, keys that cannot be unlocked 77, configuration 78, anything else 1")
    func statuses() {
        #expect(DaemonCommand.exitStatus(.nodeMissing) == 66 && DaemonCommand.exitStatus(.keyFileMissing) == 66)
        #expect(DaemonCommand.exitStatus(.nodeRunning) == 75)
        for code: CoreError.Code in [.keyFileInsecurePermissions, .keyFileSymlink, .wrongPassphrase, .passphraseUnavailable, .nodeRevoked] {
            #expect(DaemonCommand.exitStatus(code) == 77, "\(code)")
        }
        #expect(DaemonCommand.exitStatus(.malformedConfig) == 78)
        // A full disk or an unwritable audit log at start: the unit restarts it later.
        #expect(DaemonCommand.exitStatus(.auditUnavailable) == 1 && DaemonCommand.exitStatus(.diskReserve) == 1 && DaemonCommand.exitStatus(.io) == 1)
    }

    @Test("a damaged liaison.db stops the daemon with 65, which its unit does not restart, and says to restore that file")
    func damagedStore() throws {
        let net = try DaemonNetwork(["alpha"])
        try net.daemon("alpha").start()
        #expect(net.daemon("alpha").stop() == 0)
        let path = net.home("alpha") + "/liaison.db"
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Data(repeating: 0x58, count: 100))   // the SQLite header
        try handle.close()
        let (status, said) = try DeliveryTests.runDaemonToExit(home: net.home("alpha"))
        #expect(status == 65, "\(status): \(said)")
        #expect(said.contains("[store.corrupt]") && said.contains("restore liaison.db"), "\(said)")
        #expect(DaemonCommand.exitStatus(store: .unsupportedSchema) == 65 && DaemonCommand.exitStatus(store: .diskFull) == 1)
        let unit = try String(contentsOfFile: PythonTool.interopDirectory + "/../../Deploy/systemd/liaisond.service", encoding: .utf8)
        let prevented = unit.split(separator: "\n").first { $0.hasPrefix("RestartPreventExitStatus=") }?.split(separator: "=").last?.split(separator: " ")
        #expect(prevented?.contains("65") == true, "\(prevented ?? [])")
    }

    @Test("a listen address already in use stops the daemon with status 1 and a message naming the address and what to do")
    func listenAddressInUse() throws {
        let net = try DaemonNetwork(["alpha"])
        let port = try #require(net.ports["alpha"])
        let holder = try LoopbackSocket.Listener(port: port)
        let sizeBefore = try AuditLog(readingOnly: net.home("alpha") + "/" + AuditLog.fileName).size()
        #expect(throws: (any Error).self) { try net.daemon("alpha").start(timeoutSeconds: 10) }
        let log = net.daemon("alpha").log
        #expect(log.contains("liaisond exited with 1") || net.daemon("alpha").stop() == 1)
        #expect(log.contains("cannot listen on 127.0.0.1:\(port) for partner daemons: the address is already in use") && log.contains("[io.failed]"),
                "\(log.suffix(1500))")
        // It wrote nothing before finding it could not listen: no entry, no checkpoint (found in
        // an operator's trial: such a start on a backup's copy of a node signed a checkpoint of
        // that copy with the node's key), and left both databases whole in their own files.
        for name in [NodeStore.fileName, AuditLog.fileName] {
            let wal = (try? FileManager.default.attributesOfItem(atPath: net.home("alpha") + "/" + name + "-wal")[.size] as? Int) ?? 0
            #expect(wal == 0, "\(name)-wal still holds \(wal) bytes after a failed start")
        }
        let after = try AuditLog(readingOnly: net.home("alpha") + "/" + AuditLog.fileName)
        #expect(try after.size() == sizeBefore && after.checkpoints().isEmpty, "a start that could not listen wrote to the log")
        withExtendedLifetime(holder) {}
    }

    @Test("liaisond --version names the release and libsodium; an unknown log level lists the known ones")
    func versionAndLogLevel() throws {
        func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: DaemonProcess.daemonPath)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, output)
        }
        let version = try run(["--version"])
        #expect(version.status == 0 && version.output.hasPrefix("liaisond \(LiaisonVersion.number) (libsodium "), "\(version.output)")
        let level = try run(["--log-level", "verbose"])
        #expect(level.status == 64 && level.output.contains("use one of trace, debug, info"), "\(level.output)")
    }
}
