import Foundation
import LiaisonCore
import LiaisonCrypto

/// Seals a large generated payload to a file and opens it again, then reports
/// this process's peak resident memory: it must not grow with the package size.
enum MemoryBenchmark {
    static func run(mebibytes: Int) throws {
        print("\nmemory: seal and open \(mebibytes) MiB through a file")
        let alice = try NodeSecrets.generate(), bob = try NodeSecrets.generate()
        let path = NSTemporaryDirectory() + "/liaison-bench-\(getpid()).lpkg"
        defer { unlink(path) }
        let baseline = Measure.peakResidentMiB()
        let now = Timestamp.now()
        var sealer = try PackageSealer(sender: alice.identity, recipients: [bob.encryption.publicKey],
                                       markings: try Markings(tlp: .green), created: now, expires: nil)
        var source = PatternSource(byteCount: mebibytes << 20)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var out = FileDescriptorStream(descriptor: fd)
        let sealSeconds = try Measure.once { _ = try sealer.seal(from: &source, to: &out) }
        close(fd)
        let readFD = open(path, O_RDONLY)
        var input = FileDescriptorStream(descriptor: readFD)
        var sink = DiscardingSink()
        let openSeconds = try Measure.once {
            var opener = try PackageOpener(reading: &input, recipient: bob.encryption,
                                           senders: StaticSenderDirectory([KnownSender(name: "alice", identity: alice.identity.publicKey)]), now: now)
            _ = try opener.open(from: &input, to: &sink)
        }
        close(readFD)
        precondition(sink.count == UInt64(mebibytes) << 20, "opened size differs")
        Measure.row("seal \(mebibytes) MiB to a file", Measure.megabytesPerSecond(Double(mebibytes << 20), sealSeconds))
        Measure.row("open \(mebibytes) MiB from a file", Measure.megabytesPerSecond(Double(mebibytes << 20), openSeconds))
        Measure.row("peak resident memory", String(format: "%.1f MiB", Measure.peakResidentMiB()),
                    target: String(format: "target ≤ 64 MiB (%.1f MiB before)", baseline))
    }
}
