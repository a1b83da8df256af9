import LiaisonAudit
import LiaisonCrypto

/// A small honest audit log with real keys: canonical leaves, a log signer and
/// two witnesses, and helpers to sign and cosign checkpoints over any leaves
/// (honest or tampered) and to verify them.
struct AuditLogFixture {
    static let origin = "liaison.example/node-a/audit"
    static let timestamp: UInt64 = 1_760_000_000

    let log: NoteSigner
    let witnesses: [Cosigner]
    /// The honest leaves, in log order.
    let leaves: [[UInt8]]

    init(entryCount: Int = 12) throws {
        log = try NoteSigner(name: Self.origin, secretKey: LogSecretKey())
        witnesses = [
            try Cosigner(name: "witness.example/w1", secretKey: LogSecretKey()),
            try Cosigner(name: "witness.example/w2", secretKey: LogSecretKey()),
        ]
        leaves = (0..<entryCount).map { Self.event($0).canonicalBytes }
    }

    var logKey: NoteVerifierKey { log.verifierKey }
    var witnessKeys: [NoteVerifierKey] { witnesses.map(\.verifierKey) }

    /// A varied, realistic event for entry `index`.
    static func event(_ index: Int, peerName: String = "nato-cert") -> AuditEvent {
        let kinds: [AuditEventKind] = [.packageSealed, .packageSent, .packageDelivered, .receiptReceived, .policyDenied]
        return AuditEvent(
            time: 1_760_000_000_000 + Int64(index) * 1000,
            kind: kinds[index % kinds.count],
            outcome: index % 5 == 4 ? .denied : .ok,
            actor: index % 3 == 0 ? .local(uid: 1000, role: "operator") : .peer("b3f1c0de9a8b7c6d5e4f3011"),
            peerName: peerName,
            package: "0123456789abcdef0123456789ab" + String(1000 + index),
            markings: "TLP:AMBER REL TO NATO",
            reason: index % 5 == 4 ? "policy.rule-3: \"releasability\" not met" : nil,
            details: ["attempt": "\(index % 3 + 1)", "bytes": "\(index * 37)"]
        )
    }

    /// The root of the first `size` of `leaves`.
    static func root(_ leaves: [[UInt8]], size: Int) -> [UInt8] {
        var accumulator = MerkleAccumulator()
        for leaf in leaves.prefix(size) { accumulator.append(leafData: leaf) }
        return accumulator.root
    }

    /// The checkpoint note of `leaves` (the honest ones by default) at `size`,
    /// signed by `signer` (the log by default) and cosigned by `cosigners`
    /// (both witnesses by default).
    func checkpoint(
        size: Int, of leaves: [[UInt8]]? = nil, signer: NoteSigner? = nil, cosigners: [Cosigner]? = nil
    ) throws -> SignedNote {
        let checkpoint = try Checkpoint(origin: Self.origin, size: size, rootHash: Self.root(leaves ?? self.leaves, size: size))
        var note = try (signer ?? log).sign(checkpoint)
        for witness in cosigners ?? witnesses {
            note = try note.adding(witness.cosign(checkpoint, timestamp: Self.timestamp))
        }
        return note
    }

    /// Checkpoint notes at `sizes` of `leaves`, as bytes.
    func checkpoints(_ sizes: [Int], of leaves: [[UInt8]]? = nil, cosigners: [Cosigner]? = nil) throws -> [[UInt8]] {
        try sizes.map { try checkpoint(size: $0, of: leaves, cosigners: cosigners).bytes }
    }

    /// Verifies `leaves` against `checkpoints` under this log's keys.
    func verify(
        _ leaves: [[UInt8]], checkpoints: [[UInt8]], names: [String]? = nil, requiredWitnesses: Int = 2,
        trustedCheckpoint: [UInt8]? = nil
    ) throws -> AuditVerificationReport {
        var verifier = try AuditLogVerifier(
            logKey: logKey, witnesses: witnessKeys, requiredWitnesses: requiredWitnesses,
            checkpoints: checkpoints, checkpointNames: names, trustedCheckpoint: trustedCheckpoint
        )
        for leaf in leaves { verifier.append(leaf: leaf) }
        return verifier.finish()
    }
}

extension AuditVerificationReport {
    /// The codes of the stored failures, in order.
    var codes: [AuditVerificationFailure.Code] { failures.map(\.code) }

    /// The stored failures with `code`.
    func failures(_ code: AuditVerificationFailure.Code) -> [AuditVerificationFailure] {
        failures.filter { $0.code == code }
    }
}
