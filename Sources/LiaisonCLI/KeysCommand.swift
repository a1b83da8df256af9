import ArgumentParser
import LiaisonAudit
import Foundation
import LiaisonCore

/// `liaison keys …`: the node's own keys.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Show the node's keys, write its signed node card, rotate its keys or revoke its identity key.",
        subcommands: [Show.self, Card.self, Rotate.self, Revoke.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the node id, fingerprint and public keys (no passphrase needed).")

        @OptionGroup var node: HomeOptions
        @OptionGroup var output: OutputOptions

        func run() throws {
            let home = node.nodeHome
            let configuration = try home.loadConfiguration()
            let report = KeysReport(configuration: configuration, home: home)
            if output.json { return try printJSON(report) }
            print("node:        \(report.name)")
            print("fingerprint: \(report.fingerprint)")
            print("identity:    \(report.identity)    (Ed25519: cards, packages, receipts)")
            print("encryption:  \(report.encryption)    (X25519: package key wraps)")
            print("transport:   \(report.transport)    (X25519: Noise static key)")
            print("log:         \(report.log)    (Ed25519: audit checkpoints)")
            print("log key:     \(report.logKey)")
            print("             (give auditors this note verifier key: `liaison audit verify --log-key`)")
            print("witness key: \(report.witnessKey)")
            print("             (give partners' auditors this key: `liaison audit verify --witness-key`)")
            print("listen:      \(report.listen.isEmpty ? "(none)" : report.listen.joined(separator: ", "))")
            if report.protection == "none" {
                print("key file:    \(report.keyFile)  WARNING: UNPROTECTED (created with --no-passphrase); demo use only")
            } else {
                print("key file:    \(report.keyFile)  (Argon2id + XChaCha20-Poly1305)")
            }
            if let revokedAt = report.revokedAt {
                print("REVOKED:     this node revoked its own identity key on \(revokedAt) (\(home.revocationPath)); it sends and forwards nothing, and its log and witness keys above still verify what it signed before")
            }
            if let rotation = report.rotation {
                let state = rotation.overlapOpen ? "partners also accept the previous keys until" : "overlap ended"
                print("rotated:     \(rotation.rotatedAt) from \(rotation.previous); \(state) \(rotation.overlapUntil)")
                if !rotation.pendingPeers.isEmpty && rotation.overlapOpen {
                    print("             not told yet (the daemon retries): \(rotation.pendingPeers.joined(separator: ", "))")
                } else if !rotation.pendingPeers.isEmpty {
                    print("             NEVER TOLD before the overlap ended: \(rotation.pendingPeers.joined(separator: ", ")); give their operators \(home.rotationCardPath) (what was sealed for them before the rotation must be sent again)")
                }
            }
            switch report.logOrigin {
            case "on-file"?:
                print("log origin:  \(home.logOriginPath) (cards prove the log's name, liaison/\(configuration.logFingerprint), to partners added since)")
            case "missing"?:
                print("log origin:  MISSING: cards cannot prove the log's name, so partners added since cannot witness it (liaisond makes it at start while it holds the first identity key)")
            case let problem?:
                print("log origin:  UNUSABLE: \(problem)")
            case nil:
                break
            }
        }
    }

    struct Card: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the node card (public keys and addresses, signed by the identity key).")

        @OptionGroup var node: NodeOptions
        @OptionGroup var output: OutputOptions

        @Option(name: .long, help: ArgumentHelp("Where to write the card.", valueName: "file"), transform: OutputPath.parse)
        var out: String

        func run() throws {
            let home = node.nodeHome
            let configuration = try home.loadConfiguration()
            let secrets = try home.loadSecrets(configuration, passphrase: node.passphraseSource)
            let card = try home.card(configuration, secrets: secrets, now: Timestamp.now())
            var file = try AtomicOutputFile(path: out, overwrite: true, mode: 0o644)
            try file.write(Array(card.encoded.utf8))
            try file.commit()
            if card.auditLogFingerprint != configuration.logFingerprint {
                FileHandle.standardError.write(Data(("note: the card cannot prove the name of this node's audit log (\(configuration.logFingerprint.short), the identity it had before it rotated): "
                    + "partners who add it exchange packages but cannot witness the log. liaisond makes the proof when it starts, "
                    + "as long as it still holds that identity key as its previous one\n").utf8))
            }
            if output.json {
                return try printJSON(["name": card.name, "fingerprint": card.fingerprint.description, "out": out,
                                      "validUntil": Timestamp.iso8601(card.validUntil), "auditLogName": card.auditLogFingerprint.description])
            }
            print("Wrote the card of \"\(card.name)\" to \(out) (valid until \(Timestamp.iso8601(card.validUntil))).")
            print("Fingerprint for your partners to check: \(card.fingerprint)")
        }
    }
}

