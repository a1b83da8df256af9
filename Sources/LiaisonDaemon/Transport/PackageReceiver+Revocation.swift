import LiaisonAudit
import LiaisonCore
import LiaisonWire

/// A peer revoking its own identity key on its session: the statement must be
/// that peer's own, validly signed; then it is audited (fail closed), the peer is
/// marked revoked in the keyring, and the caller ends every session with it. From
/// then on its handshakes are refused and nothing it signed verifies.
extension PackageReceiver {
    func honourRevocation(_ bytes: [UInt8]) async throws -> SessionMessage {
        let statement: RevocationStatement
        do {
            statement = try RevocationStatement(decoding: bytes)
        } catch let error as CoreError {
            throw WireError(.unexpectedMessage, "\(peer.name) sent a malformed revocation statement [\(error.code.rawValue)]")
        }
        // Only a node's own key can revoke it: a statement about anyone else, or a
        // forged one, changes nothing. Its own means any key of its rotation chain
        // (``NodeHome/peer(everHolding:in:)``): one rotation by a thief must not
        // keep the owner from revoking.
        guard statement.verify(identity: statement.identity),
              context.home.peer(everHolding: statement.identity, in: context.peers.keyring)?.name == peer.name else {
            await context.auditNetworkRefusal(context.event(.keyRevoked, .denied, actor: DaemonContext.actor(peer), peer: peer,
                                                            reason: "\(CoreError.Code.revocationSignatureInvalid.rawValue): the statement is not signed by \(peer.name)'s own identity key",
                                                            remote: remote))
            throw WireError(.unexpectedMessage, "\(peer.name) sent a revocation statement that is not its own [\(CoreError.Code.revocationSignatureInvalid.rawValue)]")
        }
        if context.peers.peer(named: peer.name)?.revoked == false {
            try await context.audit(context.event(.keyRevoked, actor: DaemonContext.actor(peer), peer: peer, remote: remote, details: [
                "identity": KeyText.encode(statement.identity), "revoked-at": Timestamp.iso8601(statement.revokedAt),
                "reason": statement.reason, "by": "peer",
            ]))
            // This session ends after its reply; the connection cuts the others then.
            try context.revokePeer(peer, revoking: statement.identity, cutSessions: false)
            logger.notice("\(peer.name) revoked its own identity key (as of \(Timestamp.iso8601(statement.revokedAt))); it is no longer trusted")
        }
        return .close(reason: .revoked)
    }
}
