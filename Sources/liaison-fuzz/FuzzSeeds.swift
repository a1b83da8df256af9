#if !LIAISON_FUZZ
import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonWire

/// Valid inputs for each target, made with the same code that makes them in
/// use: the fuzzer starts from these and mutates its way into the corners.
enum FuzzSeeds {
    /// Writes `DIR/TARGET/seed-N` for every target.
    static func write(to directory: String) throws {
        let alice = try NodeSecrets.generate(), bob = try NodeSecrets.generate()
        let id = try PackageID(parsing: "00112233445566778899aabbccddeeff")
        let receipt = DeliveryReceipt(packageID: id, headerHash: [UInt8](repeating: 7, count: 64), recipient: bob.identity,
                                      sender: NodeFingerprint(identity: alice.identity.publicKey), receivedAt: FuzzTarget.now)
        let signer = try NoteSigner(name: "liaison/fuzz", secretKey: alice.log)
        let note = try signer.sign(try Checkpoint(origin: "liaison/fuzz", size: 5, rootHash: [UInt8](repeating: 9, count: 32)))
        let event = AuditEvent(time: FuzzTarget.now * 1000, kind: .packageDelivered, actor: .daemon,
                               peer: NodeFingerprint(identity: bob.identity.publicKey).description, package: id.description,
                               markings: "TLP:AMBER RESTRICTED", remote: "192.0.2.1:4500",
                               details: ["size": "1024", "note": "a \"quoted\" \\ line\n"])
        var sealer = try PackageSealer(sender: alice.identity, recipients: [bob.encryption.publicKey], markings: try Markings(tlp: .amber),
                                       created: FuzzTarget.now, expires: FuzzTarget.now + 3600, chunkSize: 1024)
        var payload = MemorySource(Array("an indicator of compromise".utf8))
        var sealed = MemorySink()
        try sealer.seal(from: &payload, to: &sealed)
        // For the whole-package target: from and to the fixed keys, one chunk and three.
        let fixedPackages = try [Array("an indicator".utf8), [UInt8](repeating: 0x5A, count: 2500)].map { payload in
            var sealer = try PackageSealer(sender: FuzzTarget.senderIdentity, recipients: [FuzzTarget.recipientEncryption.publicKey, bob.encryption.publicKey],
                                           markings: try Markings(tlp: .green), created: FuzzTarget.now, expires: FuzzTarget.now + 3600, chunkSize: 1024)
            var source = MemorySource(payload)
            var sink = MemorySink()
            try sealer.seal(from: &source, to: &sink)
            return sink.bytes
        }
        let card = try NodeCard(name: "bravo", secrets: bob, addresses: ["127.0.0.1:4500"], validFrom: FuzzTarget.now,
                                validUntil: FuzzTarget.now + 86_400)
        // The same node after a rotation: its card proves its log's name.
        let rotatedCard = try NodeCard(name: "bravo", secrets: NodeSecrets(identity: alice.identity, encryption: bob.encryption, transport: bob.transport, log: bob.log),
                                       addresses: ["127.0.0.1:4500"], validFrom: FuzzTarget.now, validUntil: FuzzTarget.now + 86_400,
                                       logOrigin: LogOrigin(signing: bob.identity, log: bob.log.publicKey))
        let manifest = AuditBundleManifest(origin: "liaison/fuzz", node: "alpha", fingerprint: NodeFingerprint(identity: alice.identity.publicKey).description,
                                           entries: 5, exported: AuditBundleManifest.timestamp(unixSeconds: FuzzTarget.now))
        var initiator = try NoiseIKInitiator(localStatic: alice.transport, remoteStatic: FuzzTarget.responderKey.publicKey,
                                             prologue: HandshakeHello.prologue)

        let seeds: [FuzzTarget: [[UInt8]]] = [
            .session: [
                SessionMessage.offer(packageID: id, size: 4096, expires: FuzzTarget.now), .accept(packageID: id, offset: 1024),
                .reject(packageID: id, reason: .refused, detail: "policy"), .data([1, 2, 3]), .end(packageID: id, size: 4096),
                .receipt(receipt), .rekey, .close(reason: .done), .push(packageID: id, expires: nil, bytes: sealed.bytes),
                .witnessRequest(note: note.bytes, oldSize: 3, proof: [[UInt8](repeating: 1, count: 32)]),
                .witnessRefused(knownSize: 4, reason: "fork"), .witnessRefused(knownSize: 9, reason: "refused", evidence: Array("liaison/x\n9\nAAAA\n\n".utf8)), .rotationAccepted,
            ].map(\.encoded),
            .frames: [[0, 3, 1, 2, 3, 0, 0, 0, 1, 9], [255, 255] + [UInt8](repeating: 0, count: 65_535) + [0, 2, 7, 7, 1]],
            .handshake: [try initiator.writeMessage1(payload: HandshakeHello(timestamp: 1).encoded), HandshakeHello(timestamp: 1).encoded,
                         HandshakeWelcome.encoded],
            .statement: [try RevocationStatement(revoking: alice.identity, at: FuzzTarget.now, reason: "key compromise").encoded,
                         try RotationStatement(previous: alice.identity, card: card, rotatedAt: FuzzTarget.now, overlapUntil: FuzzTarget.now + 3600).encoded],
            .manifest: [manifest.json, Array(signer.verifierKey.description.utf8)],
            .receipt: [receipt.encoded],
            .leaf: [event.canonicalBytes, AuditEvent(time: 1, kind: .nodeCreated, actor: .daemon).canonicalBytes],
            .note: [note.bytes],
            .proof: [try TLogProof(index: 2, hashes: [[UInt8](repeating: 3, count: 32)], checkpoint: note).bytes],
            .card: [Array(card.encoded.utf8), Array(rotatedCard.encoded.utf8)],
            .toml: [Array("""
                [node]
                name = "alpha"   # a comment
                listen = ["127.0.0.1:4500", "[::1]:4500"]
                [daemon]
                retry-initial-seconds = 1.5
                [[peer]]
                name = 'bravo'
                tags = { tlp = "AMBER", n = 3 }
                """.utf8)],
            .header: [sealed.bytes],
            .package: fixedPackages,
            .control: [
                #"{"command":"status"}"#,
                #"{"command":"send","to":["bravo","charlie"],"tlp":"AMBER","classification":"RESTRICTED","releasableTo":["NATO"],"expires":"7d","files":2}"#,
                #"{"command":"audit.query","events":["package.delivered"],"limit":20,"cursor":3,"newestFirst":true,"since":null}"#,
            ].map { Array($0.utf8) },
        ]
        for (target, inputs) in seeds {
            let folder = directory + "/" + target.rawValue
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (n, input) in inputs.enumerated() {
                try Data(input).write(to: URL(fileURLWithPath: folder + "/seed-\(n)"))
            }
        }
        print("wrote seeds for \(seeds.count) targets to \(directory)")
    }
}
#endif
