import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonStore
import LiaisonWire
import Logging

/// Receives packages on one session: dedup by package id, resumable transfers
/// into the spool, full verification as the recipient, then a durable inbox entry
/// and a signed receipt. A receipt is only ever sent for a package that is safely
/// stored, so an acknowledged package survives a crash.
struct PackageReceiver {
    let context: DaemonContext
    let peer: PeerRecord
    let logger: Logger
    /// The peer's network address, for the audit log.
    var remote: String?
    /// The identity key that signs receipts on this session: the one matching the
    /// transport key the peer dialled (the previous one if it was not told of a rotation yet).
    var localIdentity: IdentitySecretKey?

    private struct Transfer {
        let id: PackageID
        let size: UInt64
        let path: String
        let descriptor: Int32
        var written: UInt64
        /// Bytes that were already in the spool from an interrupted transfer.
        let resumedFrom: UInt64
        /// Checks the package as it arrives (nil when too many verifiers run:
        /// then the file is verified after its last byte). Started with the first
        /// byte in the file, so an offer never followed by data starts no thread.
        var verifier: SpoolVerifier?
        /// Whether a verifier was asked for (it stays nil if it was declined).
        var verifierAskedFor: Bool
        var writeBehind: WriteBehind
        /// Where the disk space its claim promises ends (a ``diskWindow`` at a time):
        /// reaching it, the disk is checked again before the next window is written.
        var diskCheckedThrough: UInt64
    }

    /// The disk space an incoming transfer is promised at a time: counted against the
    /// reserve for every transfer under way, whatever its size, and checked again as
    /// each is written. So offers never followed by data hold this much each, not
    /// their whole size, and the transfers under way never take the reserve.
    static let diskWindow: UInt64 = 16 << 20

    private var transfer: Transfer?
    private var witnessRequests = 0
    /// Set once the peer has revoked its own key on this session: the session must end.
    private(set) var peerRevokedItself = false
    /// Witness requests accepted per session (the requester retries once after a conflict).
    static let maximumWitnessRequests = 4

    init(context: DaemonContext, peer: PeerRecord, logger: Logger) {
        self.context = context
        self.peer = peer
        self.logger = logger
    }

    /// Whether no offered package is being received on this session.
    var isIdle: Bool { transfer == nil }

    /// Closes an unfinished transfer's file. The partial stays for a resume if it
    /// holds real progress (``SpoolFiles/worthKeeping(_:)``); otherwise it goes, so
    /// offers never followed by data leave nothing behind. Removed before the claim
    /// is let go: no other connection can be resuming it.
    mutating func abandon() {
        if let t = transfer {
            t.verifier?.cancel()
            if SpoolFiles.worthKeeping(t.written) {
                fsync(t.descriptor)
                close(t.descriptor)
            } else {
                close(t.descriptor)
                unlink(t.path)
            }
            release(t.id)
            transfer = nil
        }
    }

    private func release(_ id: PackageID) {
        _ = context.activeTransfers.withLockedValue { $0.removeValue(forKey: claimKey(id)) }
    }

    /// What this peer's claim on package `id` is keyed by: a package is its sender's.
    private func claimKey(_ id: PackageID) -> InboundClaim {
        // The fingerprint that names the peer for life: a rotation changes neither its packages nor its volume.
        InboundClaim(sender: peer.logFingerprint.description, id: id)
    }

