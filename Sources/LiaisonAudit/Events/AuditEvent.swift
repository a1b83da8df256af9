import LiaisonCore

/// One security-relevant thing that happened on a node: the content of one leaf
/// of its audit log.
///
/// The leaf bytes are ``canonicalBytes`` (see `AuditEvent+Encoding.swift` and
/// docs/audit-log.md), so every field here is covered by the tree and by every
/// checkpoint signed after the event. Text fields are bounded so that a peer
/// cannot make one leaf large; they never carry key material or plaintext.
public struct AuditEvent: Hashable, Sendable {
    /// The encoding version written into every leaf.
    public static let version = 1
    /// Longest text (in UTF-8 bytes) kept in each text field and detail; longer text is cut.
    public static let maximumTextLength = 1024
    /// Most entries in ``details``.
    public static let maximumDetailCount = 32

    /// When it happened, in Unix milliseconds.
    public var time: Int64
    /// What happened.
    public var kind: AuditEventKind
    /// Whether it happened, was refused, or failed.
    public var outcome: AuditOutcome
    /// Who caused it.
    public var actor: AuditActor
    /// The peer it concerns (its fingerprint), if any.
    public var peer: String?
    /// The peer's local name when the event was recorded, for people.
    public var peerName: String?
    /// The package it concerns (32 hex digits), if any.
    public var package: String?
    /// The package's markings banner, e.g. `TLP:AMBER CONFIDENTIAL REL TO NATO`.
    public var markings: String?
    /// Why it was refused or failed: a rule or error code and a short explanation.
    public var reason: String?
    /// The remote network address, for events caused over the network.
    public var remote: String?
    /// Anything else worth keeping, as text (keys sorted in the leaf).
    public var details: [String: String]

    /// An event; text fields longer than ``maximumTextLength`` are cut.
    public init(time: Int64, kind: AuditEventKind, outcome: AuditOutcome = .ok, actor: AuditActor,
                peer: String? = nil, peerName: String? = nil, package: String? = nil, markings: String? = nil,
                reason: String? = nil, remote: String? = nil, details: [String: String] = [:]) {
        self.time = time
        self.kind = kind
        self.outcome = outcome
        self.actor = actor
        self.peer = peer.map { Self.bounded($0) }
        self.peerName = peerName.map { Self.bounded($0) }
        self.package = package.map { Self.bounded($0) }
        self.markings = markings.map { Self.bounded($0) }
        self.reason = reason.map { Self.bounded($0) }
        self.remote = remote.map { Self.bounded($0) }
        var kept: [String: String] = [:]
        for key in details.keys.sorted().prefix(Self.maximumDetailCount) {
            kept[Self.bounded(key)] = Self.bounded(details[key] ?? "")
        }
        self.details = kept
        // Escaping can multiply text sixfold: if the leaf would still exceed its limit,
        // keep less of each field (and say so) rather than write a leaf nobody can read.
        // Only an event whose bound says it might is encoded here (the caller encodes it again).
        if leafByteCountBound > Self.maximumLeafByteCount && canonicalBytes.count > Self.maximumLeafByteCount {
            let short = { (text: String) in Self.bounded(text, limit: 128) }
            self.peer = peer.map(short); self.peerName = peerName.map(short); self.package = package.map(short)
            self.markings = markings.map(short); self.reason = reason.map(short); self.remote = remote.map(short)
            var fewer: [String: String] = [:]
            for key in kept.keys.sorted().prefix(16) { fewer[short(key)] = short(kept[key] ?? "") }
            fewer["truncated"] = "true"
            self.details = fewer
        }
    }

    /// At least ``canonicalBytes``'s count, without encoding: every text at its worst
    /// escaping (six bytes per byte, `\u00xx`) with its quotes, plus the member names,
    /// punctuation and numbers (under 256 bytes together).
    package var leafByteCountBound: Int {
        func worst(_ text: String?) -> Int { text.map { 6 * $0.utf8.count + 2 } ?? 0 }
        var bound = 256 + worst(kind.rawValue) + worst(outcome.rawValue) + worst(actor.description) + worst(peer) + worst(peerName)
            + worst(package) + worst(markings) + worst(reason) + worst(remote)
        for (key, value) in details { bound += worst(key) + worst(value) + 2 }
        return bound
    }

