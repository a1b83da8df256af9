import Foundation
import LiaisonCrypto

/// Partners' retired identity keys: `<home>/keys/peer-rotations.txt`, one line per
/// rotation taken, and per key of a partner removed (`peers remove`, the removal's
/// time as the overlap end) (`<overlap end> <peer name> <previous identity key> <lineage>`, the
/// lineage being the fingerprint that names the peer for life, `PeerRecord.logFingerprint`;
/// lines written before it was recorded have none). After the
/// overlap a keyring load drops a peer's previous keys, so nothing new signed by
/// them is accepted; this history lets packages that arrived while the old key was
/// still valid be read from the inbox later (``senders(asOf:keyring:)``). Lines are
/// only ever appended, up to ``peerRotationsByteLimit``; the latest one of a peer
/// also paces its rotations (``latestRotationOverlapEnd(of:)``, ``PeerRotationPace``).
extension NodeHome {
    /// `keys/peer-rotations.txt`.
    public var peerRotationsPath: String { path + "/keys/peer-rotations.txt" }

    /// One retired key of a partner.
    public struct RetiredPeerKey: Sendable, Hashable {
        /// The partner's local name when the rotation was taken.
        public let peer: String
        /// Its identity key before that rotation.
        public let identity: IdentityPublicKey
        /// Until when that key was accepted (Unix seconds).
        public let until: Int64
        /// The peer's lineage (its first fingerprint) when the rotation was taken; nil on older lines.
        public let lineage: NodeFingerprint?

        /// Whether this key was retired by `peer` itself, not by another node that had
        /// the same local name (removed, and another imported under its name): the
        /// lineages match, or, on a line without one, the record is older than the key's retirement.
        public func belongs(to peer: PeerRecord) -> Bool {
            guard peer.name == self.peer else { return false }
            if let lineage { return lineage == peer.logFingerprint }
            return peer.added != 0 && peer.added < until
        }
    }

    /// Most bytes `keys/peer-rotations.txt` holds: about 100,000 rotations. Past it a
    /// rotation is refused rather than any history dropped.
    public static let peerRotationsByteLimit = 16 << 20