    mutating func handle(_ message: SessionMessage) async throws -> [SessionMessage] {
        switch message {
        case .offer(let id, let size, let expires):
            return await audited(try offer(id: id, size: size, expires: expires).map { ReceiverAnswer($0) })
        case .data(let bytes):
            guard var t = transfer else { throw WireError(.unexpectedMessage, "data outside a transfer") }
            guard t.written + UInt64(bytes.count) <= t.size else { throw WireError(.unexpectedMessage, "more data than offered") }
            var stream = FileDescriptorStream(descriptor: t.descriptor)
            try stream.write(bytes)
            t.written += UInt64(bytes.count)
            if t.verifierAskedFor {
                t.verifier?.advance(to: t.written)
            } else {
                t.verifier = startVerifier(path: t.path, available: t.written)
                t.verifierAskedFor = true
            }
            t.writeBehind.wrote(bytes.count, to: t.descriptor)
            let windowWritten = t.written >= t.diskCheckedThrough && t.written < t.size
            if windowWritten { t.diskCheckedThrough = t.written + Self.diskWindow }
            transfer = t
            if windowWritten, let shortage = context.diskReserve.shortage(adding: 0, pending: diskPromised()) {
                throw await diskStopped(t, shortage: shortage)
            }
            return []
        case .end(let id, let size):
            guard let t = transfer, t.id == id, t.size == size, t.written == size else {
                throw WireError(.unexpectedMessage, "end of a transfer that is not complete")
            }
            return await audited([try await finish(t)])
        case .witnessRequest(let note, let oldSize, let proof):
            // A witness request costs a signature and an fsync: a few per session, no more.
            witnessRequests += 1
            guard witnessRequests <= Self.maximumWitnessRequests else {
                throw WireError(.unexpectedMessage, "more than \(Self.maximumWitnessRequests) witness requests in one session")
            }
            return [await WitnessService(context: context, peer: peer, logger: logger).handle(note: note, oldSize: oldSize, proof: proof)]
        case .revocation(let bytes):
            abandon()
            let reply = try await honourRevocation(bytes)
            peerRevokedItself = true
            return [reply]
        case .push(let id, let expires, let bytes):
            return [await receivePush(id: id, expires: expires, bytes: bytes)]
        case .rotation(let bytes):
            abandon()
            return [try await honourRotation(bytes)]
        case .accept, .reject, .receipt, .rekey, .close, .witnessCosignature, .witnessRefused, .rotationAccepted:
            throw WireError(.unexpectedMessage, "a sender-side message arrived at the receiver")
        }
    }

    /// Records every refusal among `answers` (after the fact: refusing is safe
    /// even when the log is down), with its audit reason where the peer was told less.
    private func audited(_ answers: [ReceiverAnswer]) async -> [SessionMessage] {
        for answer in answers {
            guard case .reject(let id, let reason, let detail) = answer.reply else { continue }
            await context.auditNetworkRefusal(context.event(.packageRejected, .denied, actor: DaemonContext.actor(peer), peer: peer,
                                                            package: id, reason: answer.auditReason ?? "\(reason): \(detail)", remote: remote))
        }
        return answers.map(\.reply)
    }

    private mutating func offer(id: PackageID, size: UInt64, expires: Int64?) throws -> [SessionMessage] {
        abandon()
        if let answer = try admit(id: id, size: size, expires: expires) { return [answer] }
        return try spool(id: id, size: size)
    }

    /// Claims `id` for this connection and decides whether to take the package:
    /// nil once it is claimed (``release(_:)`` ends the claim), otherwise the
    /// answer, with no claim left behind: the stored receipt if it was already
    /// received (it takes effect once, even past its expiry or the peer's limits),
    /// otherwise a refusal if it expired, is too large or the peer is over its
    /// limits. The claim comes first, so one look at the inbox is enough (no other
    /// connection can store the package meanwhile). With `lookingUp` false (a
    /// push, already here whole, from a peer without rate or volume limits that a
    /// copy would use up) the inbox is looked at only to answer a refusal: storing
    /// it finds a copy already accepted (``answerAsStored(_:_:)``).
    private func admit(id: PackageID, size: UInt64, expires: Int64?, lookingUp: Bool = true) throws -> SessionMessage? {
        guard let (inFlight, inFlightFromAll) = claimSlot(id, size: size) else {
            return .reject(packageID: id, reason: .unavailable, detail: "this package is already being received; retry later")
        }
        do {
            if lookingUp, let stored = try storedAnswer(id) {
                release(id)
                return stored
            }
            if let refusal = try limitRefusal(id: id, size: size, expires: expires, pending: inFlightFromAll)
                ?? volumeRefusal(id: id, size: size, inFlight: inFlight) {
                let answer = lookingUp ? refusal : try storedAnswer(id) ?? refusal
                release(id)
                return answer
            }
        } catch {
            release(id)
            throw error
        }
        return nil
    }

