import Foundation
import LiaisonAudit
import LiaisonControl
import LiaisonCore
import LiaisonStore
import NIOPosix

/// The auditor's commands: read the log, its checkpoints and proofs. They
/// never change anything but the log itself (each query is an audited event,
/// and `audit.checkpoint` may sign a new checkpoint).
extension ControlHandlers {
    /// Most entries one `audit.query` or `audit.leaves` answer carries: a listing's.
    static let maximumAuditPage = ControlRequest.maximumListLimit

    func auditQuery(_ request: ControlRequest) throws -> [AuditEntryItem] {
        var query = AuditQuery()
        if let peer = request.peer {
            query.peers = try Self.fingerprints(ofPeer: peer, in: context.peers.keyring, retired: context.home.retiredPeerKeys())
        }
        if let id = request.id { query.package = try packageID(id).description }
        // Each kind once (there are a few dozen), however often the request names it: one SQL parameter each.
        query.kinds = try Set((request.events ?? []).map { name in
            guard let kind = AuditEventKind(rawValue: name) else {
                throw CoreError(.invalidArgument, "\"\(name)\" is not an audit event kind; one of: \(AuditEventKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }).sorted()
        query.outcomes = try (request.outcomes ?? []).map { name in
            guard let outcome = AuditOutcome(rawValue: name) else {
                throw CoreError(.invalidArgument, "\"\(name)\" is not an audit outcome; one of: \(AuditOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return outcome
        }
        query.since = try request.since.map { try Self.milliseconds($0, "since") }
        query.until = try request.until.map { try Self.milliseconds($0, "until") }
        query.cursor = request.cursor
        query.newestFirst = request.newestFirst ?? false
        query.limit = ControlRequest.listLimit(request.limit)
        query.byteBudget = ControlFraming.auditPageBytes
        return try context.auditLog.query(query).map { AuditEntryItem(index: $0.index, leaf: String(decoding: $0.leaf, as: UTF8.self)) }
    }

    /// A package id as an operator or auditor gave it: whole (32 hex digits), or
    /// shortened as the audit table prints it (at least 8), standing for the one
    /// package this node queued or received (with `receivedOnly`, received) whose id
    /// starts so. An id only the log knows (a package refused on arrival, say) must
    /// be given whole.
    func packageID(_ text: String, receivedOnly: Bool = false) throws -> PackageID {
        try context.store.packageID(typed: text, receivedOnly: receivedOnly)
    }

    /// The fingerprints entries about `peer` are filed under: a fingerprint as given
    /// (a removed peer's, say); for the name of a peer removed since, the keys retired
    /// under that name; or, for the name of a peer in `keyring`, every key it
    /// is known to have had: its current one, its previous one, its first (its log's
    /// lifelong name, or the one its card proves: `auditLogName`) and every one retired
    /// by a rotation this node took or a removal (`retired`), so that rotations and a
    /// removal and re-import do not hide its earlier entries.
    static func fingerprints(ofPeer peer: String, in keyring: Keyring, retired: [NodeHome.RetiredPeerKey]) throws -> [String] {
        guard let record = keyring.peer(named: peer) else {
            if let fingerprint = try? NodeFingerprint(parsing: peer) { return [fingerprint.description] }
            guard NodeName.isValid(peer) else {
                // Neither a name nor a fingerprint: a mistyped fingerprint, whose own error says what is wrong.
                return [try NodeFingerprint(parsing: peer).description]
            }
            // A peer removed since: the keys it held under this name, as its removal
            // (or an earlier rotation) retired them, and its lineage.
            let removed = retired.filter { $0.peer == peer }
            if !removed.isEmpty {
                return Set(removed.flatMap { [NodeFingerprint(identity: $0.identity)] + [$0.lineage].compactMap { $0 } }.map(\.description)).sorted()
            }
            throw CoreError(.unknownPeer, "no peer named \(peer) in the keyring; for a removed peer give its fingerprint (`liaison audit query --event peer.removed` lists them), or query by --package")
        }
        // A peer added again with its card from after a rotation is filed under its new
        // fingerprint, but its card proves the first one (`auditLogName`): what was filed
        // under that lineage before the removal is its history too, if this node knew it
        // by that name then (a removal line says so). A card copying another node's proof
        // names that node's lineage, but not under this name.
        let proven = record.auditLogName.flatMap { name in
            retired.contains { $0.peer == record.name && $0.lineage == name } ? name : nil
        }
        let lineages = Set([record.logFingerprint] + [proven].compactMap { $0 })
        let keys = [record.fingerprint] + Array(lineages) + (record.previousKeys.map { [$0.fingerprint] } ?? [])
            + retired.filter { $0.belongs(to: record) || ($0.peer == record.name && $0.lineage.map(lineages.contains) == true) }
                .map { NodeFingerprint(identity: $0.identity) }
        return Set(keys.map(\.description)).sorted()
    }

    func auditLeaves(_ request: ControlRequest) throws -> [AuditEntryItem] {
        let size = try context.auditLog.size()
        let first = min(max(request.entry ?? 0, 0), size)
        let count = min(max(request.limit ?? 1000, 1), Self.maximumAuditPage, size - first)
        return try context.auditLog.leaves(first..<(first + count), byteBudget: ControlFraming.auditPageBytes).enumerated().map {
            AuditEntryItem(index: first + $0.offset, leaf: String(decoding: $0.element, as: UTF8.self))
        }
    }

    /// Signs a checkpoint now if the log grew since the last one, has the witnesses
    /// asked to cosign it, and returns the newest with what they returned.
    func auditCheckpoint() async throws -> AuditCheckpointItem {
        Self.item(try await signedAndWitnessed())
    }

    /// How long a request that signed a checkpoint waits for its witnesses' round.
    static let witnessWait = Duration.seconds(5)

    /// Signs a checkpoint now (if the log grew), and waits — up to ``witnessWait`` —
    /// for the checkpointer's round that takes it to the witnesses; the checkpoint
    /// as stored then, with the cosignatures that came back in time (the round goes
    /// on without the caller, and later ones ask again those that did not answer).
    func signedAndWitnessed() async throws -> StoredCheckpoint {
        let signed = try context.signCheckpoint()
        // Nothing to wait for without witnesses, or past the rounds' budget (found when a
        // test signing 500 checkpoints in a row waited 5 s for each).
        guard !WitnessClient(context: context, group: MultiThreadedEventLoopGroup.singleton).witnesses.isEmpty,
              let round = context.witnessRounds.ask(size: signed.size, now: SecureSession.now()) else { return signed }
        await context.witnessRounds.waitForRound(round, timeout: Self.witnessWait)
        return (try? context.auditLog.checkpoint(size: signed.size)) ?? signed
    }

    /// The log's keys and size, and a page of its checkpoints: those larger than
    /// `cursor` (from the first if nil), at most ``checkpointPage``.
    func auditKeys(_ request: ControlRequest) throws -> AuditKeysItem {
        // Only peers that may still witness: a revoked or blocked peer's cosignatures count for nothing.
        let witnesses = try context.peers.keyring.peers.filter { !$0.revoked && $0.trust != .blocked }
            .map { try NodeLogNames.witnessKey($0.keys, named: $0.auditLogFingerprint).description }
        // The size first; a checkpoint signed between the two reads may be listed beyond it (the CLI drops those).
        let size = try context.auditLog.size()
        let checkpoints = try context.auditLog.checkpoints(after: request.cursor, limit: Self.checkpointPage + 1)
        return AuditKeysItem(origin: context.logSigner.verifierKey.name, logKey: context.logSigner.verifierKey.description,
                             witnessKeys: witnesses, checkpoints: checkpoints.prefix(Self.checkpointPage).map(Self.item),
                             size: size, node: context.configuration.name, fingerprint: context.fingerprint.description,
                             moreCheckpoints: checkpoints.count > Self.checkpointPage)
    }

    /// The newest checkpoint of peer `peer`'s log this node cosigned as its witness
    /// (of the last log it began, if it began one after its first).
    func auditWitnessed(_ request: ControlRequest) throws -> AuditWitnessedItem {
        let name = try required(request.peer, "peer")
        guard let peer = context.peers.peer(named: name) else {
            throw CoreError(.unknownPeer, "no peer named \(name); see `liaison peers list`")
        }
        // Its newest log: the first, or the last it began after it (`audit new-log`).
        let logs = try context.auditLog.witnessedLogs(family: NodeLogNames.origin(peer.auditLogFingerprint))
        guard let state = logs.last else {
            throw ControlFailure(code: "audit.not-witnessed",
                                 message: "this node has not cosigned a checkpoint of \(name)'s log; it witnesses \(name) only if \(name) asks it to (its [audit] witnesses, or every partner by default)")
        }
        var item = AuditWitnessedItem(peer: name, origin: state.origin, size: state.size, note: state.note)
        if logs.count > 1 {
            item.earlierLogs = logs.dropLast().map { AuditWitnessedItem.EarlierLog(origin: $0.origin, size: $0.size, note: $0.note) }
        }
        return item
    }

    /// Most checkpoints one `audit.keys` answer carries (each about 1 KiB with its cosignatures).
    static let checkpointPage = 500

    /// A tlog-proof of `entry` (or of the newest entry about package `id`),
    /// against the smallest checkpoint covering it; signs one if none does yet.
    func auditProve(_ request: ControlRequest) async throws -> AuditProofItem {
        let index: Int
        if let entry = request.entry {
            index = entry
        } else if let id = request.id {
            guard let found = try context.auditLog.newestEntry(package: try packageID(id).description) else {
                throw CoreError(.unknownPackage, "the audit log has no entry about package \(id)")
            }
            index = found
        } else {
            throw ControlFailure(code: "control.bad-request", message: "audit.prove needs an entry or a package id")
        }
        let size = try context.auditLog.size()
        guard index >= 0, index < size else {
            throw CoreError(.invalidArgument, "the audit log has entries 0 to \(size - 1); there is no entry \(index)")
        }
        let covering = try context.auditLog.checkpoint(covering: index)
        let checkpoint = if let covering { covering } else { try await signedAndWitnessed() }
        let proven: (leaf: [UInt8], hashes: [[UInt8]])
        do {
            proven = try context.auditLog.provenEntry(index: index, in: checkpoint.checkpoint)
        } catch let error as StoreError where error.code == .corrupt {
            context.logger.critical("\(error.message)")
            DaemonMetrics.auditFailure()
            throw error
        }
        let proof = try TLogProof(index: index, hashes: proven.hashes, checkpoint: checkpoint.note)
        let leaf = proven.leaf
        return AuditProofItem(entry: index, leaf: String(decoding: leaf, as: UTF8.self), proof: proof.formatted)
    }

    static func item(_ stored: StoredCheckpoint) -> AuditCheckpointItem {
        AuditCheckpointItem(size: stored.size, note: stored.note.formatted, signedAt: Timestamp.iso8601(stored.signedAt),
                            witnesses: stored.witnesses)
    }

    private static func milliseconds(_ text: String, _ field: String) throws -> Int64 {
        guard let seconds = Timestamp.parse(text) else {
            throw CoreError(.invalidArgument, "--\(field) must be a UTC time like 2026-11-26T09:40:00Z (got \"\(text)\")")
        }
        return seconds * 1000
    }
}