    /// Records that `peer` retired `identity`, accepted until `until`: one line
    /// appended and fsynced (the lines before it are never rewritten, so a crash
    /// can cut only this one short; the next append starts a new line after it).
    ///
    /// - Throws: ``CoreError`` `identity.rotation-refused` if the line would take the
    ///   file past ``peerRotationsByteLimit`` (the caller must then not take the
    ///   rotation: the history of every partner stays whole), or `io`.
    public func recordPeerRotation(peer: PeerRecord, previous identity: IdentityPublicKey, until: Int64) throws {
        let path = peerRotationsPath
        let line = Self.peerRotationLine(peer: peer, previous: identity, until: until)
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw CoreError(.io, "cannot open \(path): \(String(cString: strerror(errno))); check that the home's keys directory is writable by liaisond")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
            throw CoreError(.io, "\(path) is not a regular file; move it aside and restore the file from a backup")
        }
        let size = Int(info.st_size)
        var last: UInt8 = 0x0A
        if size > 0, pread(fd, &last, 1, off_t(size - 1)) != 1 {
            throw CoreError(.io, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        // A line a crash cut short stays a line of its own (skipped as damaged when read).
        let bytes = (last == 0x0A ? [] : [0x0A]) + line
        guard size + bytes.count <= Self.peerRotationsByteLimit else { throw peerRotationsFull(holding: size) }
        var stream = FileDescriptorStream(descriptor: fd)
        try stream.write(bytes)
        guard fsync(fd) == 0 else { throw CoreError(.io, "cannot sync \(path): \(String(cString: strerror(errno)))") }
        if size == 0 { try AtomicOutputFile.syncDirectory(self.path + "/keys") }
    }

    /// Throws the refusal ``recordPeerRotation(peer:previous:until:)`` would, if
    /// `keys/peer-rotations.txt` has no room left for that line beyond `reserved`
    /// bytes promised to other rotations under way; otherwise returns the bytes to
    /// reserve for this one. Checked before a rotation is audited, so one the file
    /// cannot take is refused, not recorded as taken. (The append checks again.)
    @discardableResult
    public func ensurePeerRotationRoom(peer: PeerRecord, previous identity: IdentityPublicKey, until: Int64, reserved: Int = 0) throws -> Int {
        var info = stat()
        let size = lstat(peerRotationsPath, &info) == 0 ? Int(info.st_size) : 0   // no file yet: empty
        // One byte more than the line, for the newline a cut-short last line may need.
        let needed = Self.peerRotationLine(peer: peer, previous: identity, until: until).count + 1
        guard size + reserved + needed <= Self.peerRotationsByteLimit else { throw peerRotationsFull(holding: size) }
        return needed
    }

    private static func peerRotationLine(peer: PeerRecord, previous identity: IdentityPublicKey, until: Int64) -> [UInt8] {
        Array("\(Timestamp.iso8601(until)) \(peer.name) \(KeyText.encode(identity)) \(peer.logFingerprint)\n".utf8)
    }

    private func peerRotationsFull(holding size: Int) -> CoreError {
        CoreError(.rotationRefused, "\(peerRotationsPath) holds \(size) bytes of partners' retired keys, its limit being \(Self.peerRotationsByteLimit); "
                  + "no rotation is taken until it has room (its history is never dropped). Move the lines of partners "
                  + "no longer in the keyring out of it while liaisond is stopped (docs/keys.md)")
    }

    /// When the overlap of the latest rotation this node took from `peer` ended (or
    /// ends): its record's `previous-until`, or its latest line in
    /// `keys/peer-rotations.txt` (the keyring forgets the previous keys after the
    /// overlap); nil if it never rotated here. A line naming its current identity
    /// key records a rotation whose keyring update failed: it does not count.
    public func latestRotationOverlapEnd(of peer: PeerRecord) -> Int64? {
        let recorded = retiredPeerKeys().filter { $0.belongs(to: peer) && $0.identity != peer.keys.identity }.map(\.until)
        return (recorded + [peer.previousUntil].compactMap { $0 }).max()
    }

    /// Refuses a node's first card once its node is known here to have rotated: the
    /// card's key is the one its lineage is named after (its first), and another key of
    /// that lineage is known: a peer in `keyring` filed under that lineage or proving it
    /// (its card's log origin, which only that first key can sign) holds another key, or
    /// a line of this file names one (only a rotation makes one). Taken, the old card
    /// would pair this node with keys its partner no longer uses, and the partner would
    /// not say so again. (A later card gone stale cannot be told from the current one
    /// this way: removal records every key held.)
    public func ensureNotRotatedAway(_ card: NodeCard, keyring: Keyring) throws {
        let lineage = card.fingerprint
        guard card.logOrigin == nil else { return }
        let holder = keyring.peers.first { ($0.logFingerprint == lineage || $0.auditLogName == lineage) && $0.keys.identity != card.keys.identity }
        let successor = holder.map { ($0.name, $0.fingerprint) }
            ?? retiredPeerKeys().last { $0.lineage == lineage && $0.identity != card.keys.identity }.map { ($0.peer, NodeFingerprint(identity: $0.identity)) }
        guard let successor else { return }
        throw CoreError(.invalidArgument, "this card's identity key (\(lineage.short)) was rotated away by its node: \(successor.0) has held "
                        + "\(successor.1.short) since (\(holder == nil ? peerRotationsPath : "the keyring")); ask the partner for its current card (its keys/card.txt)")
    }

    /// The retired keys on record (lines that do not parse are skipped: the file is
    /// this node's own, and a damaged line only makes an old package unreadable).
    public func retiredPeerKeys() -> [RetiredPeerKey] {
        ((try? peerRotationLines()) ?? []).compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 3 || parts.count == 4, let until = Timestamp.parse(String(parts[0])),
                  let identity: IdentityPublicKey = try? KeyText.decode(String(parts[2]), field: "identity") else { return nil }
            let lineage = parts.count == 4 ? try? NodeFingerprint(parsing: String(parts[3])) : nil
            guard parts.count == 3 || lineage != nil else { return nil }
            return RetiredPeerKey(peer: String(parts[1]), identity: identity, until: until, lineage: lineage)
        }
    }

