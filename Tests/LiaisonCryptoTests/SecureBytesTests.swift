import LiaisonCrypto
import Testing

/// The error thrown by initialisers in these tests.
struct InitialiserFailure: Error, Equatable {
    let tag: Int
}

@Suite("SecureBytes")
struct SecureBytesTests {
    static let protections: [SecureBytes.Protection] = [.guarded, .wiped]

    /// A recognisable pattern whose hex (or decimal) must never appear in output.
    static let pattern: [UInt8] = [0xde, 0xad, 0xbe, 0xef, 0x13, 0x37, 0xc0, 0xde, 0xfe, 0xed, 0xfa, 0xce]

    // MARK: Redaction

    @Test("description and debugDescription never contain the bytes", arguments: protections)
    func redacted(_ protection: SecureBytes.Protection) {
        let secret = SecureBytes.vector(Self.pattern, protection: protection)
        var dumped = ""
        dump(secret, to: &dumped)
        let renderings = [
            secret.description,
            secret.debugDescription,
            String(describing: secret),
            String(reflecting: secret),
            "\(secret)",
            "\([secret])",
            dumped,
        ]
        let hex = Hex.string(Self.pattern)
        let forbidden = [
            hex, hex.uppercased(),
            "deadbeef", "DEADBEEF", "feedface", "FEEDFACE",
            "222, 173, 190, 239",  // the bytes printed as an array of decimals
        ]
        for rendering in renderings {
            for needle in forbidden {
                #expect(!rendering.contains(needle), "\(rendering) contains \(needle)")
            }
        }
        #expect(secret.description.contains("12 bytes"))
        #expect(secret.description.contains("redacted"))
    }

    // MARK: Storage

    @Test("bytes written by the initialiser are read back", arguments: protections)
    func storesBytes(_ protection: SecureBytes.Protection) {
        let secret = SecureBytes(count: 40, protection: protection) { buffer in
            for i in buffer.indices { buffer[i] = UInt8(i) }
        }
        #expect(secret.count == 40)
        #expect(secret.testContents == (0..<40).map { UInt8($0) })
        // Reading twice gives the same bytes: access does not consume or move them.
        #expect(secret.testContents == secret.testContents)
    }

    @Test("the initialiser is handed exactly count zeroed bytes", arguments: protections)
    func initialiserSeesZeroedBuffer(_ protection: SecureBytes.Protection) {
        var seenCount = -1
        var allZero = false
        let secret = SecureBytes(count: 33, protection: protection) { buffer in
            seenCount = buffer.count
            allZero = buffer.allSatisfy { $0 == 0 }
        }
        #expect(seenCount == 33)
        #expect(allZero)
        #expect(secret.testContents == [UInt8](repeating: 0, count: 33))
    }

    @Test("copying init copies the bytes", arguments: protections)
    func copying(_ protection: SecureBytes.Protection) {
        var source = Self.pattern
        let secret = source.withUnsafeBytes { SecureBytes(copying: $0, protection: protection) }
        source[0] = 0  // the caller's copy is independent
        #expect(secret.testContents == Self.pattern)
    }

    @Test("zero-length secrets are allowed", arguments: protections)
    func empty(_ protection: SecureBytes.Protection) {
        let secret = SecureBytes(count: 0, protection: protection) { buffer in
            #expect(buffer.isEmpty)
        }
        #expect(secret.count == 0)
        #expect(secret.testContents.isEmpty)
        #expect(secret.constantTimeEquals(SecureBytes(count: 0, protection: .wiped) { _ in }))
    }

    @Test("random secrets have the requested length and differ", arguments: protections)
    func random(_ protection: SecureBytes.Protection) throws {
        let a = try SecureBytes.random(count: 32, protection: protection)
        let b = try SecureBytes.random(count: 32, protection: protection)
        #expect(a.count == 32)
        #expect(b.count == 32)
        #expect(!a.constantTimeEquals(b))
        #expect(a.testContents != [UInt8](repeating: 0, count: 32))
    }

    // MARK: Comparison

    @Test("constantTimeEquals compares contents, across protections")
    func constantTimeEquals() {
        let guarded = SecureBytes.vector(Self.pattern, protection: .guarded)
        let wiped = SecureBytes.vector(Self.pattern, protection: .wiped)
        #expect(guarded.constantTimeEquals(wiped))
        #expect(wiped.constantTimeEquals(guarded))
        #expect(guarded.constantTimeEquals(guarded))

        for bit in [0, 7, 45, 95] {
            let other = SecureBytes.vector(flippingBit(bit, of: Self.pattern))
            #expect(!guarded.constantTimeEquals(other), "bit \(bit)")
        }
        // A prefix is not equal: lengths are compared too.
        #expect(!guarded.constantTimeEquals(SecureBytes.vector(Array(Self.pattern.dropLast()))))
        #expect(!guarded.constantTimeEquals(SecureBytes.vector(Self.pattern + [0])))
    }

    // MARK: Failing initialisers

    /// The initialiser's error must reach the caller unchanged. Run in a child
    /// process: the error path frees memory, and a crash there (for example a
    /// double free) must fail this test rather than the whole run.
    @Test("an initialiser that throws propagates its error")
    func throwingInitialiser() async {
        await #expect(processExitsWith: .success) {
            for (tag, protection) in [SecureBytes.Protection.wiped, .guarded].enumerated() {
                do {
                    _ = try SecureBytes(count: 32, protection: protection) { buffer in
                        buffer[0] = 0xff
                        throw InitialiserFailure(tag: tag)
                    }
                    preconditionFailure("the initialiser's error was swallowed")
                } catch let error as InitialiserFailure {
                    precondition(error == InitialiserFailure(tag: tag), "a different error arrived")
                }
            }
        }
    }
}