    /// The refusal of a new package that expired, is too large, would take the disk
    /// below its reserve (with `pending` bytes still on their way from every peer), or
    /// comes faster than the peer's rate allows — in that order, so a package refused
    /// for another reason uses up none of the peer's rate.
    private func limitRefusal(id: PackageID, size: UInt64, expires: Int64?, pending: UInt64) -> SessionMessage? {
        if let expires, Timestamp.now() >= expires {
            return .reject(packageID: id, reason: .expired, detail: "the package expired at \(Timestamp.iso8601(expires))")
        }
        let limit = largestAccepted
        guard size <= limit else {
            return .reject(packageID: id, reason: .tooLarge, detail: "larger than the \(limit) bytes this node accepts from \(peer.name)")
        }
        if let refusal = diskRefusal(id: id, size: size, pending: pending) { return refusal }
        if let perMinute = peer.inboundLimits.packagesPerMinute {
            // Its lifelong fingerprint: rotating its keys does not give a peer a fresh bucket.
            let key = peer.logFingerprint.description
            let allowed = context.inboundBuckets.withLockedValue { buckets in
                var bucket = buckets[key] ?? TokenBucket(rate: Double(perMinute) / 60, burst: Double(perMinute))
                defer { buckets[key] = bucket }
                return bucket.take(now: SecureSession.now())
            }
            guard allowed else {
                DaemonMetrics.refused(peer: peer.name, reason: "rate")
                return .reject(packageID: id, reason: .unavailable, detail: "more than \(perMinute) packages per minute from \(peer.name); slow down and retry")
            }
        }
        return nil
    }

    /// A pushed package's answer as if it had been looked up first: a refusal of
    /// a package this peer already delivered becomes its stored receipt (a trust
    /// change since, or a damaged copy, does not undo what took effect).
    private func answerAsStored(_ id: PackageID, _ answer: ReceiverAnswer) throws -> ReceiverAnswer {
        guard case .reject = answer.reply, let stored = try storedAnswer(id) else { return answer }
        logger.info("the refused copy of \(id) from \(peer.name) was received before; answered as stored")
        return ReceiverAnswer(stored)
    }

    /// The answer for a package this peer already delivered: its stored receipt (it
    /// takes effect once); nil if this peer never delivered a package with this id.
    ///
    /// A package is its sender's: another sender's package with the same id is
    /// another package, stored apart, and its receipt is never handed out here. Ids
    /// are random, so such a twin is an attempt to pre-empt or probe someone else's
    /// package (a co-recipient knows its id): it neither blocks the real one nor
    /// learns anything of it.
    func storedAnswer(_ id: PackageID) throws -> SessionMessage? {
        let entries = try context.store.inboxEntries(id: id)
        let now = Timestamp.now()
        guard let existing = entries.first(where: { $0.senderKey == peer.logFingerprint || peer.hasIdentityFingerprint($0.senderFingerprint, at: now) }) else {
            if !entries.isEmpty {
                logger.warning("\(peer.name) offered package id \(id), which another sender already used; taken as its own package")
            }
            return nil
        }
        // Already received: it takes effect once. Return the original receipt.
        logger.info("package \(id) offered again; returning the stored receipt")
        return .receipt(try DeliveryReceipt(decoding: existing.receiptBody + existing.receiptSignature))
    }

