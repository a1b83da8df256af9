import LiaisonCore
import NIOCore
import ServiceLifecycle

/// Once this node has revoked its own key, keeps telling the partners that were
/// unreachable at the time (`keys/revocation-pending.txt`), every
/// `retry-maximum-seconds`, until each acknowledged it or a week has passed.
struct RevocationRetrier: Service {
    let context: DaemonContext
    let group: EventLoopGroup

    /// How long after the revocation unreachable partners are still retried.
    static let retryPeriodSeconds: Int64 = 7 * 86_400

    func run() async throws {
        await RetryRounds.run(context) { await retryOnce() }
    }

    /// One round: tells the pending partners that are still known, unrevoked and addressed.
    func retryOnce() async {
        let home = context.home
        let pending = home.pendingRevocationPeers()
        guard !pending.isEmpty, let statement = try? home.revocation() else { return }
        guard Timestamp.now() - statement.revokedAt <= Self.retryPeriodSeconds else {
            context.logger.warning("giving up telling \(pending.count) partner(s) of this node's revocation after a week; hand them \(home.revocationPath)")
            try? home.savePendingRevocationPeers([])
            return
        }
        let peers = context.peers.keyring.peers.filter { pending.contains($0.fingerprint.description) && !$0.revoked && !$0.addresses.isEmpty }
        let outcome = await RevocationAnnouncer(context: context, group: group).announce(statement, to: peers)
        guard !outcome.told.isEmpty else { return }
        // Re-read: a `keys revoke` run meanwhile may have changed the list.
        let told = Set(peers.filter { outcome.told.contains($0.name) }.map(\.fingerprint.description))
        do {
            try home.savePendingRevocationPeers(home.pendingRevocationPeers().filter { !told.contains($0) })
        } catch {
            context.logger.error("cannot update \(home.revocationPendingPath): \(error)")
        }
    }
}

extension RevocationRetrier: CustomStringConvertible {
    var description: String { "RevocationRetrier" }
}
