/// A request on the control socket: the first frame a client sends, as JSON.
/// `send` is followed by the payload in data frames and an empty frame;
/// `send.files` by `files` such payloads.
public struct ControlRequest: Codable, Sendable, Equatable {
    /// What to do.
    public enum Command: String, Codable, Sendable {
        case status
        case peersAdd = "peers.add"
        case peersList = "peers.list"
        case peersRemove = "peers.remove"
        case send
        /// Several payloads (`files`), each sealed into its own package, all queued or none.
        /// A command of its own, so that a daemon that predates it refuses it whole.
        case sendFiles = "send.files"
        case outboxList = "outbox.list"
        /// Remove the sealed files of packages sent in full, queued more than `olderThanSeconds` ago (operator).
        case outboxPrune = "outbox.prune"
        case inboxList = "inbox.list"
        case inboxGet = "inbox.get"
        /// The newest receipts (`limit`), or with `id` every receipt for that package.
        case receipts
        /// Re-share a received package (`id`) with peers (`to`) as a new package.
        case forward
        /// Auditor commands: read the audit log (each is itself audited).
        case auditQuery = "audit.query"
        case auditCheckpoint = "audit.checkpoint"
        case auditProve = "audit.prove"
        case auditLeaves = "audit.leaves"
        case auditKeys = "audit.keys"
        /// The newest checkpoint of a peer's log (`peer`) that this node cosigned as its witness.
        case auditWitnessed = "audit.witnessed"
        /// Peer lifecycle (operator): change trust, show one peer with its effective policy, revoke.
        case peersSetTrust = "peers.set-trust"
        /// Edit a peer's attributes: maximum TLP, clearance, communities, organisation, limits (operator).
        case peersSet = "peers.set"
        case peersShow = "peers.show"
        case peersRevoke = "peers.revoke"
        /// Revoke this node's own identity key and tell every partner (operator; irreversible).
        case keysRevoke = "keys.revoke"
        /// Replace this node's identity, encryption and transport keys and tell the partners (operator).
        case keysRotate = "keys.rotate"
        /// Honour a partner's own revocation statement handed over by other means (operator).
        case peersImportRevocation = "peers.import-revocation"
    }

    /// The command.
    public var command: Command
    /// Peer name (`peers.add`, `peers.remove`).
    public var name: String?
    /// A node card's text (`peers.add`).
    public var card: String?
    /// Override of the card's addresses (`peers.add`).
    public var addresses: [String]?
    /// Trust level (`peers.add`).
    public var trust: String?
    /// Expected fingerprint (`peers.add`).
    public var fingerprint: String?
    /// Most sensitive TLP the peer may receive (`peers.add`).
    public var maximumTLP: String?
    /// The organisation the peer belongs to (`peers.add`).
    public var organisation: String?
    /// Inbound limits on what is accepted from the peer (`peers.add`).
    public var maximumPackageBytes: Int64?
    public var packagesPerMinute: Int64?
    public var bytesPerDay: Int64?
    /// Recipients (`send`, `forward`).
    public var to: [String]?
    /// Markings (`send`).
    public var tlp: String?
    public var classification: String?
    public var releasableTo: [String]?
    public var caveats: [String]?
    /// How many payloads follow (`send.files`), each sealed into its own package
    /// and answered with an array of receipts in their order.
    public var files: Int?
    /// Most payloads one `send.files` carries.
    public static let maximumFilesPerSend = 256
    /// Most entries one listing (`outbox.list`, `inbox.list`, `receipts`) carries.
    public static let maximumListLimit = 10_000

    /// How many entries a listing asked for `limit` serves: 100 unless said, at
    /// least 1, at most ``maximumListLimit``.
    public static func listLimit(_ limit: Int?) -> Int { min(max(limit ?? 100, 1), maximumListLimit) }
    /// Validity from now, e.g. `30d`, or `never` (`send`).
    public var expires: String?
    public var contentType: String?
    /// Package id (`inbox.get`, `forward`).
    public var id: String?
    /// Paging.
    public var limit: Int?
    /// Audit query filters (`audit.query`): peer name, package id (in `id`), event kinds,
    /// RFC 3339 times, a cursor (entry index) and the order. For `inbox.get` and
    /// `forward`, `peer` names the sender when several sent a package with this id;
    /// for `outbox.list`, the recipient whose deliveries are listed.
    public var peer: String?
    /// `outbox.list`: only packages with a delivery in this state (with `peer`, to that
    /// peer); `queued` takes in deliveries being sent.
    public var state: String?
    public var events: [String]?
    /// `audit.query`: only entries with one of these outcomes (`ok`, `denied`, `failed`).
    public var outcomes: [String]?
    public var since: String?
    public var until: String?
    public var cursor: Int?
    public var newestFirst: Bool?
    /// An entry index (`audit.prove`, and the first entry of `audit.leaves`).
    public var entry: Int?
    /// Refuse (`policy.marking-conflict`) instead of raising the package's TLP when
    /// its STIX bundle is marked more strictly (`send`).
    public var strictMarkings: Bool?
    /// Queue nothing unless every named recipient may receive it (`send --all-or-nothing`):
    /// a recipient the policy withholds refuses the whole send (`policy.denied`).
    public var allOrNothing: Bool?
    /// Remove every inbound limit (`peers.set`).
    public var clearLimits: Bool?
    /// Forward even to peers this package was already forwarded to (`forward --again`).
    public var again: Bool?
    /// Open a package whose signer's key was revoked after it arrived (`inbox get
    /// --despite-revocation`): the operator's explicit choice, recorded.
    public var despiteRevocation: Bool?
    /// Why this node revokes its own key (`keys.revoke`; printable, at most 200 characters).
    public var reason: String?
    /// A revocation statement's text (`peers.import-revocation`).
    public var statement: String?
    /// How long partners keep accepting the previous keys, in days (`keys.rotate`).
    public var overlapDays: Int?
    /// How long ago, at least, a package was queued for its file to be pruned, in seconds (`outbox.prune`).
    public var olderThanSeconds: Int64?

