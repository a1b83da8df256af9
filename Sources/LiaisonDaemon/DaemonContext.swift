import Foundation
import LiaisonAudit
import LiaisonCore
import LiaisonCrypto
import LiaisonControl
import LiaisonStore
import LiaisonWire
import Logging
import NIOConcurrencyHelpers

/// Everything the daemon's services share: the node's identity, keys, peers,
/// database and directories. Immutable or internally synchronised.
final class DaemonContext: Sendable {
    let home: NodeHome
    /// This node's configuration and keys as they are now (`keys rotate` replaces them).
    let localKeys: NIOLockedValueBox<LocalKeys>
    /// The key file's sealing key, to write rotated keys under the same passphrase.
    let sealingKey: KeyFile.SealingKey
    let peers: PeerDirectory
    let store: NodeStore
    /// The audit log; every security-relevant action appends to it first.
    let auditLog: AuditLog
    /// Signs this node's checkpoints (the log key).
    let logSigner: NoteSigner
    /// What the audit log follows, if the node began it after another (`audit new-log`).
    let logSuccession: LogSuccession?
    /// Cosigns peers' checkpoints.
    let cosigner: Cosigner
    let settings: DaemonSettings
    let logger: Logger
    /// Log lines for refusals anyone can cause without a peer's keys, limited (``RefusalLog``).
    let refusalLog: RefusalLog
    /// Peers that may have deliveries postponed as unreachable (``PackageSender/unreachable``),
    /// each until a session with it has brought them forward: a sender that starts for
    /// any other peer skips that look. Every peer at start, since a daemon stopped
    /// during an outage may have left some.
    let mayHavePostponed: NIOLockedValueBox<Set<String>>
    let startedAt: Int64
    /// Wakes the delivery scheduler when something was queued, naming for whom.
    let schedulerWakeups = SchedulerWakeups()
    /// Asks the audit checkpointer for a round of cosignature requests, and waits for it.
    let witnessRounds = WitnessRounds()
    /// As a witness: the checkpoints of each peer's log refused since this daemon
    /// started as showing a rollback, a fork, a closed log or another log key, by the
    /// peer's lifelong fingerprint (`status` shows them; the audit log keeps each).
    let witnessRefusals = NIOLockedValueBox<[NodeFingerprint: PeerStatus.WitnessRefusal]>([:])
    private let lastTimestamp = NIOLockedValueBox<UInt64>(0)
    /// Per-peer packages-per-minute buckets (keyed by fingerprint).
    let inboundBuckets = NIOLockedValueBox([String: TokenBucket]())
    /// What each sender delivered in the last day, for `bytes-per-day` limits.
    let inboundVolume = InboundVolume()
    /// Packages being received right now, each with its sealed size, so two
    /// connections never write one spool file.
    let activeTransfers = NIOLockedValueBox([InboundClaim: UInt64]())
    /// Serialises the making of new spool partials (``SpoolFiles/makeRoom(for:claims:)``),
    /// apart from the claims' lock, which is never held over a directory listing.
    let newPartials = NIOLock()
    /// Set when a witness reports that this node's log was rolled back or forked; the
    /// node then signs no more checkpoints until an operator restores the log.
    let witnessAlarm = NIOLockedValueBox<String?>(nil)
    /// Why the last periodic checkpoint was not signed (nil once one is): shown by `status`.
    let checkpointRefusal = NIOLockedValueBox<String?>(nil)
    /// Memory for payloads read whole to check their STIX markings, shared by every
    /// control connection (64 could otherwise each hold 130 MiB); past it a send is
    /// refused for now.
    let wholePayloads = ByteBudget(capacity: 256 << 20)
    /// Handshakes by peer (its lifelong fingerprint): a partner, or a thief of its
    /// transport key, dialling from many sources still gets only its share.
    let peerHandshakes: NIOLockedValueBox<HandshakeRateLimiter>
    /// Handshakes from sources that authenticated none lately, all together: thousands of
    /// addresses each within its share cannot take the CPU, and partners' addresses get in.
    let newSources: NIOLockedValueBox<NewSourceBudget>
    /// How many refusals caused from the network are recorded one by one (20/s, bursts
    /// of 200), and how many were left out since the last recorded one.
    let refusalBudget = NIOLockedValueBox(RefusalBudget(rate: 20, burst: 200))
    /// The same for refusals anyone can cause without a peer's keys (one every 10 s,
    /// bursts of 60): see ``auditAnonymousRefusal(_:)``.
    let anonymousRefusalBudget = NIOLockedValueBox(RefusalBudget(rate: 0.1, burst: 60))
    /// Warnings that expired packages cannot be recorded: one a minute.
    let expiryWarnings = NIOLockedValueBox(TokenBucket(rate: 1.0 / 60, burst: 1))
    /// The same for control commands refused to their callers.
    let controlRefusalBudget = NIOLockedValueBox(RefusalBudget(rate: 20, burst: 200))
    /// Set while `keys revoke` or `keys rotate` runs: one change of this node's own
    /// keys at a time (a revocation signed by keys a rotation is replacing would
    /// leave partners trusting the new ones).
    let keyChangeInProgress = NIOLockedValueBox(false)
    /// Partners' key rotations being taken, one at a time per peer (by lifelong
    /// fingerprint): what a rotation checks then holds until the keyring takes it,
    /// so one is refused before it is audited rather than after.
    let peerRotationTurns = HandshakeTurns()
    /// Bytes of `keys/peer-rotations.txt` promised to rotations being taken (their
    /// lines not yet appended): the file is shared by every peer, so its room is
    /// reserved before a rotation is audited (``NodeHome/ensurePeerRotationRoom(peer:previous:until:reserved:)``).
    let peerRotationRoomReserved = NIOLockedValueBox(0)
    /// Serialises rewrites of `keys/rotation-pending.txt`.
    let rotationPendingLock = NIOLock()
    /// `keys/rotation-pending.txt` as last written: only this daemon writes it while
    /// it runs (``savePendingRotation(_:)``), so the look after every handshake reads
    /// memory, not the file.
    let rotationPending: NIOLockedValueBox<Set<String>>
    /// The rotation (its time) whose overlap this run logged as ended with partners untold.
    let rotationOverlapEndedSaid = NIOLockedValueBox<Int64?>(nil)
    /// Sessions open with each peer, so revoking or blocking one ends them at once.
    let liveSessions = LiveSessions()
    /// Handshakes this node starts, one at a time per peer.
    let handshakeTurns = HandshakeTurns()
    /// Offers recorded with their packages' queueing, for the sender to take.
    let earlyOffers = EarlyOffers()
    /// Bumped whenever something is queued, so lingering senders notice at once.
    let outboxSignal = OutboxSignal()
    /// When each package being delivered was queued, for `liaison_delivery_seconds`.
    let queueTimes = QueueTimes()
    /// Free space on the home volume that packages never take.
    let diskReserve: DiskReserve
    /// Set when the store was found behind the audit log (restored from a backup)
    /// and its journal numbering moved past the log's mark; recorded at start.
    let journalRenumbering: JournalRenumbering?

