import LiaisonControl
import LiaisonCore
import LiaisonTestSupport
import Testing
@testable import LiaisonCLI

/// What a multi-file `send` says when a request after the first fails: a file is
/// reported as not queued only when the daemon said so, never after a lost
/// connection, where resending as told could deliver it twice.
@Suite("send: the notice after a failed request")
struct SendCommandTests {
    /// Files `f0` … `f<count-1>`, `from` on.
    func files(_ from: Int, _ count: Int) -> [String] { (from..<(from + count)).map { "f\($0)" } }

    @Test("the daemon refused the second request: its files and those after it were not queued")
    func daemonRefused() {
        let refusal = ControlFailure(code: "policy.denied", message: "f256: no recipient may receive it")
        let notice = SendCommand.partialSendNotice(queued: 256, of: 600, failedBatch: files(256, 256), error: refusal)
        #expect(notice == "256 of 600 files were queued (listed above); f256 and the 343 after it were not:\n")
    }

    @Test("the connection was lost or timed out before the answer: the request's outcome is unknown, check the outbox first",
          arguments: [ControlFailure(code: "control.connection-lost", message: "reading from the daemon failed: Resource temporarily unavailable"),
                      ControlFailure(code: "control.connection-lost", message: "the daemon closed the connection"),
                      ControlFailure(code: "control.bad-response", message: "the daemon's reply could not be read (version mismatch?)")])
    func outcomeUnknown(failure: ControlFailure) throws {
        let notice = try #require(SendCommand.partialSendNotice(queued: 256, of: 600, failedBatch: files(256, 256), error: failure))
        #expect(notice.hasPrefix("256 of 600 files were queued (listed above); whether f256 and the 255 after it in the same request were queued is unknown"))
        #expect(notice.contains(", and the 88 after those were not sent"))
        #expect(notice.contains("Check `liaison outbox list` before sending any of them again"))
        #expect(!notice.contains("were not:"), "a request that may have been queued is reported as not queued")
    }

    @Test("the first request: refused says nothing more; lost says its outcome is unknown; the last request has nothing after it")
    func firstAndLastRequest() throws {
        let lost = ControlFailure(code: "control.connection-lost", message: "the daemon closed the connection")
        #expect(SendCommand.partialSendNotice(queued: 0, of: 300, failedBatch: files(0, 256),
                                              error: ControlFailure(code: "argument.invalid", message: "bad tlp")) == nil)
        let first = try #require(SendCommand.partialSendNotice(queued: 0, of: 300, failedBatch: files(0, 256), error: lost))
        #expect(first.hasPrefix("0 of 300 files were queued; whether f0 and the 255 after it in the same request were queued is unknown"))
        let last = try #require(SendCommand.partialSendNotice(queued: 256, of: 300, failedBatch: files(256, 44), error: lost))
        #expect(!last.contains("not sent") && last.contains("liaison outbox list"))
    }

    @Test("a file that cannot be read while streaming: the request was never completed, so it was not queued")
    func localErrorNotQueued() {
        let notice = SendCommand.partialSendNotice(queued: 256, of: 300, failedBatch: files(256, 44),
                                                   error: CoreError(.io, "cannot read f260"))
        #expect(notice == "256 of 300 files were queued (listed above); f256 and the 43 after it were not:\n")
    }
}

/// One file named twice in a `send` (a glob and a path, say) is refused before anything is sent.
@Suite("send: a file named twice")
struct SendDuplicateFileTests {
    @Test("the same file twice, by the same or another path, is a usage error naming both")
    func sameFileTwice() throws {
        let dir = TemporaryDirectory(prefix: "liaison-send-twice")
        let file = dir.write("report.json", Array("{}".utf8))
        let other = dir.write("other.json", Array("{}".utf8))
        let cli = CLIRunner()
        let same = try cli.run(["send", file, other, file, "--to", "bravo", "--tlp", "green", "--home", dir.file("none")])
        #expect(same.status == 64 && same.stderr.contains("\(file) is named twice"), "\(same.stderr)")
        let twoPaths = try cli.run(["send", file, dir.path + "/./report.json", "--to", "bravo", "--tlp", "green", "--home", dir.file("none")])
        #expect(twoPaths.status == 64 && twoPaths.stderr.contains("are the same file"), "\(twoPaths.stderr)")
    }
}