    /// Claims `id` for this connection (one connection receives a package at a
    /// time), recording `size` as in flight from the peer. Returns the bytes
    /// already in flight from it, and the disk space promised to every transfer
    /// under way (``diskPromised()``), or nil if another connection holds the claim.
    private func claimSlot(_ id: PackageID, size: UInt64) -> (fromSender: UInt64, fromAll: UInt64)? {
        let key = claimKey(id)
        // A claim is recorded before its size is checked: one offered larger than this
        // node takes (refused a moment later) must not count as more meanwhile, or other
        // peers' packages would be refused for disk space or volume in that window.
        let claimed = min(size, largestAccepted)
        return context.activeTransfers.withLockedValue { claims -> (UInt64, UInt64)? in
            guard claims[key] == nil else { return nil }
            var fromSender: UInt64 = 0
            for (other, bytes) in claims where other.sender == key.sender { fromSender = fromSender.saturatingAdd(bytes) }
            let promised = Self.diskPromised(claims)
            claims[key] = claimed
            return (fromSender, promised)
        }
    }

    /// The disk space promised to the transfers under way: a ``diskWindow`` each at
    /// most (a push, whole in memory, its size).
    private func diskPromised() -> UInt64 {
        context.activeTransfers.withLockedValue { Self.diskPromised($0) }
    }

    private static func diskPromised(_ claims: [InboundClaim: UInt64]) -> UInt64 {
        claims.values.reduce(0) { $0.saturatingAdd(min($1, diskWindow)) }
    }

    /// Ends a transfer whose next window would take the disk below its reserve: what
    /// it wrote stays in the spool, so the sender's next offer resumes it (and is
    /// refused for now while the disk is short). Audited as a refusal; the returned
    /// error ends the session, the only way to stop a stream midway.
    private mutating func diskStopped(_ t: Transfer, shortage: DiskReserve.Reading) async -> WireError {
        abandon()
        DaemonMetrics.refused(peer: peer.name, reason: "disk")
        if context.diskReserve.warnNow() {
            logger.warning("stopped receiving package \(t.id) from \(peer.name) at byte \(t.written) of \(t.size): the home volume has \(shortage.description) (disk-reserve-mib); free space on it")
        }
        await context.auditNetworkRefusal(context.event(.packageRejected, .denied, actor: DaemonContext.actor(peer), peer: peer, package: t.id,
                                                        reason: "unavailable: the recipient is short of disk space; stopped at byte \(t.written) of \(t.size)",
                                                        remote: remote))
        return WireError(.unexpectedMessage, "stopped receiving \(t.id) at byte \(t.written): short of disk space; the sender resumes it later")
    }

    /// The largest package this node takes from this peer.
    private var largestAccepted: UInt64 {
        min(context.settings.maximumPackageBytes, UInt64(peer.inboundLimits.maximumPackageBytes ?? Int64.max))
    }

    /// The refusal of a package of `size` that would leave less free space on the
    /// home volume than its reserve: alone, or its first ``diskWindow`` beside the
    /// windows `pending` (promised to the transfers under way from every peer). For
    /// now, so the sender keeps it queued and retries. Refused, a package another
    /// copy of which was already received still gets its receipt. What an
    /// interrupted transfer of it left in the spool is on the disk already: only the
    /// rest is counted, so a large transfer can always resume.
    private func diskRefusal(id: PackageID, size: UInt64, pending: UInt64) -> SessionMessage? {
        guard context.diskReserve.bytes > 0 else { return nil }
        var spooled: UInt64 = 0
        // Only a package too large to push is ever spooled, and so resumed.
        var partial = stat()
        if size > UInt64(SessionMessage.maximumPushByteCount),
           stat(SpoolFiles(directory: context.spoolDirectory).path(id: id, from: peer), &partial) == 0 {
            spooled = UInt64(max(0, partial.st_size))
        }
        let rest = size - min(size, spooled)
        guard let shortage = context.diskReserve.shortage(adding: rest, window: Self.diskWindow, pending: pending) else { return nil }
        DaemonMetrics.refused(peer: peer.name, reason: "disk")
        if context.diskReserve.warnNow() {
            logger.warning("refusing packages for now: the home volume has \(shortage.description) (disk-reserve-mib); free space on it")
        }
        return .reject(packageID: id, reason: .unavailable, detail: "the recipient is short of disk space; retry later")
    }

