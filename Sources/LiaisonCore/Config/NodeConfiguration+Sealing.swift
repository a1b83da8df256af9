import LiaisonCrypto

extension NodeConfiguration {
    /// Markings for a new package, checked against this node's classification
    /// ladder (the lowest rung when `classification` is nil).
    public func markings(tlp: String, classification: String?, releasableTo: [String], caveats: [String]) throws -> Markings {
        let markings = try Markings(tlp: TrafficLightProtocol(parsing: tlp), classification: classification ?? classifications[0],
                                    releasableTo: releasableTo, caveats: caveats)
        guard classifications.contains(markings.classification) else {
            throw CoreError(.invalidMarkings, "\"\(markings.classification)\" is not on this node's classification ladder (\(classifications.joined(separator: " < ")))")
        }
        return markings
    }

    /// The expiry for a package sealed at `now`: `text` is a duration, `never`,
    /// or nil for the node's default.
    public func expiry(_ text: String?, now: Int64) throws -> Int64? {
        guard let text else { return defaultExpiry.map { now + $0 } }
        return text == "never" ? nil : now + (try Timestamp.parseDuration(text))
    }

    /// The encryption keys of the named recipients: peers from `keyring`, or this
    /// node itself (to keep a copy). Unknown, revoked and blocked peers are errors;
    /// an empty list is an error, never "everyone".
    public func recipients(_ names: [String], keyring: Keyring) throws -> [(name: String, key: EncryptionPublicKey)] {
        var seen = Set<String>()
        let resolved: [(name: String, key: EncryptionPublicKey)] = try names.compactMap { name in
            guard seen.insert(name).inserted else { return nil }
            if name == self.name { return (name, publicKeys.encryption) }
            guard let peer = keyring.peer(named: name) else {
                throw CoreError(.unknownPeer, "no peer named \"\(name)\"; see `liaison peers list`")
            }
            guard !peer.revoked else { throw CoreError(.invalidRecipients, "\"\(name)\"'s key is revoked; nothing can be sealed to it") }
            guard peer.trust != .blocked else { throw CoreError(.invalidRecipients, "\"\(name)\" is blocked; nothing is sent to blocked peers") }
            return (name, peer.keys.encryption)
        }
        guard !resolved.isEmpty else {
            throw CoreError(.invalidRecipients, "a package needs at least one recipient: an empty recipient set is an error, never \"everyone\"")
        }
        return resolved
    }
}
