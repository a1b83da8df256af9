import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonCrypto
import LiaisonWire

/// What a fuzz run feeds its bytes to: each parser that takes input from a peer,
/// a file or an operator. Every one must answer arbitrary bytes with a value or
/// a thrown error — never a crash, a hang or unbounded memory — and where a
/// parser has a canonical form, what it accepts must encode back to itself.
enum FuzzTarget: String, CaseIterable {
    /// A session message after the Noise handshake (from a peer).
    case session
    /// The length-prefixed frames a connection is cut into (from a peer).
    case frames
    /// Noise message 1 at a responder (from anyone who can connect), and the
    /// version payloads of both handshake messages, which decryption otherwise
    /// keeps mutations from reaching.
    case handshake
    /// A peer's key revocation or rotation statement, decoded before any signature check.
    case statement
    /// An end-to-end receipt (from a peer).
    case receipt
    /// An audit leaf (from a bundle), and the fast scanner against the full decoder.
    case leaf
    /// A C2SP signed note and the checkpoint in it (from a file or a witness).
    case note
    /// A C2SP tlog-proof (from a file).
    case proof
    /// An audit bundle's manifest and a log's verifier key (from a bundle, an auditor).
    case manifest
    /// A node card (`peers import`).
    case card
    /// A TOML document (liaison.toml, keyring.toml).
    case toml
    /// A package's preamble and header (from a peer or a file).
    case header
    /// A whole package opened as its recipient (from a peer or a file), with keys
    /// fixed across runs (``senderIdentity``, ``recipientEncryption``) so that a
    /// finding replays.
    case package
    /// A control request's JSON (from a local user the socket lets in).
    case control

