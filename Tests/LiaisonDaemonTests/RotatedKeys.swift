import LiaisonCore

/// Fresh identity, encryption and transport keys for a node that rotates, with its
/// log key kept (a rotation never changes the log key; a partner refuses one that does).
func keysAfterRotation(of secrets: NodeSecrets) throws -> NodeSecrets {
    let fresh = try NodeSecrets.generate()
    return NodeSecrets(identity: fresh.identity, encryption: fresh.encryption, transport: fresh.transport, log: secrets.log)
}