    /// Tells the scheduler and lingering sessions that `packages` are queued (and
    /// durable), handing those in `handingOver` (per peer name) to their running
    /// senders (``OutboxSignal/announceQueued(handingOver:others:)``).
    func announceQueued(_ packages: [QueuedPackage], handingOver: [String: [DuePackage]]) {
        let handed = handingOver.mapValues { Set($0.map(\.package.id)) }
        var others = Set<String>()
        for queued in packages {
            for peer in queued.recipients where !(handed[peer]?.contains(queued.package.id) ?? false) { others.insert(peer) }
        }
        outboxSignal.announceQueued(handingOver: handingOver, others: others)
        // Every recipient, handed over or not: a recipient whose sender has just ended
        // is looked at now (one still ending is busy, and is looked at on the next tick).
        schedulerWakeups.wake(for: packages.lazy.flatMap(\.recipients))
    }

    var outboxDirectory: String { home.path + "/outbox" }
    /// Where a package this node seals and keeps in a file lives: `outbox/<id>.lpkg`
    /// (the name `outbox prune` removes, and the store's prune selects by).
    func outboxFile(_ id: PackageID) -> String { outboxDirectory + "/\(id).lpkg" }
    var inboxDirectory: String { home.path + "/inbox" }
    var spoolDirectory: String { home.path + "/spool" }

