import LiaisonCore
import LiaisonCrypto
import LiaisonWire

/// This node's configuration and secret keys as they are now, and the keys before
/// its newest rotation. `keys rotate` swaps them while the daemon runs.
struct LocalKeys: Sendable {
    var configuration: NodeConfiguration
    var secrets: NodeSecrets
    /// The keys before the newest rotation (kept until the next one: packages stored
    /// in the inbox may be sealed to the old encryption key).
    var previous: NodeSecrets?
    /// End of the overlap window: until then partners may still use the previous keys.
    var previousUntil: Int64?
}

extension DaemonContext {
    /// The node's configuration (its public keys change with `keys rotate`).
    var configuration: NodeConfiguration { localKeys.withLockedValue { $0.configuration } }

    /// The node's current secret keys.
    var secrets: NodeSecrets { localKeys.withLockedValue { $0.secrets } }

    /// The keys that answer a handshake at `now`: the current ones, then the previous
    /// ones while the overlap is open — read together, so a rotation committed
    /// meanwhile cannot leave the new transport key untried.
    func handshakeSecrets(at now: Int64) -> [NodeSecrets] {
        localKeys.withLockedValue { keys in
            guard let previous = keys.previous, let until = keys.previousUntil, now < until else { return [keys.secrets] }
            return [keys.secrets, previous]
        }
    }

    /// The keys before the newest rotation while its overlap window is open at `now`:
    /// handshakes to the old transport key are answered, receipts naming the old
    /// fingerprint are accepted.
    func previousSecrets(at now: Int64) -> NodeSecrets? {
        localKeys.withLockedValue { keys in
            guard let previous = keys.previous, let until = keys.previousUntil, now < until else { return nil }
            return previous
        }
    }

    /// The encryption keys a package addressed to this node may be sealed to: the
    /// current one, then the one before the newest rotation.
    var encryptionKeys: [EncryptionSecretKey] {
        localKeys.withLockedValue { keys in [keys.secrets.encryption] + (keys.previous.map { [$0.encryption] } ?? []) }
    }

    /// The fingerprints receipts may name as this node: the current one, and the
    /// previous one during the overlap (partners not told yet still know only that).
    func ownFingerprints(at now: Int64) -> [NodeFingerprint] {
        [fingerprint] + (previousSecrets(at: now).map { [$0.publicKeys.fingerprint] } ?? [])
    }

    /// Opens the header of a package addressed to this node with whichever of its
    /// encryption keys it was sealed to (see ``encryptionKeys``).
    func packageOpener(header: PackageHeader, senders: some SenderDirectory, now: Int64) throws -> PackageOpener {
        let keys = encryptionKeys
        for (index, key) in keys.enumerated() {
            do {
                return try PackageOpener(header: header, recipient: key, senders: senders, now: now)
            } catch let error as CoreError where error.code == .notARecipient && index < keys.count - 1 {
                continue
            }
        }
        preconditionFailure("encryptionKeys is never empty")
    }

    /// Reads a package's header from `input` and opens it (see ``packageOpener(header:senders:now:)``).
    func packageOpener<Source: ByteSource>(reading input: inout Source, senders: some SenderDirectory, now: Int64) throws -> PackageOpener {
        try packageOpener(header: try PackageOpener.readHeader(from: &input), senders: senders, now: now)
    }

    /// Whether `receipt` is `peer`'s valid receipt for this package, sent to this
    /// node: signed by the peer's identity key (or its previous one during its
    /// rotation's overlap) and naming this node by its current fingerprint (or its
    /// previous one during this node's overlap: the peer may not have been told yet).
    func receiptVerifies(_ receipt: DeliveryReceipt, from peer: PeerRecord, packageID: PackageID, headerHash: [UInt8]) -> Bool {
        let now = Timestamp.now()
        let signers = [peer.keys.identity] + (peer.previousKeys(at: now).map { [$0.identity] } ?? [])
        let names = ownFingerprints(at: now)
        return signers.contains { signer in
            names.contains { receipt.verify(recipient: signer, packageID: packageID, headerHash: headerHash, sender: $0) }
        }
    }

    /// Makes a committed rotation the daemon's keys.
    func adoptRotation(configuration: NodeConfiguration, secrets: NodeSecrets, previous: NodeSecrets, overlapUntil: Int64) {
        localKeys.withLockedValue { keys in
            keys = LocalKeys(configuration: configuration, secrets: secrets, previous: previous, previousUntil: overlapUntil)
        }
    }
}
