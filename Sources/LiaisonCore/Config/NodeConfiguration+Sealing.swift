import LiaisonCrypto

extension NodeConfiguration {
    /// Markings for a new package, checked against this node's classification
    /// ladder (the lowest rung when `classification` is nil).
    public func markings(tlp: String, classification: String?, releasableTo: [String], caveats: [String]) throws -> Markings {
        let markings = try Markings(tlp: TrafficLightProtocol(parsing: tlp), classification: classification ?? classifications[0],
                                    releasableTo: releasableTo, caveats: caveats)
        // Only `liaison forward` names a package's origin: an operator's caveat cannot forge one.
        // Checked on the caveats as they will be sealed (trimmed, upper-cased), not as typed.
        if let forged = markings.caveats.first(where: { $0.hasPrefix(Markings.forwardedCaveatPrefix) }) {
            throw CoreError(.invalidMarkings, "the caveat \"\(forged)\" is reserved: \(Markings.forwardedCaveatPrefix)… is written by `liaison forward` to name a package's origin")
        }
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

    /// The encryption keys of the named recipients that the access policy allows
    /// for `markings`: peers from `keyring`, or this node itself (to keep a copy).
    /// Peers the policy refuses get no key wrap and are returned in `withheld` with
    /// the deciding rule. Unknown names are errors; so is a selection that leaves
    /// nobody — an empty recipient set is never "everyone".
    public func recipients(_ names: [String], keyring: Keyring, markings: Markings) throws -> RecipientSelection {
        let selection = try decideRecipients(names, keyring: keyring, markings: markings)
        guard !selection.allowed.isEmpty else {
            if selection.withheld.isEmpty {
                throw CoreError(.invalidRecipients, "a package needs at least one recipient: an empty recipient set is an error, never \"everyone\"")
            }
            let reasons = selection.withheld.map { "\($0.name): \($0.decision.explanation) [\($0.decision.rule.rawValue)]" }
            throw CoreError(.policyDenied, "no recipient may receive \(markings.banner): " + reasons.joined(separator: "; "))
        }
        return selection
    }

    /// The policy's decision for each named recipient, allowed or withheld, even when
    /// nobody is allowed (so the caller can record every denial before refusing).
    /// Unknown names are errors.
    public func decideRecipients(_ names: [String], keyring: Keyring, markings: Markings) throws -> RecipientSelection {
        var seen = Set<String>()
        var selection = RecipientSelection()
        for name in names where seen.insert(name).inserted {
            if name == self.name {
                selection.allowed.append((name, publicKeys.encryption))
                continue
            }
            guard let peer = keyring.peer(named: name) else {
                throw CoreError(.unknownPeer, "no peer named \"\(name)\"; see `liaison peers list`")
            }
            let decision = AccessPolicy.decide(markings, peer: peer.policyClearance(ladder: classifications), direction: .send,
                                               context: PolicyContext(ladder: classifications))
            if decision.allowed {
                selection.allowed.append((name, peer.keys.encryption))
            } else {
                selection.withheld.append((name, decision))
            }
        }
        return selection
    }
}

/// Who gets a key wrap, and who is withheld by the access policy and why.
public struct RecipientSelection: Sendable {
    /// Recipients that get a wrap.
    public var allowed: [(name: String, key: EncryptionPublicKey)] = []
    /// Recipients the policy refused, with the decision.
    public var withheld: [(name: String, decision: PolicyDecision)] = []
}