/// What `keys show --json` prints.
struct KeysReport: Encodable {
    let name: String
    let fingerprint: String
    let identity: String
    let encryption: String
    let transport: String
    let log: String
    /// The audit log's note verifier key and this node's cosigner key (as a witness).
    let logKey: String
    let witnessKey: String
    let listen: [String]
    let keyFile: String
    let protection: String
    /// The newest key rotation, if the node ever rotated.
    let rotation: RotationState?
    /// Once the node rotated: whether its cards can prove its log's name (`on-file`,
    /// `missing`, or why the file is unusable); nil before any rotation.
    let logOrigin: String?
    /// When this node revoked its own identity key (it sends and forwards nothing
    /// since), or nil. Its log and witness keys still verify what it signed before.
    let revokedAt: String?

    /// A rotation and its overlap window, for `keys show`.
    struct RotationState: Encodable {
        let previous: String
        let rotatedAt: String
        let overlapUntil: String
        let overlapOpen: Bool
        /// Partners not told yet (by name when the keyring names them, else by fingerprint).
        let pendingPeers: [String]
    }

    /// The partners of `fingerprints` by the names the keyring gives them, revoked and
    /// blocked ones left out; one it no longer knows by that fingerprint (removed, or
    /// rotated since) stays as it is.
    static func pending(_ fingerprints: [String], keyring: Keyring?) -> [String] {
        fingerprints.compactMap { fingerprint in
            guard let peer = keyring?.peers.first(where: { $0.fingerprint.description == fingerprint }) else { return fingerprint }
            return peer.revoked || peer.trust == .blocked ? nil : peer.name
        }.sorted()
    }

    init(configuration c: NodeConfiguration, home: NodeHome) {
        name = c.name
        fingerprint = c.publicKeys.fingerprint.description
        identity = KeyText.encode(c.publicKeys.identity)
        encryption = KeyText.encode(c.publicKeys.encryption)
        transport = KeyText.encode(c.publicKeys.transport)
        log = KeyText.encode(c.publicKeys.log)
        logKey = (try? NodeLogNames.logKey(c.publicKeys, named: c.logFingerprint).description) ?? ""
        witnessKey = (try? NodeLogNames.witnessKey(c.publicKeys, named: c.logFingerprint).description) ?? ""
        listen = c.listen
        keyFile = home.keyFilePath(c)
        protection = c.protection.name
        let now = Timestamp.now()
        if c.logFingerprint == c.publicKeys.fingerprint {
            logOrigin = nil
        } else {
            do { logOrigin = try home.logOrigin(c) == nil ? "missing" : "on-file" } catch let error as CoreError { logOrigin = error.message } catch { logOrigin = "\(error)" }
        }
        // Revoked is the file's being there (what stops every send); its time, if it reads.
        if home.isRevoked {
            do { revokedAt = try home.revocation().map { Timestamp.iso8601($0.revokedAt) } ?? "(unknown)" } catch { revokedAt = "(unknown: \(error))" }
        } else {
            revokedAt = nil
        }
        rotation = (try? home.rotation()).flatMap { $0 }.map { statement in
            RotationState(previous: statement.previousFingerprint.description, rotatedAt: Timestamp.iso8601(statement.rotatedAt),
                          overlapUntil: Timestamp.iso8601(statement.overlapUntil), overlapOpen: now < statement.overlapUntil,
                          pendingPeers: Self.pending(home.pendingRotationPeers(), keyring: try? home.loadKeyring(c)))
        }
    }
}