    private func peerRotationLines() throws -> [String] {
        guard let data = FileManager.default.contents(atPath: peerRotationsPath), data.count <= Self.peerRotationsByteLimit else { return [] }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// The peer whose identity key is, or ever was, `identity`: its current key, its
    /// previous one (during a rotation's overlap or after), or one it retired before
    /// (`peer-rotations.txt`). A revocation signed by any key of that chain revokes the
    /// peer: the keys after it were trusted only because it signed their rotation, so
    /// a thief who rotated with it cannot keep the owner from revoking.
    public func peer(everHolding identity: IdentityPublicKey, in keyring: Keyring) -> PeerRecord? {
        if let peer = keyring.peers.first(where: { $0.keys.identity == identity || $0.previousKeys?.identity == identity }) { return peer }
        for retired in retiredPeerKeys() where retired.identity == identity {
            if let peer = keyring.peer(named: retired.peer), retired.belongs(to: peer) { return peer }
        }
        return nil
    }

    /// Every identity key `peer` holds or held here: its current one, its previous
    /// one (in a rotation's overlap or after), and those it retired before
    /// (`peer-rotations.txt`). A revocation revokes them all: the card a partner gave
    /// before it rotated names an earlier key, and must not bring it back.
    public func identitiesEverHeld(by peer: PeerRecord) -> [IdentityPublicKey] {
        var keys = [peer.keys.identity]
        if let previous = peer.previousKeys?.identity { keys.append(previous) }
        for retired in retiredPeerKeys() where retired.belongs(to: peer) && !keys.contains(retired.identity) {
            keys.append(retired.identity)
        }
        return keys
    }

    /// Who may have signed a package that arrived at `time`: the keyring's peers, and
    /// a peer's retired identity key if it was still accepted then, up to the second
    /// it was retired (times are whole seconds, and nothing is accepted under a key
    /// after its retirement, so one that arrived in that second arrived before it).
    /// Revoked keys are reported revoked, so such packages stay refused.
    public func senders(asOf time: Int64, keyring: Keyring) -> some SenderDirectory {
        ArrivalSenders(keyring: keyring, retired: retiredPeerKeys().filter { time <= $0.until }, revoked: revokedPeerIdentities())
    }
}

/// The senders of ``NodeHome/senders(asOf:keyring:)``.
private struct ArrivalSenders: SenderDirectory {
    let keyring: Keyring
    let retired: [NodeHome.RetiredPeerKey]
    let revoked: Set<String>

    func sender(withIdentity key: [UInt8]) -> KnownSender? {
        if let known = keyring.sender(withIdentity: key) { return known }
        guard let entry = retired.first(where: { Sodium.constantTimeEquals($0.identity.rawRepresentation, key) }) else { return nil }
        let keyRevoked = revoked.contains(KeyText.encode(entry.identity))
        if let peer = keyring.peer(named: entry.peer), entry.belongs(to: peer) {
            return KnownSender(name: peer.name, identity: entry.identity, isRevoked: peer.revoked || keyRevoked)
        }
        // Its holder was removed since (`peers remove` retires its keys), or the name went
        // to another node: the key was that peer's when the package arrived, and the name
        // says it is no longer the peer of that name.
        return KnownSender(name: "\(entry.peer) (removed)", identity: entry.identity, isRevoked: keyRevoked)
    }
}
