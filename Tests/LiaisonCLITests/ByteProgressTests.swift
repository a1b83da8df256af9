import Testing
@testable import LiaisonCLI

/// The progress line `liaison send` draws on a terminal while it streams files.
@Suite("Byte progress for long sends")
struct ByteProgressTests {
    /// Collects what a progress line writes.
    final class Written {
        var text = ""
    }

    @Test("with a known total: bytes, total and share, redrawn in place, ended by a newline")
    func knownTotal() {
        let written = Written()
        let progress = ByteProgress(total: 2048, label: "sending", enabled: true, interval: .zero) { written.text += $0 }
        progress.advance(by: 512)
        progress.advance(by: 512)
        progress.advance(by: 1024)
        progress.finish()
        #expect(written.text == "\rsending: 512 B of 2.0 KiB (25 %)\rsending: 1.0 KiB of 2.0 KiB (50 %)"
                    + "\rsending: 2.0 KiB of 2.0 KiB (100 %)\rsending: 2.0 KiB of 2.0 KiB (100 %)\n")
    }

    @Test("standard input has no total: only the bytes so far")
    func unknownTotal() {
        let written = Written()
        let progress = ByteProgress(total: nil, label: "sending", enabled: true, interval: .zero) { written.text += $0 }
        progress.advance(by: 3 << 20)
        #expect(written.text == "\rsending: 3.0 MiB")
    }

    @Test("not on a terminal, or work shorter than the interval: nothing is drawn, not even the newline")
    func quiet() {
        let written = Written()
        let offTerminal = ByteProgress(total: 10, label: "sending", enabled: false, interval: .zero) { written.text += $0 }
        offTerminal.advance(by: 10)
        offTerminal.finish()
        let short = ByteProgress(total: 10, label: "sending", enabled: true, interval: .seconds(60)) { written.text += $0 }
        short.advance(by: 10)
        short.finish()
        #expect(written.text.isEmpty)
    }
}