    init(home: NodeHome, configuration: NodeConfiguration, secrets: NodeSecrets, sealing: KeyFile.SealingKey,
         settings: DaemonSettings, logger: Logger) throws {
        self.home = home
        rotationPending = NIOLockedValueBox(Set(home.pendingRotationPeers()))
        let previous = try home.previousSecrets(sealing: sealing)
        // A node that rotated under an earlier release gets the proof of its log's
        // name for its cards now, while it still holds its first identity key, and
        // the card it hands to partners added later is signed again to carry it.
        if configuration.logFingerprint != configuration.publicKeys.fingerprint, !home.isRevoked {
            do {
                try home.ensureLogOrigin(configuration, held: { previous.map { [$0.secrets] } ?? [] })
            } catch {
                logger.warning("the proof of this node's log name cannot be kept, so partners who add its card cannot witness its log: \(error)")
            }
            do {
                if try home.refreshRotationCard(configuration, secrets: secrets, now: Timestamp.now()) {
                    logger.notice("\(home.rotationCardPath) written again to carry the proof of this node's log name")
                }
            } catch {
                logger.warning("\(home.rotationCardPath) could not be written again with the proof of this node's log name: \(error)")
            }
        }
        self.localKeys = NIOLockedValueBox(LocalKeys(configuration: configuration, secrets: secrets,
                                                     previous: previous?.secrets, previousUntil: previous?.overlapUntil))
        self.sealingKey = sealing
        self.settings = settings
        newSources = NIOLockedValueBox(NewSourceBudget(ratePerSecond: settings.newSourceHandshakeRate, burst: settings.newSourceHandshakeBurst))
        peerHandshakes = NIOLockedValueBox(HandshakeRateLimiter(ratePerSecond: settings.peerHandshakesPerMinute / 60,
                                                                burst: max(1, settings.peerHandshakesPerMinute / 4)))
        self.diskReserve = DiskReserve(bytes: settings.diskReserveBytes, path: home.path)
        self.logger = logger
        self.refusalLog = RefusalLog(logger: logger)
        self.peers = try PeerDirectory(home: home, configuration: configuration)
        self.mayHavePostponed = NIOLockedValueBox(Set(peers.keyring.peers.map(\.name)))
        for directory in ["/outbox", "/inbox", "/spool"] {
            try FileManager.default.createDirectory(atPath: home.path + directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        self.store = try NodeStore(home: home)
        self.auditLog = try AuditLog(path: configuration.audit.databasePath(home: home.path))
        // The busiest writes journal their audit events in the store's own commit.
        journalRenumbering = try store.attachAuditJournal(to: auditLog)
        // The log keeps its name across rotations (`[keys] log-name`); a log begun
        // after another (`audit new-log`) adds its label.
        let fingerprint = configuration.logFingerprint
        self.logSuccession = try auditLog.succession()
        self.logSigner = try NoteSigner(name: NodeLogNames.origin(fingerprint, label: logSuccession?.label), secretKey: secrets.log)
        self.cosigner = try Cosigner(name: NodeLogNames.witnessName(fingerprint), secretKey: secrets.log)
        self.startedAt = Timestamp.now()
        // A later log is one this node's log key began (`audit new-log`), not a file
        // merely named so: else nothing of it is signed.
        if let succession = logSuccession, succession.statement.origin != logSigner.verifierKey.name
            || !succession.statement.isSigned(succession.signature, by: secrets.log.publicKey)
            || !Self.opensWith(succession, auditLog) {
            raiseWitnessAlarm("\(auditLog.path) names itself a later log of this node (\(logSigner.verifierKey.name)), but its beginning is not signed by this node's log key, or its first entry is not that beginning's record: it was not begun by `liaison audit new-log`. No checkpoint of it is signed; put back the node's own log")
        }
        // Files of sends interrupted by a crash were never acknowledged.
        try sweepOutbox()
    }

    /// This node's id.
    var fingerprint: NodeFingerprint { configuration.publicKeys.fingerprint }

    /// Whether `log` opens with the `log.started` entry that records `succession`
    /// (its name record and its first entry say the same; an empty log, not yet
    /// begun, is not one).
    private static func opensWith(_ succession: LogSuccession, _ log: AuditLog) -> Bool {
        guard let leaf = try? log.leaves(0..<1).first, let event = try? AuditEvent(canonicalBytes: leaf),
              let recorded = LogSuccessionStatement.recorded(in: event, origin: succession.statement.origin) else { return false }
        return recorded.statement == succession.statement && recorded.signature == succession.signature
    }

    /// A handshake timestamp: nanoseconds since the epoch, strictly increasing in
    /// this process even if the clock stalls or steps back.
    func nextHandshakeTimestamp() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let wall = UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
        return lastTimestamp.withLockedValue { last in
            last = max(wall, last + 1)
            return last
        }
    }
}

/// Tunables, with defaults a production node would use. Tests shorten the timers.
struct DaemonSettings: Sendable {
    /// A handshake must complete within this time, or the connection is dropped.
    var handshakeTimeout: TimeAmount = .seconds(5)
    /// An established connection with no traffic for this long is closed.
    var idleTimeout: TimeAmount = .seconds(60)
    /// Most simultaneous inbound connections.
    var maximumConnections = 256
    /// Most simultaneous control-socket connections.
    var maximumControlConnections = 64
    /// Most of them held by one user (uid).
    var controlConnectionsPerUser = Int(DaemonTunables().controlConnectionsPerUser)
    /// How long a control client may keep the daemon waiting for a frame, or for
    /// room to write one, before it is cut off.
    var controlTimeout: TimeAmount = .seconds(30)
    /// Most inbound connections from one source still in their handshakes.
    var maximumHandshakesPerSource = 8
    /// Most sessions open with one peer, inbound and outbound.
    var maximumSessionsPerPeer = 16
    /// Handshakes per second per source address, and the burst allowed.
    var handshakeRate = 20.0
    var handshakeBurst = 50.0
    /// Handshakes per minute from one peer, from any source; a quarter of it at once.
    var peerHandshakesPerMinute = 120.0
    /// Handshakes per second from sources not authenticated lately, all together, and the burst.
    var newSourceHandshakeRate = 100.0
    var newSourceHandshakeBurst = 200.0
    /// Rekey after this many messages or seconds in one direction.
    var rekeyMessages: UInt64 = 1 << 20
    var rekeySeconds = 120.0
    /// A sender renews a session this old (a new handshake: a fresh key agreement);
    /// a receiver ends one twice as old.
    var sessionLifetime = Duration.seconds(600)
    /// Retry backoff: first delay and ceiling, in seconds (jittered).
    var retryInitial = 1.0
    var retryMaximum = 300.0
    /// How often the scheduler looks for due deliveries without being woken.
    var schedulerInterval: TimeAmount = .milliseconds(500)
    /// Largest package accepted from a peer.
    var maximumPackageBytes: UInt64 = 8 << 30
    /// How long an outbound session stays open waiting for more packages.
    var lingerMilliseconds = 2000
    /// How long SIGTERM waits for in-flight transfers.
    var drainTimeout: TimeAmount = .seconds(20)
    /// Bytes of the home volume that packages never take (``DiskReserve``).
    var diskReserveBytes: UInt64 = 256 << 20
    /// How often a partner's key rotation is taken (``PeerRotationPace``).
    var peerRotationPace = PeerRotationPace(intervalSeconds: 3600)

