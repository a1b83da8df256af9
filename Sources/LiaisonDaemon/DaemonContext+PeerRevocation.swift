import LiaisonCore
import LiaisonCrypto

extension DaemonContext {
    /// Marks `peer`'s identity key revoked, whoever said so (the operator, the peer's
    /// own statement on a session, or one imported): kept in `keys/revoked-peers.txt`
    /// so no keyring rewrite or restart undoes it, applied to the keyring record as it
    /// is now (a peer removed or re-keyed meanwhile is left alone), and, when
    /// `cutSessions`, every open session with the peer ends. Returns how many ended.
    /// `statementKey`, the key a revocation statement named, is recorded revoked too
    /// (a key the peer retired: what it signed is then refused as well).
    /// The caller has written the audit record first.
    ///
    /// If the files cannot be written it throws, failing closed all the same: the
    /// key may be on file as revoked already (every keyring load applies
    /// keys/revoked-peers.txt), and whatever the files say, the peer is revoked in
    /// memory until they are read again, and all its sessions end (the one that
    /// carried a statement too: it gets no reply then).
    @discardableResult
    func revokePeer(_ peer: PeerRecord, revoking statementKey: IdentityPublicKey? = nil, cutSessions: Bool = true) throws -> Int {
        do {
            // Every key it held: a card from before a rotation names an earlier one, and
            // must not bring the peer back. The key the statement revoked may be one the
            // peer retired: what it signed is refused too.
            try home.recordRevokedPeers(home.identitiesEverHeld(by: peer) + [statementKey].compactMap { $0 })
            try peers.update { keyring in
                // A record that rotated since `peer` was read is the same peer: its keys are revoked too.
                guard var current = keyring.peer(named: peer.name), current.hasIdentity(peer.keys.identity, at: Timestamp.now()) else { return }
                if current.keys.identity != peer.keys.identity { try home.recordRevokedPeers(home.identitiesEverHeld(by: current)) }
                current.revoked = true
                try keyring.replace(current)
            }
        } catch {
            try? peers.reload()
            peers.markRevokedInMemory(peer)
            self.cutSessions(of: peer)
            throw error
        }
        return cutSessions ? self.cutSessions(of: peer) : 0
    }

    /// Ends every open session with `peer`. Sessions are filed under the fingerprint
    /// the peer had when they opened: across a rotation's overlap that may be its
    /// previous one, and the keyring's record may have rotated since `peer` was read.
    @discardableResult
    func cutSessions(of peer: PeerRecord) -> Int {
        var records = [peer]
        if let current = peers.peer(named: peer.name), current.logFingerprint == peer.logFingerprint { records.append(current) }
        var fingerprints: Set<String> = []
        for record in records {
            fingerprints.insert(record.fingerprint.description)
            if let previous = record.previousKeys { fingerprints.insert(previous.fingerprint.description) }
        }
        return fingerprints.reduce(0) { $0 + liveSessions.cut(peer: $1) }
    }

    /// Fails every open delivery to the peer called `name`, due or in backoff, each
    /// with its `policy.denied` entry (`reason`; `peer`, the record it had, if known).
    /// Deliveries are filed by name: this is what keeps a node that later holds the
    /// name from receiving them or closing them with its receipts. It runs when a peer
    /// is removed, before a peer is added under a name (what a crash at removal left
    /// open), and at start for names no longer in the keyring. Bounded: stops when a
    /// round fails nothing.
    ///
    /// With `notFor`, only those queued for another node than that one (by lifelong
    /// fingerprint): what a sender fails before it sends to the name's holder.
    /// `while` is asked before each batch of 256: once it says no (the peer became
    /// usable again, the daemon is stopping), the rest stays queued.
    ///
    /// Several callers may fail one name's queue at once (the scheduler, `peers
    /// revoke`): a batch another one closed meanwhile fails nothing here, and only a
    /// batch still open when read again is taken for a log that cannot record.
    @discardableResult
    func failOpenDeliveries(named name: String, peer: PeerRecord?, notFor node: NodeFingerprint? = nil, reason: String,
                            while keepGoing: @Sendable () -> Bool = { true }) async -> Int {
        var failed = 0
        var stalled: [PackageID] = []
        for _ in 0..<4096 where keepGoing() {
            let batch: [PackageID]
            do {
                batch = try store.openDeliveries(peer: name, notFor: node, limit: 256)
            } catch {
                logger.error("the open deliveries to \(name) could not be read: \(error)")
                break
            }
            guard !batch.isEmpty else { break }
            let round = await withTaskGroup(of: Bool.self) { group in
                for id in batch {
                    group.addTask {
                        let event = self.event(.policyDenied, .denied, peer: peer, package: id, reason: reason, details: ["peer-name": name])
                        return (try? await self.store.failIfOpen(packageID: id, peer: name, error: reason, auditing: [event])) ?? false
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            guard round > 0 else {
                guard batch != stalled else {
                    logger.error("\(batch.count) open deliveries to \(name) could not be failed (is the audit log writable?); they are failed at the next start, or before a peer is added under the name")
                    break
                }
                stalled = batch
                continue
            }
            stalled = []
            failed += round
        }
        return failed
    }

    /// At start: fails the open deliveries to names no longer in the keyring (a crash
    /// between a peer's removal and the failing of its queue, or a hand-edited keyring).
    func failDeliveriesToAbsentPeers() async {
        let known = Set(peers.keyring.peers.map(\.name))
        // An empty keyring is more likely a lost or misplaced keyring.toml than every
        // partner removed: the queue waits (the scheduler fails what falls due).
        guard !known.isEmpty else {
            if (try? store.peersWithOpenDeliveries().isEmpty) == false {
                logger.warning("the keyring has no peers but packages are queued; is keyring.toml missing? They are kept for now")
            }
            return
        }
        for name in ((try? store.peersWithOpenDeliveries()) ?? []) where !known.contains(name) {
            let failed = await failOpenDeliveries(named: name, peer: nil,
                                                  reason: "peer.removed: \(name) is no longer a peer; its packages still queued are not delivered")
            if failed > 0 { logger.notice("failed \(failed) deliveries queued for \(name), which is no longer a peer") }
        }
    }
}