    /// Parses `bytes`; traps (so the fuzzer reports it) if a property fails.
    func run(_ bytes: [UInt8]) {
        switch self {
        case .session:
            guard let message = try? SessionMessage(decoding: bytes) else { return }
            // What decodes must encode to a message that decodes the same.
            let again = try? SessionMessage(decoding: message.encoded)
            check(again.map { $0.encoded == message.encoded } ?? false, "a session message does not survive encoding")
        case .frames:
            // Fed in uneven slices, as TCP delivers them, the decoder must yield exactly
            // the frames a plain walk over the whole input finds.
            var decoder = FrameDecoder()
            var frames: [[UInt8]] = []
            // Slice lengths from one byte to several frames' worth, starting where the input says.
            let slices = [1, 2, 3, 7, 98, 1000, 65_537]
            var offset = 0, turn = Int(bytes.first ?? 0)
            while offset < bytes.count {
                let step = slices[turn % slices.count]
                decoder.feed(bytes[offset..<min(offset + step, bytes.count)])
                offset += step
                turn += 1
                while let frame = try? decoder.nextFrame() { frames.append(frame) }
            }
            var expected: [[UInt8]] = []
            var position = 0
            while position + 2 <= bytes.count {
                let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
                guard position + 2 + length <= bytes.count else { break }
                expected.append(Array(bytes[(position + 2)..<(position + 2 + length)]))
                position += 2 + length
            }
            check(frames == expected, "the frame decoder cut the stream differently from its definition")
        case .handshake:
            _ = try? HandshakeHello(decoding: bytes)
            _ = try? HandshakeWelcome.features(decoding: bytes)
            guard var responder = try? NoiseIKResponder(localStatic: Self.responderKey, prologue: HandshakeHello.prologue) else { return }
            if let (_, payload) = try? responder.readMessage1(bytes) { _ = try? HandshakeHello(decoding: payload) }
        case .statement:
            if let revocation = try? RevocationStatement(decoding: bytes) {
                check(revocation.encoded == bytes, "a revocation statement is not its own encoding")
            }
            if let rotation = try? RotationStatement(decoding: bytes, now: Self.now) {
                check(rotation.encoded == bytes, "a rotation statement is not its own encoding")
            }
        case .receipt:
            guard let receipt = try? DeliveryReceipt(decoding: bytes) else { return }
            check((try? DeliveryReceipt(decoding: receipt.encoded)) == receipt, "a receipt does not survive encoding")
        case .leaf:
            let certain = bytes.withUnsafeBytes { CanonicalLeafScanner.isCertainlyCanonical($0) }
            let decoded = try? AuditEvent(canonicalBytes: bytes)
            // The verifier skips the full decoder for what the scanner vouches for:
            // the scanner must never vouch for a leaf the decoder refuses.
            // (The decoder itself refuses what does not encode back to the same bytes.)
            if certain { check(decoded != nil, "the scanner vouches for a leaf the decoder refuses") }
        case .note:
            guard let note = try? SignedNote(parsing: bytes) else { return }
            check(note.bytes == bytes, "a signed note is not formatted back to its own bytes")
            _ = try? Checkpoint(parsing: note.text)
        case .proof:
            guard let proof = try? TLogProof(parsing: bytes) else { return }
            check(proof.bytes == bytes, "a tlog-proof is not formatted back to its own bytes")
        case .manifest:
            _ = try? AuditBundleManifest(json: bytes)
            if let text = String(validating: bytes, as: UTF8.self) { _ = try? NoteVerifierKey(parsing: text) }
        case .card:
            guard let text = String(validating: bytes, as: UTF8.self) else { return }
            _ = try? NodeCard(parsing: text, now: Self.now)
        case .toml:
            _ = try? TOMLParser.parse(utf8: bytes)
        case .header:
            var source = MemorySource(bytes)
            _ = try? PackageOpener.readHeader(from: &source)
        case .package:
            openAsRecipient(bytes)
        case .control:
            guard let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(bytes)) else { return }
            // What the daemon accepted, the CLI's encoder must write so that it reads back the same.
            let again = (try? JSONEncoder().encode(request)).flatMap { try? JSONDecoder().decode(ControlRequest.self, from: $0) }
            check(again == request, "a control request does not survive encoding")
        }
    }

    /// Opens `bytes` as ``recipientEncryption``, from ``senderIdentity``, chunk after
    /// chunk until it fails or ends: no chunk may hand out more than it read.
    private func openAsRecipient(_ bytes: [UInt8]) {
        var source = MemorySource(bytes)
        let senders = StaticSenderDirectory([KnownSender(name: "alpha", identity: Self.senderIdentity.publicKey)])
        guard var opener = try? PackageOpener(reading: &source, recipient: Self.recipientEncryption, senders: senders, now: Self.now) else {
            return
        }
        var delivered = 0
        // Bounded: every chunk read consumes input, and the input is finite.
        while (try? opener.openNextChunk(from: &source, deliver: { delivered += $0.count })) == true {}
        check(delivered <= bytes.count, "an opener handed out more bytes than the package holds")
    }

    /// A fixed time, so a finding replays the same way.
    static let now: Int64 = 1_795_651_200

    /// A fixed responder key, so a finding replays the same way.
    static let responderKey: TransportSecretKey = {
        // A fixed, valid X25519 secret: 32 bytes of 0x42 (clamped by X25519 itself).
        try! TransportSecretKey(rawSecret: SecureBytes(count: 32, protection: .wiped) { $0.initializeMemory(as: UInt8.self, repeating: 0x42) })
    }()

    /// The fixed sender of the `package` target's seeds: an Ed25519 seed of 32 bytes of 0x11.
    static let senderIdentity: IdentitySecretKey = {
        try! IdentitySecretKey(seed: SecureBytes(count: 32, protection: .wiped) { $0.initializeMemory(as: UInt8.self, repeating: 0x11) })
    }()

    /// The fixed recipient of the `package` target's seeds: an X25519 secret of 32 bytes of 0x22.
    static let recipientEncryption: EncryptionSecretKey = {
        try! EncryptionSecretKey(rawSecret: SecureBytes(count: 32, protection: .wiped) { $0.initializeMemory(as: UInt8.self, repeating: 0x22) })
    }()

    private func check(_ condition: Bool, _ property: String) {
        if !condition { fatalError("\(rawValue): \(property)") }
    }
}
