import LiaisonCore

extension DaemonContext {
    /// The access policy's decision on a package marked `markings` leaving this node
    /// for `peer` as it stands now: what the sender decides before each delivery, and
    /// what `peers set` forecasts for the packages queued. A package sealed by
    /// `forward` is decided by the forwarding rules (``Markings/leavingDirection``).
    func leavingDecision(_ markings: Markings, to peer: PeerRecord) -> PolicyDecision {
        let ladder = configuration.classifications
        let policy = PolicyContext(ladder: ladder, sameOrganisation: OrganisationName.same(configuration.organisation, peer.organisation))
        return AccessPolicy.decide(markings, peer: peer.policyClearance(ladder: ladder), direction: markings.leavingDirection, context: policy)
    }
}
