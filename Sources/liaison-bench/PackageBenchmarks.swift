import LiaisonCore
import LiaisonCrypto

/// Sealing and opening whole packages in process.
enum PackageBenchmarks {
    static func run() throws {
        print("\npackages (in process, one core)")
        let alice = try NodeSecrets.generate(), bob = try NodeSecrets.generate()
        let senders = StaticSenderDirectory([KnownSender(name: "alice", identity: alice.identity.publicKey)])
        let markings = try Markings(tlp: .amber)
        let now = Timestamp.now()

        let small = [UInt8](repeating: 0x41, count: 1024)
        let roundTrip = try Measure.rate(seconds: 2) {
            let sealed = try seal(small, from: alice, to: [bob.encryption.publicKey], markings: markings, now: now)
            var input = MemorySource(sealed)
            var opener = try PackageOpener(reading: &input, recipient: bob.encryption, senders: senders, now: now)
            var sink = DiscardingSink()
            _ = try opener.open(from: &input, to: &sink)
        }
        Measure.row("seal+open 1 KiB, one recipient", Measure.perSecond(roundTrip), target: "target ≥ 4.5k/s")
        let sealOnly = try Measure.rate { _ = try seal(small, from: alice, to: [bob.encryption.publicKey], markings: markings, now: now) }
        Measure.row("seal 1 KiB, one recipient", Measure.perSecond(sealOnly))
        let sealedSmall = try seal(small, from: alice, to: [bob.encryption.publicKey], markings: markings, now: now)
        let openOnly = try Measure.rate {
            var input = MemorySource(sealedSmall)
            var opener = try PackageOpener(reading: &input, recipient: bob.encryption, senders: senders, now: now)
            var sink = DiscardingSink()
            _ = try opener.open(from: &input, to: &sink)
        }
        Measure.row("open 1 KiB", Measure.perSecond(openOnly))
        let three = try (0..<3).map { _ in try EncryptionSecretKey(protection: .wiped).publicKey }
        let sealThree = try Measure.rate { _ = try seal(small, from: alice, to: three, markings: markings, now: now) }
        Measure.row("seal 1 KiB, three recipients", Measure.perSecond(sealThree))

        let size = 256 << 20
        var sealer = try PackageSealer(sender: alice.identity, recipients: [bob.encryption.publicKey], markings: markings,
                                       created: now, expires: nil)
        var source = PatternSource(byteCount: size)
        var sealed = MemorySink()
        sealed.reserveCapacity(size + size / 1000 + 4096)
        let sealSeconds = try Measure.once { _ = try sealer.seal(from: &source, to: &sealed) }
        Measure.row("seal 256 MiB", Measure.megabytesPerSecond(Double(size), sealSeconds), target: "target ≥ 400 MB/s")
        var input = MemorySource(sealed.bytes)
        var sink = DiscardingSink()
        let openSeconds = try Measure.once {
            var opener = try PackageOpener(reading: &input, recipient: bob.encryption, senders: senders, now: now)
            _ = try opener.open(from: &input, to: &sink)
        }
        precondition(sink.count == UInt64(size), "opened size differs")
        Measure.row("open 256 MiB", Measure.megabytesPerSecond(Double(size), openSeconds), target: "target ≥ 400 MB/s")
    }

    static func seal(_ payload: [UInt8], from sender: NodeSecrets, to recipients: [EncryptionPublicKey], markings: Markings, now: Int64) throws -> [UInt8] {
        var sealer = try PackageSealer(sender: sender.identity, recipients: recipients, markings: markings, created: now, expires: nil)
        var input = MemorySource(payload)
        var output = MemorySink()
        try sealer.seal(from: &input, to: &output)
        return output.bytes
    }
}

/// A source of `byteCount` patterned bytes that holds no more than one chunk.
struct PatternSource: ByteSource {
    var remaining: Int
    let pattern: [UInt8] = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    init(byteCount: Int) { remaining = byteCount }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, remaining, pattern.count)
        pattern.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        remaining -= n
        return n
    }
}

/// A sink that only counts.
struct DiscardingSink: ByteSink {
    var count: UInt64 = 0
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws { count += UInt64(bytes.count) }
}
