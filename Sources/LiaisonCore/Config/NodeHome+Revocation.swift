import Foundation

/// This node's own revocation: `<home>/keys/revocation.txt` holds the signed
/// statement once the node has revoked its identity key. Its presence alone
/// means "revoked": the daemon then refuses to send or forward packages.
extension NodeHome {
    /// `keys/revocation.txt`.
    public var revocationPath: String { path + "/keys/revocation.txt" }

    /// True once this node has revoked its own identity key.
    public var isRevoked: Bool {
        var info = stat()
        return lstat(revocationPath, &info) == 0
    }

    /// The statement this node issued, if it has revoked itself.
    public func revocation() throws -> RevocationStatement? {
        guard isRevoked else { return nil }
        guard let data = FileManager.default.contents(atPath: revocationPath), data.count <= 4 * RevocationStatement.maximumByteCount else {
            throw CoreError(.malformedRevocation, "\(revocationPath) cannot be read; this node stays revoked (restore the file from a backup)")
        }
        return try RevocationStatement(text: String(decoding: data, as: UTF8.self))
    }

    /// Stores the statement durably (0600, atomic); the first one issued is kept.
    public func saveRevocation(_ statement: RevocationStatement) throws {
        guard !isRevoked else { return }
        try AtomicOutputFile.write(Array(statement.text.utf8), to: revocationPath, mode: 0o600)
    }

    /// `keys/revocation-pending.txt`: the fingerprints of partners not yet told, one a line.
    public var revocationPendingPath: String { path + "/keys/revocation-pending.txt" }

    /// Fingerprints of the partners that have not acknowledged the statement yet.
    public func pendingRevocationPeers() -> [String] {
        lines(at: revocationPendingPath)
    }

    /// Replaces the list of partners not yet told; an empty list removes the file.
    public func savePendingRevocationPeers(_ fingerprints: [String]) throws {
        try saveLines(fingerprints, to: revocationPendingPath)
    }

    /// Refuses with `node.revoked` once this node has revoked its own key.
    public func ensureNotRevoked(_ action: String) throws {
        guard !isRevoked else {
            throw CoreError(.nodeRevoked, "this node revoked its own identity key (\(revocationPath)), so it no longer \(action); set up a new node in another home (`liaison init --home NEW-HOME --name NAME`) and exchange cards again")
        }
    }
}
