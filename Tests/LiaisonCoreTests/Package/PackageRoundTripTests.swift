import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

@Suite("Package sealing and opening")
struct PackageRoundTripTests {
    let alice: TestNode
    let bob: TestNode
    let carol: TestNode
    let dave: TestNode

    init() throws {
        alice = try TestNode("alice")
        bob = try TestNode("bob")
        carol = try TestNode("carol")
        dave = try TestNode("dave")
    }

    @Test("round trip at chunk-size boundaries", arguments: [0, 1, 1023, 1024, 1025, 2048, 5000])
    func roundTrip(size: Int) throws {
        var rng = SeededBytes(seed: UInt64(size))
        let payload = rng.next(size)
        let package = try PackageFixture.seal(payload, from: alice, to: [bob])
        let (opened, info) = try PackageFixture.open(package, as: bob, senders: [alice.asSender()])
        #expect(opened == payload)
        #expect(info.payloadByteCount == UInt64(size))
        #expect(info.sender.name == "alice")
        #expect(PackageLayout(package).frames.count == max(1, (size + 1023) / 1024))
    }

    @Test("every recipient opens the same payload; others cannot")
    func multipleRecipients() throws {
        let payload = Array("indicator: 198.51.100.7 beaconing".utf8)
        let package = try PackageFixture.seal(payload, from: alice, to: [bob, carol])
        for recipient in [bob, carol] {
            #expect(try PackageFixture.open(package, as: recipient, senders: [alice.asSender()]).payload == payload)
        }
        #expect(throws: CoreError(.notARecipient, "")) {
            try PackageFixture.open(package, as: dave, senders: [alice.asSender()])
        }
    }

    @Test("markings and times survive and are reported")
    func markings() throws {
        let markings = try Markings(tlp: .amberStrict, classification: "restricted", releasableTo: ["nato", "EU", "NATO"], caveats: ["EXDIS"])
        #expect(markings.releasableTo == ["EU", "NATO"])
        let package = try PackageFixture.seal([1, 2, 3], from: alice, to: [bob], markings: markings,
                                              expires: PackageFixture.created + 3600)
        let info = try PackageFixture.open(package, as: bob, senders: [alice.asSender()]).opened
        #expect(info.header.markings == markings)
        #expect(info.header.expires == PackageFixture.created + 3600)
        #expect(info.header.created == PackageFixture.created)
        #expect(markings.banner == "TLP:AMBER+STRICT · RESTRICTED · REL TO EU, NATO · EXDIS")
    }

    @Test("outsiders learn neither sender nor recipients")
    func anonymity() throws {
        let payload = Array("x".utf8)
        let package = try PackageFixture.seal(payload, from: alice, to: [bob, carol])
        let keys = [alice.secrets.identity.publicKey.rawRepresentation, bob.encryptionKey.rawRepresentation,
                    carol.encryptionKey.rawRepresentation]
        for key in keys {
            #expect(!package.contains(subsequence: key), "a public key appears in clear")
        }
        var input = MemorySource(package)
        let inspection = try PackageInspection(reading: &input)
        #expect(inspection.header.recipientCount == 2)
        #expect(inspection.isComplete)
        #expect(inspection.payloadByteCount == 1)
    }

    @Test("two seals of the same payload share no ciphertext")
    func freshness() throws {
        let payload = [UInt8](repeating: 7, count: 2000)
        let a = try PackageFixture.seal(payload, from: alice, to: [bob])
        let b = try PackageFixture.seal(payload, from: alice, to: [bob])
        #expect(Array(a[13..<29]) != Array(b[13..<29]), "package ids repeat")
        let la = PackageLayout(a), lb = PackageLayout(b)
        #expect(Array(a[la.frames[0].ciphertextOffset..<la.frames[0].end]) != Array(b[lb.frames[0].ciphertextOffset..<lb.frames[0].end]))
    }

    @Test("an empty recipient set is an error, never everyone")
    func emptyRecipients() throws {
        #expect(throws: CoreError(.invalidRecipients, "")) {
            try PackageFixture.seal([1], from: alice, to: [])
        }
        #expect(throws: CoreError(.invalidRecipients, "")) {
            try PackageFixture.seal([1], from: alice, to: [bob, bob])
        }
    }

    @Test("the chunk buffer is reused: sealing 8 MiB streams through one chunk")
    func streamingLargePayload() throws {
        var rng = SeededBytes(seed: 99)
        let payload = rng.next(8 << 20)
        var sealer = try PackageSealer(sender: alice.secrets.identity, recipients: [bob.encryptionKey],
                                       markings: try Markings(tlp: .green), created: PackageFixture.created, expires: nil)
        var input = MemorySource(payload)
        var output = MemorySink()
        #expect(try sealer.seal(from: &input, to: &output) == UInt64(payload.count))
        #expect(try PackageFixture.open(output.bytes, as: bob, senders: [alice.asSender()]).payload == payload)
    }
}

extension Array where Element == UInt8 {
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard needle.count <= count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<($0 + needle.count)]) == needle }
    }
}
