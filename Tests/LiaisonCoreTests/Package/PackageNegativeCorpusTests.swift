import LiaisonCore
import LiaisonCrypto
import LiaisonTestSupport
import Testing

/// Every corrupted package is rejected with its own specific error.
@Suite("Package negative corpus")
struct PackageNegativeCorpusTests {
    struct Fixture {
        let alice: TestNode
        let bob: TestNode
        let carol: TestNode
        let corpus: [CorruptPackage]

        init() throws {
            alice = try TestNode("alice")
            bob = try TestNode("bob")
            carol = try TestNode("carol")
            var rng = SeededBytes(seed: 7)
            let payload = rng.next(4 * 1024 + 300)
            let package = try PackageFixture.seal(payload, from: alice, to: [bob, carol], expires: PackageFixture.created + 86_400)
            let other = try PackageFixture.seal(rng.next(3000), from: alice, to: [bob, carol])
            let ourWrap = try #require(try PackageLayout(package).wrapIndex(in: package, for: bob.secrets.encryption))
            corpus = NegativeCorpus.cases(from: package, ourWrap: ourWrap, otherPackage: other)
        }
    }

    @Test("the corpus has at least 40 distinct cases")
    func size() throws {
        let corpus = try Fixture().corpus
        #expect(corpus.count >= 40)
        #expect(Set(corpus.map(\.name)).count == corpus.count)
        #expect(Set(corpus.map(\.expected)).count >= 17, "the corpus should exercise most error codes")
    }

    @Test("each corruption is rejected with its specific error")
    func rejected() throws {
        let f = try Fixture()
        for corrupt in f.corpus {
            var delivered = 0
            do {
                var input = MemorySource(corrupt.bytes)
                var opener = try PackageOpener(reading: &input, recipient: f.bob.secrets.encryption,
                                               senders: StaticSenderDirectory([f.alice.asSender()]), now: PackageFixture.created + 60)
                while try opener.openNextChunk(from: &input, deliver: { delivered += $0.count }) {}
                Issue.record("\(corrupt.name): accepted, expected \(corrupt.expected.rawValue)")
            } catch let error as CoreError {
                #expect(error.code == corrupt.expected, "\(corrupt.name): got \(error.code.rawValue) (\(error.message))")
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test("a recipient who is not addressed gets no key")
    func notAddressed() throws {
        let f = try Fixture()
        let mallory = try TestNode("mallory")
        let package = try PackageFixture.seal([1, 2, 3], from: f.alice, to: [f.bob])
        #expect(throws: CoreError(.notARecipient, "")) {
            try PackageFixture.open(package, as: mallory, senders: [f.alice.asSender()])
        }
    }

    @Test("an unknown sender is refused and named by fingerprint")
    func unknownSender() throws {
        let f = try Fixture()
        let package = try PackageFixture.seal([1, 2, 3], from: f.alice, to: [f.bob])
        do {
            _ = try PackageFixture.open(package, as: f.bob, senders: [f.carol.asSender()])
            Issue.record("accepted a package from an unknown sender")
        } catch let error as CoreError {
            #expect(error.code == .unknownSender)
            #expect(error.message.contains(f.alice.asSender().fingerprint.description))
        }
    }

    @Test("a revoked sender is refused")
    func revokedSender() throws {
        let f = try Fixture()
        let package = try PackageFixture.seal([1, 2, 3], from: f.alice, to: [f.bob])
        #expect(throws: CoreError(.senderRevoked, "")) {
            try PackageFixture.open(package, as: f.bob, senders: [f.alice.asSender(revoked: true)])
        }
    }

    @Test("an expired package is refused; one from the future too")
    func validity() throws {
        let f = try Fixture()
        let package = try PackageFixture.seal([1], from: f.alice, to: [f.bob], expires: PackageFixture.created + 3600)
        #expect(throws: CoreError(.expired, "")) {
            try PackageFixture.open(package, as: f.bob, senders: [f.alice.asSender()], now: PackageFixture.created + 3600)
        }
        #expect(throws: CoreError(.notYetValid, "")) {
            try PackageFixture.open(package, as: f.bob, senders: [f.alice.asSender()], now: PackageFixture.created - 3600)
        }
        _ = try PackageFixture.open(package, as: f.bob, senders: [f.alice.asSender()], now: PackageFixture.created + 3599)
    }

    @Test("a recipient cannot re-address the package to a third party (surreptitious forwarding)")
    func surreptitiousForwarding() throws {
        let f = try Fixture()
        var rng = SeededBytes(seed: 11)
        let payload = rng.next(2500)
        let original = try PackageFixture.seal(payload, from: f.alice, to: [f.bob])
        let forwarded = try Forger.rewrap(original, by: f.bob, to: f.carol)
        #expect(throws: CoreError(.signatureInvalid, "")) {
            try PackageFixture.open(forwarded, as: f.carol, senders: [f.alice.asSender(), f.bob.asSender()])
        }
    }

    @Test("a recipient cannot alter the payload and keep the sender's signature")
    func recipientForgery() throws {
        let f = try Fixture()
        let original = try PackageFixture.seal(Array(repeating: 1, count: 1500), from: f.alice, to: [f.bob, f.carol])
        let forged = try Forger.replaceChunkData(original, by: f.bob, chunk: 0, with: Array(repeating: 2, count: 1024))
        #expect(throws: CoreError(.signatureInvalid, "")) {
            try PackageFixture.open(forged, as: f.carol, senders: [f.alice.asSender()])
        }
    }
}
