import GRDB
import LiaisonCore

/// Per-peer session state: the handshake replay guard, the last error and traffic totals.
extension NodeStore {
    /// The newest handshake timestamp accepted from this peer, or `nil` if none yet.
    public func lastHandshakeTimestamp(fingerprint: NodeFingerprint) throws -> UInt64? {
        try read("read the handshake state of \(fingerprint.short)") { db in
            let stored = try Int64.fetchOne(try db.cachedStatement(sql: "SELECT last_handshake_timestamp FROM peer_state WHERE fingerprint = ?"),
                                            arguments: [fingerprint.description])
            if let stored, stored < 0 { throw StoreError.corruptRow("peer_state", "a negative handshake timestamp") }
            return stored.map(UInt64.init)
        }
    }

    /// The replay check, for a handshake the peer started: atomically accepts
    /// `timestamp` only if it is strictly newer than every one accepted from this
    /// peer before, and then records it, sets the last contact time to `at` and
    /// clears the peer's last error.
    ///
    /// - Returns: `true` if accepted; `false` if it is equal to or older than the
    ///   stored one (a replayed or reordered handshake: refuse it).
    /// - Throws: ``StoreError/Code/invalidArgument`` for a timestamp above `Int64.max`,
    ///   which no real clock produces and SQLite cannot order.
    public func recordHandshake(fingerprint: NodeFingerprint, timestamp: UInt64, at: Int64) async throws -> Bool {
        guard let stored = Int64(exactly: timestamp) else {
            throw StoreError(.invalidArgument, "the handshake timestamp from \(fingerprint.short) is out of range; refuse the handshake")
        }
        return try await commit("record a handshake with \(fingerprint.short)") { db in
            try db.cachedStatement(sql: """
                INSERT INTO peer_state (fingerprint, last_handshake_timestamp, last_handshake_at) VALUES (?, ?, ?)
                ON CONFLICT (fingerprint) DO UPDATE
                    SET last_handshake_timestamp = excluded.last_handshake_timestamp,
                        last_handshake_at = excluded.last_handshake_at,
                        last_error = NULL
                    WHERE last_handshake_timestamp IS NULL OR last_handshake_timestamp < excluded.last_handshake_timestamp
                """).execute(arguments: [fingerprint.description, stored, at])
            return db.changesCount == 1
        }
    }

    /// Whether `timestamp` is no newer than the last handshake timestamp accepted from
    /// `fingerprint`: a replay (or a stale message 1), known without writing anything.
    /// ``recordHandshake(fingerprint:timestamp:at:)`` remains the check that counts.
    public func isStaleHandshake(fingerprint: NodeFingerprint, timestamp: UInt64) throws -> Bool {
        guard let stamp = Int64(exactly: timestamp) else { return true }
        return try readStatement("read the last handshake with \(fingerprint.short)") { db in
            let last = try Int64.fetchOne(try db.cachedStatement(sql: "SELECT last_handshake_timestamp FROM peer_state WHERE fingerprint = ?"),
                                          arguments: [fingerprint.description])
            return last.map { stamp <= $0 } ?? false
        }
    }

    /// Records a completed handshake this node started (the peer sent no timestamp
    /// to check): the last contact time becomes `at` and the last error is cleared.
    public func recordPeerContact(fingerprint: NodeFingerprint, at: Int64) async throws {
        try await commit("record contact with \(fingerprint.short)") { db in
            try db.cachedStatement(sql: """
                INSERT INTO peer_state (fingerprint, last_handshake_at) VALUES (?, ?)
                ON CONFLICT (fingerprint) DO UPDATE SET last_handshake_at = excluded.last_handshake_at, last_error = NULL
                """).execute(arguments: [fingerprint.description, at])
        }
    }

    /// Remembers the last problem with this peer (shown in status until the next successful handshake).
    public func recordPeerError(fingerprint: NodeFingerprint, error: String) async throws {
        try await commit("record an error for \(fingerprint.short)") { db in
            try db.cachedStatement(sql: """
                INSERT INTO peer_state (fingerprint, last_error) VALUES (?, ?)
                ON CONFLICT (fingerprint) DO UPDATE SET last_error = excluded.last_error
                """).execute(arguments: [fingerprint.description, Self.bounded(error)])
        }
    }

    /// Adds a session's traffic to the peer's totals.
    public func addTraffic(fingerprint: NodeFingerprint, sent: Int64, received: Int64) async throws {
        precondition(sent >= 0 && received >= 0, "traffic is counted in non-negative bytes")
        try await commit("record traffic with \(fingerprint.short)") { db in
            try db.cachedStatement(sql: """
                INSERT INTO peer_state (fingerprint, bytes_sent, bytes_received) VALUES (?, ?, ?)
                ON CONFLICT (fingerprint) DO UPDATE
                    SET bytes_sent = bytes_sent + excluded.bytes_sent, bytes_received = bytes_received + excluded.bytes_received
                """).execute(arguments: [fingerprint.description, sent, received])
        }
    }

    /// Every peer this node has state for, ordered by fingerprint.
    public func peerStates() throws -> [PeerState] {
        try read("list peer states") { db in
            try Row.fetchAll(try db.cachedStatement(sql: "SELECT * FROM peer_state ORDER BY fingerprint")).map(PeerState.init(row:))
        }
    }
}