    /// `text` cut to at most `limit` UTF-8 bytes, on a character boundary, marked with "…".
    static func bounded(_ text: String, limit: Int = maximumTextLength) -> String {
        guard text.utf8.count > limit else { return text }
        return text.prefix(utf8Bytes: limit - 3) + "…"
    }
}

/// The kinds of audited event. Raw values are written into leaves and never change.
public enum AuditEventKind: String, Sendable, Hashable, CaseIterable, Comparable {
    case nodeCreated = "node.created"
    /// The operator wrote a backup of the node (`liaison backup`): recorded before
    /// anything is copied, so the backup's own log holds it.
    case nodeBackedUp = "node.backed-up"
    /// The first entry of a log the operator began after the node's last one could
    /// not go on (`liaison audit new-log`, after a restore): which log it follows,
    /// how large that one was, where it is kept, and why.
    case logStarted = "log.started"
    case keyGenerated = "key.generated"
    /// A node rotated its keys (`keys rotate`, actor the operator), or a peer did and
    /// this node took its new card (actor `peer:<previous fingerprint>`, `by: peer`).
    case keyRotated = "key.rotated"
    case keyRevoked = "key.revoked"
    case peerAdded = "peer.added"
    /// A peer's attributes were edited (`peers set`: maximum TLP, clearance,
    /// communities, organisation, inbound limits), with each change; trust has `trust.changed`.
    case peerChanged = "peer.changed"
    case peerRemoved = "peer.removed"
    case trustChanged = "trust.changed"
    case packageSealed = "package.sealed"
    /// Written by versions before 2026-11-29 beside `package.sealed` or
    /// `package.forwarded`, which name the recipients in the same commit.
    case packageQueued = "package.queued"
    case packageOffered = "package.offered"
    /// Written by versions before 2026-11-29 beside `package.delivered`, which now
    /// carries the bytes sent and the receipt.
    case packageSent = "package.sent"
    case packageDelivered = "package.delivered"
    case packageReceived = "package.received"
    case packageOpened = "package.opened"
    case packageForwarded = "package.forwarded"
    case packageRejected = "package.rejected"
    case packageExpired = "package.expired"
    /// The operator removed the sealed file of a package sent in full (`outbox prune`).
    case packagePruned = "package.pruned"
    /// Written by versions before 2026-11-29 beside `package.received`, which now
    /// carries the receipt issued.
    case receiptIssued = "receipt.issued"
    /// A receipt that did not verify, or that arrived for a delivery that could not
    /// be closed (failed); a verified one is carried by `package.delivered`
    /// (versions before 2026-11-29 also wrote it on its own).
    case receiptReceived = "receipt.received"
    case policyDenied = "policy.denied"
    case handshakeAccepted = "handshake.accepted"
    case handshakeRejected = "handshake.rejected"
    case controlCommand = "control.command"
    case auditQuery = "audit.query"
    case checkpointCosigned = "checkpoint.cosigned"
    case daemonStarted = "daemon.started"
    case daemonStopped = "daemon.stopped"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Whether the recorded action happened.
public enum AuditOutcome: String, Sendable, Hashable, CaseIterable {
    /// It happened.
    case ok
    /// Policy, trust or a role refused it.
    case denied
    /// It was attempted and failed (bad input, an I/O error, a peer's refusal).
    case failed
}

/// Who caused an event.
public enum AuditActor: Hashable, Sendable, CustomStringConvertible {
    /// The daemon on its own account (scheduler, checkpointer, startup).
    case daemon
    /// A local user: by uid, with the role the node gave them (`operator`,
    /// `auditor`, or `none` when refused).
    case local(uid: UInt32, role: String)
    /// A peer daemon, by fingerprint.
    case peer(String)

    /// The form written into leaves: `daemon`, `uid:1000:operator`, `peer:<fingerprint>`.
    public var description: String {
        switch self {
        case .daemon: "daemon"
        case .local(let uid, let role): "uid:\(uid):\(role)"
        case .peer(let fingerprint): "peer:\(fingerprint)"
        }
    }

    /// Parses ``description``; `nil` for anything else.
    public init?(_ text: String) {
        if text == "daemon" { self = .daemon; return }
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count == 2, parts[0] == "peer", !parts[1].isEmpty {
            self = .peer(String(parts[1]))
        } else if parts.count == 3, parts[0] == "uid", let uid = UInt32(parts[1]), String(uid) == parts[1],
                  !parts[2].isEmpty, !parts[2].contains(":") {
            self = .local(uid: uid, role: String(parts[2]))
        } else {
            return nil
        }
    }
}
