import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

@Suite("Sealing a payload that arrives in pieces, several chunks at a time")
struct IncrementalSealerTests {
    let alice: TestNode
    let bob: TestNode

    init() throws {
        alice = try TestNode("alice")
        bob = try TestNode("bob")
    }

    /// Seals `payload` fed in pieces of the sizes `pieces` yields (cycled).
    private func sealIncrementally(_ payload: [UInt8], pieces: [Int]) async throws -> [UInt8] {
        let sealer = try PackageSealer(sender: alice.secrets.identity, recipients: [bob.encryptionKey],
                                       markings: try Markings(tlp: .green), created: PackageFixture.created, expires: nil, chunkSize: 1024)
        var incremental = IncrementalSealer(sealer)
        var output = MemorySink()
        var offset = 0, n = 0
        while offset < payload.count {
            let take = min(pieces[n % pieces.count], payload.count - offset)
            try await incremental.append(Array(payload[offset..<(offset + take)]), into: &output)
            offset += take
            n += 1
        }
        try await incremental.finish(into: &output)
        #expect(incremental.payloadByteCount == UInt64(payload.count))
        return output.bytes
    }

    // Around the chunk size and around multiples of the chunks sealed at once.
    @Test("opens to the same payload, with the chunks a one-shot seal makes",
          arguments: [0, 1, 1023, 1024, 1025, 2048, 2049, 3072, 4096, 4097, 5 * 1024 + 7, 9 * 1024])
    func roundTrip(size: Int) async throws {
        var rng = SeededBytes(seed: UInt64(size) &+ 17)
        let payload = rng.next(size)
        for pieces in [[1_000_000], [1], [7, 1024, 300], [1024], [2048, 1]] where size <= 5000 || pieces != [1] {
            let package = try await sealIncrementally(payload, pieces: pieces)
            let (opened, info) = try PackageFixture.open(package, as: bob, senders: [alice.asSender()])
            #expect(opened == payload, "pieces \(pieces)")
            #expect(info.payloadByteCount == UInt64(size))
            // Same framing as the one-shot sealer: full chunks, then one final chunk.
            let frames = PackageLayout(package).frames
            #expect(frames.count == max(1, (size + 1023) / 1024), "pieces \(pieces)")
            let oneShot = PackageLayout(try PackageFixture.seal(payload, from: alice, to: [bob], chunkSize: 1024)).frames
            #expect(frames.map(\.ciphertextLength) == oneShot.map(\.ciphertextLength))
        }
    }

    @Test("empty pieces change nothing")
    func emptyPieces() async throws {
        var rng = SeededBytes(seed: 5)
        let payload = rng.next(3000)
        let sealer = try PackageSealer(sender: alice.secrets.identity, recipients: [bob.encryptionKey],
                                       markings: try Markings(tlp: .green), created: PackageFixture.created, expires: nil, chunkSize: 1024)
        var incremental = IncrementalSealer(sealer)
        var output = MemorySink()
        try await incremental.append([], into: &output)
        try await incremental.append(Array(payload[0..<2048]), into: &output)
        try await incremental.append([], into: &output)
        try await incremental.append(Array(payload[2048...]), into: &output)
        try await incremental.finish(into: &output)
        #expect(try PackageFixture.open(output.bytes, as: bob, senders: [alice.asSender()]).payload == payload)
    }
}
