import LiaisonCore
import Testing
@testable import LiaisonCLI

/// The progress line long commands draw on a terminal: `send` streaming files,
/// `audit export` and `audit verify` going through entries.
@Suite("Progress lines for long work")
struct ProgressLineTests {
    /// Collects what a progress line writes.
    final class Written {
        var text = ""
    }

    @Test("bytes with a known total: bytes, total and share, redrawn in place, ended by a newline")
    func knownTotal() {
        let written = Written()
        let progress = ProgressLine(total: 2048, label: "sending", unit: .bytes, enabled: true, interval: .zero) { written.text += $0 }
        progress.advance(by: 512)
        progress.advance(by: 512)
        progress.advance(by: 1024)
        progress.finish()
        #expect(written.text == "\rsending: 512 B of 2.0 KiB (25 %)\rsending: 1.0 KiB of 2.0 KiB (50 %)"
                    + "\rsending: 2.0 KiB of 2.0 KiB (100 %)\rsending: 2.0 KiB of 2.0 KiB (100 %)\n")
    }

    @Test("sealing or opening through a ProgressSource counts every byte read, and ends the line once at the end")
    func progressSource() throws {
        let written = Written()
        let progress = ProgressLine(total: 3000, label: "sealing", unit: .bytes, enabled: true, interval: .zero) { written.text += $0 }
        var source = ProgressSource(MemorySource([UInt8](repeating: 1, count: 3000)), progress: progress)
        var buffer = [UInt8](repeating: 0, count: 1024)
        var total = 0
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { break }
            total += n
        }
        #expect(try buffer.withUnsafeMutableBytes { try source.read(into: $0) } == 0)
        #expect(total == 3000)
        #expect(written.text.hasSuffix("\rsealing: 2.9 KiB of 2.9 KiB (100 %)\rsealing: 2.9 KiB of 2.9 KiB (100 %)\n"), "\(written.text)")
        #expect(written.text.components(separatedBy: "\n").count == 2, "the line was ended more than once")
    }

    @Test("standard input has no total: only the bytes so far")
    func unknownTotal() {
        let written = Written()
        let progress = ProgressLine(total: nil, label: "sending", unit: .bytes, enabled: true, interval: .zero) { written.text += $0 }
        progress.advance(by: 3 << 20)
        #expect(written.text == "\rsending: 3.0 MiB")
    }

    @Test("entries counted one by one or set to a count reached")
    func entries() {
        let written = Written()
        let progress = ProgressLine(total: 200_000, label: "verifying", unit: .entries, enabled: true, interval: .zero) { written.text += $0 }
        progress.reached(65_536)
        progress.advance()
        #expect(written.text == "\rverifying: 65536 of 200000 entries (32 %)\rverifying: 65537 of 200000 entries (32 %)")
    }

    @Test("not on a terminal, or work shorter than the interval: nothing is drawn, not even the newline")
    func quiet() {
        let written = Written()
        let offTerminal = ProgressLine(total: 10, label: "sending", unit: .bytes, enabled: false, interval: .zero) { written.text += $0 }
        offTerminal.advance(by: 10)
        offTerminal.finish()
        let short = ProgressLine(total: 10, label: "verifying", unit: .entries, enabled: true, interval: .seconds(60)) { written.text += $0 }
        short.advance(by: 10)
        short.finish()
        #expect(written.text.isEmpty)
    }
}