    /// Settings from the `[daemon]` section of liaison.toml.
    init(_ t: DaemonTunables = DaemonTunables()) {
        handshakeTimeout = .seconds(t.handshakeTimeoutSeconds)
        idleTimeout = .seconds(t.idleTimeoutSeconds)
        maximumConnections = Int(t.maximumConnections)
        maximumControlConnections = Int(t.maximumControlConnections)
        controlConnectionsPerUser = Int(t.controlConnectionsPerUser)
        controlTimeout = .seconds(t.controlTimeoutSeconds)
        maximumHandshakesPerSource = Int(t.maximumHandshakesPerSource)
        maximumSessionsPerPeer = Int(t.maximumSessionsPerPeer)
        handshakeRate = Double(t.handshakesPerSecond)
        handshakeBurst = Double(t.handshakeBurst)
        peerHandshakesPerMinute = Double(t.peerHandshakesPerMinute)
        newSourceHandshakeRate = Double(t.newSourceHandshakesPerSecond)
        newSourceHandshakeBurst = Double(t.newSourceHandshakeBurst)
        rekeySeconds = Double(t.rekeySeconds)
        rekeyMessages = UInt64(t.rekeyMessages)
        sessionLifetime = .seconds(t.sessionLifetimeSeconds)
        retryInitial = Double(t.retryInitialSeconds)
        retryMaximum = Double(t.retryMaximumSeconds)
        maximumPackageBytes = UInt64(t.maximumPackageBytes)
        diskReserveBytes = UInt64(t.diskReserveMiB) << 20
        peerRotationPace = PeerRotationPace(intervalSeconds: t.peerRotationIntervalSeconds)
    }
}

import NIOCore

/// A package being received (transferred or pushed): its sender's and its id, a
/// package being its sender's (another sender's package with the same id is
/// another package, and never waits for this one). Claims, each with the bytes it
/// will add to its sender's daily volume once stored, keep one package on one
/// connection at a time, and let concurrent packages from one peer be counted
/// against its `bytes-per-day` before any of them is stored.
struct InboundClaim: Hashable, Sendable {
    /// The fingerprint that names the sender for life (`PeerRecord.logFingerprint`).
    let sender: String
    let id: PackageID
}
