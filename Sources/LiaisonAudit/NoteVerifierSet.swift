/// The verifier keys a reader trusts, looked up by (name, key ID) as C2SP
/// signed-note prescribes: a line that matches a known key on only one of the
/// two is from an unknown key.
public struct NoteVerifierSet: Sendable {
    private struct Identity: Hashable, Sendable {
        let name: String
        let keyID: UInt32
    }

    private let byIdentity: [Identity: NoteVerifierKey]
    /// The keys, in the order given.
    public let keys: [NoteVerifierKey]

    /// A set of trusted keys. Two keys with the same name and key ID make every
    /// signature under them ambiguous, so that is refused with
    /// ``AuditError/Code/ambiguousVerifierKey``.
    public init(_ keys: [NoteVerifierKey]) throws {
        var byIdentity: [Identity: NoteVerifierKey] = [:]
        for key in keys {
            let identity = Identity(name: key.name, keyID: key.keyID)
            guard byIdentity.updateValue(key, forKey: identity) == nil else {
                throw AuditError(
                    .ambiguousVerifierKey,
                    "two trusted keys are both named \(key.name) with key ID \(key.keyID.keyIDHex); remove one of them"
                )
            }
        }
        self.byIdentity = byIdentity
        self.keys = keys
    }

    /// The trusted key a signature line names, or `nil` if it is unknown.
    public func key(name: String, keyID: UInt32) -> NoteVerifierKey? {
        byIdentity[Identity(name: name, keyID: keyID)]
    }
}
