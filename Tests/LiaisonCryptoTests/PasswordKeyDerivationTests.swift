import LiaisonCrypto
import Testing

@Suite("Argon2id password key derivation")
struct PasswordKeyDerivationTests {
    /// The smallest accepted parameters, to keep the suite fast.
    static let fast = Argon2idParameters(opsLimit: 2, memLimit: 8 << 20)
    static let salt: [UInt8] = (0..<16).map { UInt8($0) }
    static let passphrase = Array("correct horse battery staple".utf8)

    static func derive(_ passphrase: [UInt8] = passphrase, salt: [UInt8] = salt,
                       parameters: Argon2idParameters = fast) throws -> SymmetricKey {
        try PasswordKeyDerivation.deriveKey(passphrase: .vector(passphrase, protection: .guarded), salt: salt, parameters: parameters)
    }

    // MARK: Derivation

    @Test("the same inputs give the same key")
    func deterministic() throws {
        let a = try Self.derive()
        let b = try Self.derive()
        #expect(a.constantTimeEquals(b))
        #expect(a.testContents.count == SymmetricKey.byteCount)
    }

    @Test("a different salt gives a different key")
    func saltMatters() throws {
        let a = try Self.derive()
        let b = try Self.derive(salt: flippingBit(0, of: Self.salt))
        #expect(!a.constantTimeEquals(b))
    }

    @Test("a different passphrase gives a different key")
    func passphraseMatters() throws {
        let a = try Self.derive()
        let b = try Self.derive(Array("correct horse battery stapler".utf8))
        let c = try Self.derive(flippingBit(0, of: Self.passphrase))
        #expect(!a.constantTimeEquals(b))
        #expect(!a.constantTimeEquals(c))
        #expect(!b.constantTimeEquals(c))
    }

    @Test("different parameters give a different key")
    func parametersMatter() throws {
        let a = try Self.derive()
        let b = try Self.derive(parameters: Argon2idParameters(opsLimit: 3, memLimit: 8 << 20))
        #expect(!a.constantTimeEquals(b))
    }

    @Test("an empty passphrase is accepted and differs from a non-empty one")
    func emptyPassphrase() throws {
        let empty = try Self.derive([])
        let again = try Self.derive([])
        #expect(empty.constantTimeEquals(again))
        let nonEmpty = try Self.derive()
        #expect(!empty.constantTimeEquals(nonEmpty))
    }

    /// Not a published vector: the reference output was computed with a second,
    /// independent Argon2id v1.3 implementation (OpenSSL 3 through Python
    /// `cryptography`'s `Argon2id(salt: 00..0f, length: 32, iterations: 2,
    /// lanes: 1, memory_cost: 8192)`). It pins the algorithm (Argon2id, not
    /// Argon2i), one lane, and memLimit being bytes rather than KiB.
    @Test("matches an independent Argon2id implementation")
    func crossImplementation() throws {
        let key = try Self.derive()
        #expect(Hex.string(key.testContents) == "a891dd91a3d123add6ea78ceedcc94a7f1dc1e4ca480e57e6f240a113662ea2f")
    }

    // MARK: Rejected inputs

    @Test("salts of the wrong length are rejected", arguments: [0, 8, 15, 17, 32])
    func wrongSaltLength(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try Self.derive(salt: [UInt8](repeating: 0x5a, count: length))
        }
        #expect(error?.code == .invalidLength)
        #expect(PasswordKeyDerivation.saltByteCount == 16)
    }

    @Test(
        "parameters below libsodium's minimum are rejected",
        arguments: [Argon2idParameters(opsLimit: 0, memLimit: 8 << 20), Argon2idParameters(opsLimit: 2, memLimit: 0)]
    )
    func belowMinimum(_ parameters: Argon2idParameters) {
        let error = #expect(throws: CryptoError.self) {
            try Self.derive(parameters: parameters)
        }
        #expect(error?.code == .invalidParameters)
    }

    /// libsodium refuses a memory limit above its maximum (4 TiB on 64-bit) without
    /// allocating anything, so this reaches the failure path of the derivation cheaply.
    /// That path throws from inside `SecureBytes.init(count:protection:initialise:)`;
    /// run in a child process so that a crash there fails this test, not the run.
    @Test("a failing Argon2id run is reported as an error")
    func derivationFailure() async {
        await #expect(processExitsWith: .success) {
            do {
                _ = try PasswordKeyDerivationTests.derive(parameters: Argon2idParameters(opsLimit: 2, memLimit: 1 << 50))
                preconditionFailure("Argon2id accepted a 1 PiB memory limit")
            } catch let error as CryptoError {
                precondition([.keyDerivationFailed, .invalidParameters].contains(error.code), "wrong error \(error)")
            }
        }
    }

    // MARK: Parameter policy

    @Test("the default parameters are 3 passes over 64 MiB and acceptable")
    func defaults() {
        #expect(Argon2idParameters.default.opsLimit == 3)
        #expect(Argon2idParameters.default.memLimit == 64 << 20)
        #expect(Argon2idParameters.default.isAcceptable)
        #expect(Self.fast.isAcceptable)
    }

    @Test(
        "values at the edges of the accepted ranges are acceptable",
        arguments: [
            Argon2idParameters(opsLimit: 2, memLimit: 8 << 20),
            Argon2idParameters(opsLimit: 10, memLimit: 8 << 20),
            Argon2idParameters(opsLimit: 2, memLimit: 1 << 30),
            Argon2idParameters(opsLimit: 10, memLimit: 1 << 30),
        ]
    )
    func edgesAcceptable(_ parameters: Argon2idParameters) {
        #expect(parameters.isAcceptable)
    }

    @Test(
        "out-of-range values are not acceptable",
        arguments: [
            Argon2idParameters(opsLimit: 0, memLimit: 64 << 20),
            Argon2idParameters(opsLimit: 1, memLimit: 64 << 20),
            Argon2idParameters(opsLimit: 11, memLimit: 64 << 20),
            Argon2idParameters(opsLimit: .max, memLimit: 64 << 20),
            Argon2idParameters(opsLimit: 3, memLimit: 0),
            Argon2idParameters(opsLimit: 3, memLimit: (8 << 20) - 1),
            Argon2idParameters(opsLimit: 3, memLimit: (1 << 30) + 1),
            Argon2idParameters(opsLimit: 3, memLimit: .max),
        ]
    )
    func outOfRange(_ parameters: Argon2idParameters) {
        #expect(!parameters.isAcceptable)
    }
}
