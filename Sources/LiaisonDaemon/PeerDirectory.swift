import LiaisonCore
import LiaisonCrypto
import NIOConcurrencyHelpers

/// The daemon's view of the keyring: thread-safe, reloaded from disk when the
/// operator changes peers (through the control socket or by editing the files).
final class PeerDirectory: Sendable {
    private let home: NodeHome
    private let configuration: NodeConfiguration
    private let state: NIOLockedValueBox<Keyring>
    /// The holders of names whose senders already failed what was queued for an
    /// earlier holder, since the keyring last changed (a mismatch only comes from a
    /// change of it).
    private let checkedHolders = NIOLockedValueBox<[String: NodeFingerprint]>([:])
    /// Serialises changes and reloads, so the file's I/O (an fsync) never holds up
    /// readers — every handshake and package looks peers up.
    private let writer = NIOLock()

    init(home: NodeHome, configuration: NodeConfiguration) throws {
        self.home = home
        self.configuration = configuration
        self.state = NIOLockedValueBox(try home.loadKeyring(configuration))
    }

    /// The current keyring.
    var keyring: Keyring { state.withLockedValue { $0 } }

    /// Re-reads `keyring.toml` (and pinned peers).
    func reload() throws {
        try writer.withLock {
            let fresh = try home.loadKeyring(configuration)
            state.withLockedValue { $0 = fresh }
            checkedHolders.withLockedValue { $0 = [:] }
        }
    }

    /// Applies `change` to the keyring on disk and in memory, atomically.
    func update(_ change: (inout Keyring) throws -> Void) throws {
        try writer.withLock {
            var copy = try home.loadKeyring(configuration)
            try change(&copy)
            try home.saveKeyring(copy, configuration: configuration)
            state.withLockedValue { $0 = copy }
            checkedHolders.withLockedValue { $0 = [:] }
        }
    }

    /// Marks `peer` revoked in memory only, for when the keyring file cannot be
    /// written: fail closed until the files are read again. Only the record that
    /// still is that peer (the same identity, rotated or not), not another node
    /// given its name meanwhile.
    func markRevokedInMemory(_ peer: PeerRecord) {
        writer.withLock {
            state.withLockedValue { keyring in
                guard var current = keyring.peer(named: peer.name), current.hasIdentity(peer.keys.identity, at: Timestamp.now()) else { return }
                current.revoked = true
                try? keyring.replace(current)
            }
        }
    }

    /// Whether `peer` is the first sender to its name since the keyring last changed:
    /// it then fails what was queued for an earlier holder of the name (a scan of the
    /// name's queue, not repeated for every session and retry).
    func firstSender(of peer: PeerRecord) -> Bool {
        checkedHolders.withLockedValue { checked in
            guard checked[peer.name] != peer.logFingerprint else { return false }
            checked[peer.name] = peer.logFingerprint
            return true
        }
    }

    /// The peer whose Noise static key is `key`, if any.
    /// During a rotation's overlap the peer's previous transport key maps to it too.
    func peer(transportKey key: [UInt8]) -> PeerRecord? {
        let now = Timestamp.now()
        return keyring.peers.first { $0.hasTransportKey(key, at: now) }
    }

    /// The peer called `name`.
    func peer(named name: String) -> PeerRecord? { keyring.peer(named: name) }
}