    /// A request for `command` with no arguments.
    public init(_ command: Command) { self.command = command }

    /// Decodes only the members present (a request names a handful of its dozens of
    /// optional fields; asking for each in turn was most of its decoding time). A
    /// member that is `null` counts as absent; `command` is required. A field added
    /// to the request must be added here too: the switch does not compile without it.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(.status)
        var command: Command?
        for key in container.allKeys where try !container.decodeNil(forKey: key) {
            switch key {
            case .command: command = try container.decode(Command.self, forKey: key)
            case .name: name = try container.decode(String.self, forKey: key)
            case .card: card = try container.decode(String.self, forKey: key)
            case .addresses: addresses = try container.decode([String].self, forKey: key)
            case .trust: trust = try container.decode(String.self, forKey: key)
            case .fingerprint: fingerprint = try container.decode(String.self, forKey: key)
            case .maximumTLP: maximumTLP = try container.decode(String.self, forKey: key)
            case .organisation: organisation = try container.decode(String.self, forKey: key)
            case .maximumPackageBytes: maximumPackageBytes = try container.decode(Int64.self, forKey: key)
            case .packagesPerMinute: packagesPerMinute = try container.decode(Int64.self, forKey: key)
            case .bytesPerDay: bytesPerDay = try container.decode(Int64.self, forKey: key)
            case .to: to = try container.decode([String].self, forKey: key)
            case .tlp: tlp = try container.decode(String.self, forKey: key)
            case .classification: classification = try container.decode(String.self, forKey: key)
            case .releasableTo: releasableTo = try container.decode([String].self, forKey: key)
            case .caveats: caveats = try container.decode([String].self, forKey: key)
            case .files: files = try container.decode(Int.self, forKey: key)
            case .expires: expires = try container.decode(String.self, forKey: key)
            case .contentType: contentType = try container.decode(String.self, forKey: key)
            case .id: id = try container.decode(String.self, forKey: key)
            case .limit: limit = try container.decode(Int.self, forKey: key)
            case .peer: peer = try container.decode(String.self, forKey: key)
            case .state: state = try container.decode(String.self, forKey: key)
            case .events: events = try container.decode([String].self, forKey: key)
            case .outcomes: outcomes = try container.decode([String].self, forKey: key)
            case .since: since = try container.decode(String.self, forKey: key)
            case .until: until = try container.decode(String.self, forKey: key)
            case .cursor: cursor = try container.decode(Int.self, forKey: key)
            case .newestFirst: newestFirst = try container.decode(Bool.self, forKey: key)
            case .entry: entry = try container.decode(Int.self, forKey: key)
            case .strictMarkings: strictMarkings = try container.decode(Bool.self, forKey: key)
            case .allOrNothing: allOrNothing = try container.decode(Bool.self, forKey: key)
            case .clearLimits: clearLimits = try container.decode(Bool.self, forKey: key)
            case .again: again = try container.decode(Bool.self, forKey: key)
            case .despiteRevocation: despiteRevocation = try container.decode(Bool.self, forKey: key)
            case .reason: reason = try container.decode(String.self, forKey: key)
            case .statement: statement = try container.decode(String.self, forKey: key)
            case .overlapDays: overlapDays = try container.decode(Int.self, forKey: key)
            case .olderThanSeconds: olderThanSeconds = try container.decode(Int64.self, forKey: key)
            }
        }
        guard let command else {
            throw DecodingError.keyNotFound(CodingKeys.command, .init(codingPath: decoder.codingPath, debugDescription: "a request names its command"))
        }
        self.command = command
    }
}

/// The error a daemon returns instead of a result.
public struct ControlFailure: Codable, Sendable, Error, CustomStringConvertible {
    /// A stable code (`peer.unknown`, `package.expired`, …).
    public let code: String
    /// What went wrong and what to do.
    public let message: String

    /// Creates a failure.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(message) [\(code)]" }
}

/// The envelope of every response: either `result` or `error`.
public struct ControlEnvelope<Result: Codable & Sendable>: Codable, Sendable {
    /// The result on success.
    public var result: Result?
    /// The failure otherwise.
    public var error: ControlFailure?

    /// A success.
    public init(result: Result) { self.result = result; self.error = nil }
    /// A failure.
    public init(error: ControlFailure) { self.result = nil; self.error = error }
}

/// An empty result.
public struct Empty: Codable, Sendable, Equatable {
    /// The empty value.
    public init() {}
}
