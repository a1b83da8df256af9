import LiaisonCrypto

extension NodeConfiguration {
    /// The encryption keys of the named peers that may be forwarded a package marked
    /// `markings`, received from the node whose identity key is `origin`.
    ///
    /// Each peer must pass the forwarding rules (never back to its origin or to an
    /// earlier one its `FWD/` caveats name; TLP:RED and AMBER+STRICT never go onward;
    /// TLP:AMBER only to a peer of this node's own organisation) and every rule a send
    /// to it would have to pass. Refused peers are returned in `withheld` with the
    /// deciding rule; the caller audits them and refuses when nobody is left. Errors:
    /// no names (an empty recipient set is never "everyone"), an unknown name, or
    /// this node itself.
    public func forwardRecipients(_ names: [String], keyring: Keyring, markings: Markings, origin: IdentityPublicKey) throws -> RecipientSelection {
        guard !names.isEmpty else {
            throw CoreError(.invalidRecipients, "forward needs at least one peer: an empty recipient set is an error, never \"everyone\"")
        }
        var seen = Set<String>()
        var selection = RecipientSelection()
        for name in names where seen.insert(name).inserted {
            if name == self.name {
                throw CoreError(.invalidRecipients, "\"\(name)\" is this node, which already holds the package; name peers only")
            }
            guard let peer = keyring.peer(named: name) else {
                throw CoreError(.unknownPeer, "no peer named \"\(name)\"; see `liaison peers list`")
            }
            // Its origin, or an earlier one in the forwarding chain, already has it: withheld, and said.
            let isOrigin = peer.keys.identity == origin || peer.previousKeys?.identity == origin || markings.namesAsOrigin(peer)
            let decision = AccessPolicy.decide(markings, peer: peer.policyClearance(ladder: classifications), direction: .forward,
                                               context: PolicyContext(ladder: classifications,
                                                                      sameOrganisation: OrganisationName.same(organisation, peer.organisation),
                                                                      peerIsOrigin: isOrigin))
            if decision.allowed {
                selection.allowed.append((name, peer.keys.encryption))
            } else {
                selection.withheld.append((name, decision))
            }
        }
        return selection
    }
}