    /// Under a `bytes-per-day` limit, the refusal of a package of `size` that would
    /// take the peer past it, counting what it already sent and `inFlight` (what is
    /// still on its way from it): concurrent pushes cannot all pass the check
    /// before any is stored.
    ///
    /// The claim is taken before and the stored volume read after it, outside the
    /// lock: a package in flight then is counted either among the claims or, once
    /// stored, in the volume (sometimes both — never neither).
    private func volumeRefusal(id: PackageID, size: UInt64, inFlight: UInt64) throws -> SessionMessage? {
        guard let perDay = peer.inboundLimits.bytesPerDay else { return nil }
        // What it sent under every key it held: its volume is counted by its lifelong
        // fingerprint, so rotating its keys does not start its day again.
        let now = Timestamp.now(), sender = peer.logFingerprint
        let used = try context.inboundVolume.bytes(from: sender, now: now) { since in
            try context.store.receivedBytesByMinute(fromSenderKey: sender, since: since)
        }
        // Partials it left in the spool count too, until they are stored or swept
        // (those being received are counted by their claims, this one by `size`).
        let claimant = claimKey(id).sender
        let receiving = context.activeTransfers.withLockedValue { Set($0.keys.filter { $0.sender == claimant }.map(\.id)) }.union([id])
        let resting = SpoolFiles(directory: context.spoolDirectory).bytes(from: peer, excluding: receiving)
        // Saturating: no sum of sizes a peer can make up may trap.
        let counted = UInt64(max(0, used)).saturatingAdd(inFlight).saturatingAdd(UInt64(max(0, resting)))
        guard counted.saturatingAdd(size) <= UInt64(max(0, perDay)) else {
            DaemonMetrics.refused(peer: peer.name, reason: "volume")
            return .reject(packageID: id, reason: .unavailable,
                           detail: "\(peer.name) has used \(counted) of its \(perDay) bytes for the last 24 hours (counting packages in flight and unfinished ones); retry later")
        }
        return nil
    }

    /// Opens (or resumes) the spool file for an offered package and accepts it.
    private mutating func spool(id: PackageID, size: UInt64) throws -> [SessionMessage] {
        // Per-sender spool names: one peer's partial can never become another's prefix.
        let spoolFiles = SpoolFiles(directory: context.spoolDirectory)
        let path = spoolFiles.path(id: id, from: peer)
        var descriptor = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW)
        if descriptor < 0 && errno == ENOENT {
            // A new partial: made one at a time, after room for it, so that concurrent
            // offers cannot take the sender past its number of partials.
            let (made, evicted) = context.newPartials.withLock { [peer] () -> (Int32?, [SpoolFiles.Partial]) in
                guard let evicted = spoolFiles.makeRoom(for: peer, claims: context.activeTransfers) else { return (nil, []) }
                return (open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600), evicted)
            }
            for old in evicted {
                logger.notice("removed \(peer.name)'s unfinished package \(old.id) (\(old.bytes) bytes) from the spool to make room: a sender keeps at most \(SpoolFiles.maximumPerSender) unfinished packages here")
            }
            guard let made else {
                release(id)
                return [.reject(packageID: id, reason: .unavailable,
                                detail: "\(SpoolFiles.maximumPerSender) packages from you are being received here already; retry once one is finished")]
            }
            descriptor = made
        }
        guard descriptor >= 0 else {
            release(id)
            return [.reject(packageID: id, reason: .unavailable, detail: "cannot store the package now")]
        }
        var info = stat()
        fstat(descriptor, &info)
        var offset = UInt64(info.st_size)
        if offset > size {
            ftruncate(descriptor, 0)
            offset = 0
        }
        let verifier = offset > 0 ? startVerifier(path: path, available: offset) : nil
        transfer = Transfer(id: id, size: size, path: path, descriptor: descriptor, written: offset, resumedFrom: offset,
                            verifier: verifier, verifierAskedFor: offset > 0, writeBehind: WriteBehind(from: offset),
                            diskCheckedThrough: offset + Self.diskWindow)
        if offset > 0 { logger.info("resuming package \(id) at byte \(offset) of \(size)") }
        return [.accept(packageID: id, offset: offset)]
    }

    /// Starts verifying the spool file at `path` as it grows, from the peer's point
    /// of view (see ``verify(_:context:peer:)``); nil if too many verifiers run.
    private func startVerifier(path: String, available: UInt64) -> SpoolVerifier? {
        let context = self.context
        let peer = self.peer
        return SpoolVerifier.start(path: path, available: available, peer: peer.logFingerprint.description) { input in
            try Self.verify(&input, context: context, peer: peer)
        }
    }

    private mutating func finish(_ t: Transfer) async throws -> ReceiverAnswer {
        let synced = fsync(t.descriptor) == 0
        let closed = close(t.descriptor) == 0
        transfer = nil
        defer { release(t.id) }
        guard synced && closed else {
            t.verifier?.cancel()
            logger.error("package \(t.id): the spool file could not be made durable (\(String(cString: strerror(errno))))")
            return ReceiverAnswer(.reject(packageID: t.id, reason: .unavailable, detail: "the recipient cannot store packages durably right now"))
        }
        let verdict: Result<OpenedPackage, any Error>
        if let verifier = t.verifier {
            // Verified as it arrived: only the last bytes are left to check.
            verdict = await verifier.complete()
        } else {
            // Checked whole, off the tasks' threads: seconds for a large package.
            let context = self.context, peer = self.peer
            guard let whole = await SpoolVerifier.verifyWhole(path: t.path, verify: { input in try Self.verify(&input, context: context, peer: peer) }) else {
                unlink(t.path)
                return ReceiverAnswer(.reject(packageID: t.id, reason: .unavailable, detail: "cannot read the received package"))
            }
            verdict = whole
        }
        return try await store(verdict, id: t.id, size: t.size, resumed: t.resumedFrom > 0, placement: .spool(t.path))
    }

    /// Takes a pushed package: the same checks as an offer, then the same
    /// verification and storage as a finished transfer, with the sealed bytes
    /// kept in the database. Does not change the receiver, so pushes on one
    /// session are taken concurrently.
    func receivePush(id: PackageID, expires: Int64?, bytes: [UInt8]) async -> SessionMessage {
        do {
            // A copy of a package already accepted must not use up a peer's rate or volume: such a peer's pushes are looked up first.
            let limited = peer.inboundLimits.packagesPerMinute != nil || peer.inboundLimits.bytesPerDay != nil
            // Otherwise the insert is the look-up (keyed by id and the peer's first key), except for
            // a peer that rotated its keys: what it sent before schema v5 is filed under the key it
            // used then, which only a look-up by all its keys finds.
            let rotated = peer.logFingerprint != peer.fingerprint
            if let answer = try admit(id: id, size: UInt64(bytes.count), expires: expires, lookingUp: limited || rotated) {
                return await audited([ReceiverAnswer(answer)])[0]
            }
            defer { release(id) }
            var input = MemorySource(bytes)
            let answer = try await verifyAndStore(id: id, size: UInt64(bytes.count), from: &input, resumed: false, placement: .inline(bytes))
            return await audited([try answerAsStored(id, answer)])[0]
        } catch {
            logger.error("package \(id) from \(peer.name) could not be taken: \(error)")
            return .reject(packageID: id, reason: .unavailable, detail: "the recipient cannot take packages right now; retry later")
        }
    }

    /// Where a received package's sealed bytes are until it is accepted.
    enum Placement {
        /// A complete spool file, moved into the inbox directory once accepted.
        case spool(String)
        /// Pushed bytes, kept in the inbox row.
        case inline([UInt8])
    }
}

/// Counts and discards bytes (verification without output).
struct CountingSink: ByteSink {
    var count: UInt64 = 0
    mutating func write(_ bytes: UnsafeRawBufferPointer) throws { count += UInt64(bytes.count) }
}
